import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { SimulatedDevice, type SimulatorStats } from './device.js';
import { PROFILES, type ProfileName } from './profiles/index.js';
import { createRng, mixSeed } from './rng.js';

export type { SimulatorStats } from './device.js';

export interface SimulatorOptions {
  /** Broker URL, e.g. `mqtt://localhost:1883`, `mqtts://…`, `ws://localhost:8086/mqtt`. */
  url: string;
  username?: string;
  password?: string;
  devices: number;
  intervalMs: number;
  profile: ProfileName;
  qos: 0 | 1 | 2;
  /** Client ids are `${clientIdPrefix}-${i}` for i = 1..devices. Default `sensorhub-sim`. */
  clientIdPrefix?: string;
  protocolVersion?: 4 | 5;
  logger: Logger;
  /** Stop each device after it has published this many messages. Default: publish until stop(). */
  count?: number;
  /** Seed for the readings' random noise; the same seed replays the same payloads. Default 1. */
  seed?: number;
}

/** How many CONNECTs are in flight at once, so that a thousand devices do not all arrive together. */
const CONNECT_CONCURRENCY = 50;

/**
 * Simulated devices: one real MQTT connection per device, publishing a profile's readings every interval.
 * It talks to the server only over the network, like the devices it stands in for.
 */
export class Simulator {
  readonly stats: SimulatorStats = { published: 0, acked: 0, errors: 0 };
  private readonly opts: SimulatorOptions;
  private readonly logger: Logger;
  private devices: SimulatedDevice[] = [];
  private remaining = 0;
  private resolveFinished: (() => void) | undefined;
  private finishedPromise: Promise<void> | undefined;

  constructor(opts: SimulatorOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ ns: 'simulator' });
  }

  /** Connects every device; resolves once all have their CONNACK. On failure, disconnects the ones that did. */
  async start(): Promise<void> {
    const opts = this.opts;
    validate(opts);
    this.finishedPromise = new Promise<void>((resolve) => {
      this.resolveFinished = resolve;
    });
    this.remaining = opts.devices;
    const prefix = opts.clientIdPrefix ?? 'sensorhub-sim';
    const seed = opts.seed ?? 1;
    const devices: SimulatedDevice[] = [];
    for (let i = 1; i <= opts.devices; i++) {
      devices.push(
        new SimulatedDevice({
          index: i,
          url: opts.url,
          client: {
            clientId: `${prefix}-${i}`,
            username: opts.username,
            password: opts.password,
            protocolVersion: opts.protocolVersion ?? 4,
            clean: true,
            keepalive: 30,
            connectTimeout: 10_000,
            reconnectPeriod: 1000,
          },
          profile: PROFILES[opts.profile],
          intervalMs: opts.intervalMs,
          startDelayMs: ((i - 1) * opts.intervalMs) / opts.devices,
          qos: opts.qos,
          count: opts.count,
          rng: createRng(mixSeed(seed, i)),
          stats: this.stats,
          logger: this.logger,
          onDone: () => this.deviceDone(),
        }),
      );
    }
    this.devices = devices;
    try {
      for (let i = 0; i < devices.length; i += CONNECT_CONCURRENCY) {
        const batch = devices.slice(i, i + CONNECT_CONCURRENCY);
        const results = await Promise.allSettled(batch.map((d) => d.start()));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed)
          throw new Error(`simulated device could not connect to ${opts.url}`, { cause: failed.reason });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.logger.info(
      { devices: opts.devices, profile: opts.profile, intervalMs: opts.intervalMs, url: opts.url },
      'simulator started',
    );
  }

  /** Stops publishing and disconnects every device. Safe to call twice or after a failed start(). */
  async stop(): Promise<void> {
    const devices = this.devices;
    this.devices = [];
    await Promise.all(devices.map((d) => d.stop()));
    this.resolveFinished?.();
    if (devices.length > 0) this.logger.info({ ...this.stats }, 'simulator stopped');
  }

  /** Resolves when every device has published `count` messages and each completed, or on stop(). */
  finished(): Promise<void> {
    return this.finishedPromise ?? Promise.resolve();
  }

  private deviceDone(): void {
    this.remaining--;
    if (this.remaining === 0) this.resolveFinished?.();
  }
}

function validate(opts: SimulatorOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(opts.devices) || opts.devices < 1) problems.push('devices: must be an integer ≥ 1');
  if (!(opts.intervalMs > 0)) problems.push('intervalMs: must be > 0');
  if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) {
    problems.push('count: must be an integer ≥ 1');
  }
  if (!Object.hasOwn(PROFILES, opts.profile)) problems.push(`profile: unknown profile "${opts.profile}"`);
  if (problems.length > 0) {
    throw new AppError('CFG_INVALID', `invalid simulator options: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

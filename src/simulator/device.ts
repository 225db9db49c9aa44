import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../core/logger.js';
import type { Profile } from './profiles/index.js';
import type { Rng } from './rng.js';

const END_TIMEOUT_MS = 2000;

export interface SimulatorStats {
  /** PUBLISH packets handed to the client. */
  published: number;
  /** Publishes the broker completed: PUBACK (QoS 1), PUBCOMP (QoS 2), or written to the socket (QoS 0). */
  acked: number;
  /** Failed publishes and connection errors. */
  errors: number;
}

export interface DeviceOptions {
  readonly index: number;
  readonly url: string;
  readonly client: IClientOptions;
  readonly profile: Profile;
  readonly intervalMs: number;
  /** Delay before the first reading, so that many devices do not all publish in the same millisecond. */
  readonly startDelayMs: number;
  readonly qos: 0 | 1 | 2;
  readonly count: number | undefined;
  readonly rng: Rng;
  readonly stats: SimulatorStats;
  readonly logger: Logger;
  /** Called once, when the device has published `count` messages and each one has completed or failed. */
  readonly onDone: () => void;
}

/** One simulated device: one MQTT connection that publishes its profile's readings every interval. */
export class SimulatedDevice {
  private readonly opts: DeviceOptions;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private sent = 0;
  private settled = 0;
  private done = false;

  constructor(opts: DeviceOptions) {
    this.opts = opts;
  }

  /** Connects; resolves on CONNACK. Readings start after `startDelayMs`. */
  async start(): Promise<void> {
    const { url, client: clientOptions, logger, stats } = this.opts;
    // No retries while starting: a wrong URL or password should fail start(), not spin forever.
    const client = await connectAsync(url, clientOptions, false);
    this.client = client;
    // After the first CONNACK a real device reconnects on its own; MQTT.js does that (reconnectPeriod).
    client.on('error', (err) => {
      stats.errors++;
      logger.warn({ clientId: clientOptions.clientId, err: err.message }, 'device connection error');
    });
    client.on('offline', () => logger.debug({ clientId: clientOptions.clientId }, 'device offline'));
    this.timer = setTimeout(() => {
      this.publishReadings();
      this.timer = setInterval(() => this.publishReadings(), this.opts.intervalMs);
    }, this.opts.startDelayMs);
  }

  async stop(): Promise<void> {
    this.stopTimer();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A graceful end waits for in-flight QoS 1/2 publishes; if the broker is gone that never happens.
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => resolve(false), END_TIMEOUT_MS);
    });
    const ended = await Promise.race([client.endAsync().then(() => true), expired]);
    clearTimeout(timeout);
    if (!ended) await client.endAsync(true);
  }

  private publishReadings(): void {
    const { client } = this;
    if (!client) return;
    const { profile, index, rng, qos, count, stats, logger } = this.opts;
    for (const message of profile.messages(index, this.tick, rng, Date.now())) {
      if (count !== undefined && this.sent >= count) break;
      this.sent++;
      stats.published++;
      client.publish(message.topic, message.payload, { qos }, (err) => {
        if (err) {
          stats.errors++;
          logger.warn({ topic: message.topic, err: err.message }, 'publish failed');
        } else {
          stats.acked++;
        }
        this.settled++;
        this.checkDone();
      });
    }
    this.tick++;
    if (count !== undefined && this.sent >= count) this.stopTimer();
  }

  private checkDone(): void {
    const { count } = this.opts;
    if (this.done || count === undefined || this.settled < count) return;
    this.done = true;
    this.opts.onDone();
  }

  private stopTimer(): void {
    // clearTimeout and clearInterval are interchangeable in Node; one call covers both phases.
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

import { join } from 'node:path';
import { AppError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Counter, MetricsRegistry } from '../../core/metrics.js';
import type { ForwardOutputConfig } from './config.js';
import type { ForwardItem } from './item.js';
import { type ForwardFailureCode, ForwardOutput, type ForwardStatus } from './output.js';
import { DiskQueue } from './queue.js';
import { authorizationHeader } from './secrets.js';

export type { ForwardItem } from './item.js';
export type { ForwardFailureCode, ForwardStatus } from './output.js';

export interface ForwarderOptions {
  readonly outputs: readonly ForwardOutputConfig[];
  /** Queues live in `<dataDir>/forward/<output name>/`. */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly metrics: Pick<MetricsRegistry, 'counter' | 'gauge'>;
  /** Called for every item that will not be delivered; the app keeps it as a dead letter. */
  onDeadLetter(item: ForwardItem, output: string, code: ForwardFailureCode, message: string): void;
  readonly fetch?: typeof fetch;
  /** Where `passwordEnv` / `tokenEnv` are looked up; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Wall-clock ms, for retryFor and Retry-After dates; default Date.now. */
  readonly nowMs?: () => number;
  /** How long stop() goes on delivering what is queued; default 5 s. */
  readonly stopTimeoutMs?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 5000;

interface ForwardMetrics {
  readonly delivered: Counter;
  readonly failed: Counter;
}

/**
 * Sends what ingest rules accept on to HTTP endpoints, through one durable on-disk queue per output
 * (see queue.ts for the guarantees and docs/forwarding.md for the whole story).
 */
export class Forwarder {
  readonly #outputs = new Map<string, ForwardOutput>();
  #metrics: ForwardMetrics | undefined;
  #started = false;

  constructor(private readonly opts: ForwarderOptions) {}

  /**
   * Reads every output's secret, then opens every queue (dropping torn records), then starts delivering.
   * A missing secret fails the start with CFG_INVALID before anything is opened; a failed start closes
   * what it had opened.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('Forwarder.start() called twice');
    const { opts } = this;
    const env = opts.env ?? process.env;
    const authorizations = new Map<string, string | undefined>();
    for (const output of opts.outputs) {
      authorizations.set(output.name, await authorizationHeader(output.auth, output.name, env));
    }
    const metrics = this.#registerMetrics();
    const queues: DiskQueue[] = [];
    try {
      for (const output of opts.outputs) {
        const dir = join(opts.dataDir, 'forward', output.name);
        const queue = await DiskQueue.open({
          dir,
          maxBytes: output.queueMaxBytes,
          logger: opts.logger,
        }).catch((err: unknown) => {
          throw new AppError(
            'INTERNAL',
            `forward output "${output.name}": cannot open its queue in ${dir}: ${errorMessage(err)}`,
            { cause: err },
          );
        });
        queues.push(queue);
        this.#outputs.set(
          output.name,
          new ForwardOutput(output, {
            queue,
            fetch: opts.fetch ?? fetch,
            logger: opts.logger,
            authorization: authorizations.get(output.name),
            nowMs: opts.nowMs ?? Date.now,
            onDeadLetter: opts.onDeadLetter,
            delivered: metrics.delivered.with({ output: output.name }),
            failed: metrics.failed.with({ output: output.name }),
          }),
        );
      }
    } catch (err) {
      this.#outputs.clear();
      await Promise.allSettled(queues.map((q) => q.close()));
      throw err;
    }
    this.#started = true;
    for (const output of this.#outputs.values()) {
      output.start();
      const s = output.status();
      if (s.queuedItems > 0) {
        opts.logger.info(
          { output: s.output, queuedItems: s.queuedItems, queuedBytes: s.queuedBytes },
          'forward output: resuming delivery of queued items',
        );
      }
    }
  }

  /** Delivers what it can within stopTimeoutMs (all outputs at once), leaves the rest queued, closes the queues. */
  async stop(): Promise<void> {
    const deadline = this.opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    await Promise.all([...this.#outputs.values()].map((o) => o.stop(deadline)));
  }

  /**
   * Queues an item for one output; see ForwardOutput.enqueue. Awaiting it before acknowledging the message
   * makes "acknowledged" mean "stored and queued for forwarding".
   */
  enqueue(output: string, item: ForwardItem): Promise<void> {
    const target = this.#outputs.get(output);
    if (target === undefined) {
      return Promise.reject(
        new AppError('INTERNAL', `no forwarding output named "${output}" (is the Forwarder started?)`),
      );
    }
    return target.enqueue(item);
  }

  /** What the output takes: `points` (json, line), `raw`, or undefined for an unknown name. */
  accepts(output: string): ForwardItem['kind'] | undefined {
    return this.#outputs.get(output)?.accepts;
  }

  status(): ForwardStatus[] {
    return [...this.#outputs.values()].map((o) => o.status());
  }

  #registerMetrics(): ForwardMetrics {
    if (this.#metrics) return this.#metrics;
    const { metrics } = this.opts;
    this.#metrics = {
      delivered: metrics.counter(
        'sensorhub_forward_delivered_total',
        'Items (points, or raw messages) a forwarding output delivered, by output.',
      ),
      failed: metrics.counter(
        'sensorhub_forward_failed_total',
        'Items a forwarding output gave up on (dead letters FWD_FAILED and FWD_QUEUE_FULL), by output.',
      ),
    };
    metrics.gauge(
      'sensorhub_forward_queue_bytes',
      'Bytes of undelivered items in a forwarding output’s on-disk queue, by output.',
      () => [...this.#outputs.values()].map((o) => [{ output: o.name }, o.queuedBytes] as const),
    );
    return this.#metrics;
  }
}

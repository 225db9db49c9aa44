import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, errorMessage, isAppError } from '../../core/errors.js';
import { LogThrottle } from '../../core/log-throttle.js';
import type { Logger } from '../../core/logger.js';
import type { ForwardOutputConfig } from './config.js';
import { type Body, jsonBody, lineBody, rawBody } from './formats.js';
import { send, shownUrl } from './http.js';
import { encodeRecord, type ForwardItem, itemOf, type QueuedRecord, readRecord } from './item.js';
import type { DiskQueue, QueueRecord } from './queue.js';

export type ForwardFailureCode = 'FWD_FAILED' | 'FWD_QUEUE_FULL';

/** How an output is doing, for an API or a CLI to show. */
export interface ForwardStatus {
  readonly output: string;
  /** Without the query string, which may hold a key. */
  readonly url: string;
  readonly format: ForwardOutputConfig['format'];
  /** Items waiting in the on-disk queue (including a batch being sent), and their bytes. */
  readonly queuedItems: number;
  readonly queuedBytes: number;
  readonly queueMaxBytes: number;
  /** Since start: items the endpoint accepted, and items that became dead letters. */
  readonly delivered: number;
  readonly failed: number;
  readonly lastError: { readonly at: string; readonly message: string } | null;
  /** Set while a batch waits to be retried. */
  readonly nextRetryAt: string | null;
}

export interface OutputDeps {
  readonly queue: DiskQueue;
  readonly fetch: typeof fetch;
  readonly logger: Logger;
  readonly authorization: string | undefined;
  readonly nowMs: () => number;
  readonly onDeadLetter: (
    item: ForwardItem,
    output: string,
    code: ForwardFailureCode,
    message: string,
  ) => void;
  readonly delivered: { inc(by?: number): void };
  readonly failed: { inc(by?: number): void };
}

/** One request's worth of queued records, and the queue record to acknowledge once it is settled. */
interface Unit {
  readonly records: QueuedRecord[];
  readonly last: QueueRecord;
}

const RETRY_LOG_EVERY_MS = 30_000;
/** After an unexpected error in the loop itself (a queue read failing), before trying again. */
const LOOP_ERROR_PAUSE_MS = 1000;

/**
 * One output's delivery loop: read a batch from its queue, send it, retry with backoff, acknowledge it
 * once delivered or dead-lettered. Each output has its own loop and queue, so a slow or dead endpoint
 * delays nothing but its own deliveries.
 */
export class ForwardOutput {
  readonly #headers: Record<string, string>;
  /** Aborted when stop() begins: waits end, retries stop, the queue is drained once. */
  readonly #drain = new AbortController();
  /** Aborted at stop()'s deadline: the request in flight is cut off. */
  readonly #abort = new AbortController();
  readonly #retryLog = new LogThrottle(RETRY_LOG_EVERY_MS);
  readonly #failLog = new LogThrottle(RETRY_LOG_EVERY_MS);
  #loop: Promise<void> | undefined;
  #acceptsItems = true;
  #delivered = 0;
  #failed = 0;
  #lastError: { at: string; message: string } | null = null;
  #nextRetryAt: number | undefined;

  constructor(
    private readonly config: ForwardOutputConfig,
    private readonly deps: OutputDeps,
  ) {
    this.#headers = { ...config.headers };
    if (deps.authorization !== undefined) this.#headers.authorization = deps.authorization;
  }

  get name(): string {
    return this.config.name;
  }

  /** What this output takes: points (json, line) or raw messages. */
  get accepts(): ForwardItem['kind'] {
    return this.config.format === 'raw' ? 'raw' : 'points';
  }

  start(): void {
    this.#loop = this.#run();
  }

  /**
   * Queues an item. Resolves once it is on disk (fsync'd), or, when it cannot be queued (queue full,
   * disk error, stopped), once it has been handed to onDeadLetter as FWD_QUEUE_FULL. Never rejects for
   * those: forwarding trouble must not fail the ingest of a message that is already stored.
   */
  async enqueue(item: ForwardItem): Promise<void> {
    if (item.kind !== this.accepts) {
      throw new AppError(
        'INTERNAL',
        `forward output "${this.name}" (format ${this.config.format}) takes ${this.accepts} items, not ${item.kind}`,
      );
    }
    if (!this.#acceptsItems) {
      this.#fail([item], 'FWD_QUEUE_FULL', `forward output "${this.name}" is stopped (server shutting down)`);
      return;
    }
    const record = encodeRecord(item, this.config.format, this.deps.nowMs());
    if (!Buffer.isBuffer(record)) {
      this.#fail([item], 'FWD_FAILED', `forward output "${this.name}": ${record.reason}`);
      return;
    }
    try {
      await this.deps.queue.append(record);
    } catch (err) {
      const reason =
        isAppError(err) && err.code === 'FWD_QUEUE_FULL'
          ? `forward output "${this.name}" is not keeping up: ${err.message}`
          : `forward output "${this.name}" could not write its queue: ${errorMessage(err)}`;
      this.#fail(
        [item],
        'FWD_QUEUE_FULL',
        `${reason} (the output's last error is in the log and its status)`,
      );
    }
  }

  /**
   * Sends what is queued for up to deadlineMs without waiting for batches to fill or for retries, then
   * stops; what is left stays queued for the next start. A request cut off by the deadline is sent again
   * then (at-least-once).
   */
  async stop(deadlineMs: number): Promise<void> {
    this.#drain.abort();
    const timer = setTimeout(() => this.#abort.abort(), deadlineMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
    this.#acceptsItems = false;
    await this.deps.queue.close();
  }

  status(): ForwardStatus {
    return {
      output: this.name,
      url: shownUrl(this.config.url),
      format: this.config.format,
      queuedItems: this.deps.queue.records,
      queuedBytes: this.deps.queue.bytes,
      queueMaxBytes: this.config.queueMaxBytes,
      delivered: this.#delivered,
      failed: this.#failed,
      lastError: this.#lastError,
      nextRetryAt: this.#nextRetryAt === undefined ? null : new Date(this.#nextRetryAt).toISOString(),
    };
  }

  get queuedBytes(): number {
    return this.deps.queue.bytes;
  }

  async #run(): Promise<void> {
    const { queue } = this.deps;
    const draining = this.#drain.signal;
    while (!this.#abort.signal.aborted) {
      try {
        if (queue.records === 0) {
          if (draining.aborted) return;
          await queue.waitFor(1, Number.POSITIVE_INFINITY, draining);
          continue;
        }
        const max = this.config.batchMaxItems;
        // raw sends one request per message: nothing is gained by waiting for more.
        if (this.accepts === 'points' && queue.records < max && !draining.aborted) {
          await queue.waitFor(max, this.config.batchMaxWait, draining);
        }
        const records = await queue.read(max);
        if (records.length === 0) {
          // Counted but not readable (a damaged segment was just given up): let the counts settle.
          if (!(await this.#pause(LOOP_ERROR_PAUSE_MS))) return;
          continue;
        }
        for (const unit of this.#units(records)) {
          const outcome = await this.#deliver(unit);
          if (outcome === 'stopped') return;
          queue.ack(unit.last);
        }
      } catch (err) {
        this.deps.logger.error({ err, output: this.name }, 'forward output: unexpected error; retrying');
        if (!(await this.#pause(LOOP_ERROR_PAUSE_MS))) return;
      }
    }
  }

  /**
   * Splits a read batch into requests: one for json/line (up to batchMaxItems points; a record with more
   * goes alone), one per raw message. Bodies are joined, never parsed.
   */
  #units(records: QueueRecord[]): Unit[] {
    const units: Unit[] = [];
    const batch: QueuedRecord[] = [];
    let size = 0;
    let last: QueueRecord | undefined;
    for (const record of records) {
      let queued: QueuedRecord;
      try {
        queued = readRecord(record.data);
      } catch (err) {
        // Its CRC held, so this is no torn write but a record this version cannot read: keep its bytes.
        const item: ForwardItem = {
          kind: 'raw',
          topic: '',
          clientId: '',
          time: this.deps.nowMs() * 1000,
          payload: Buffer.from(record.data),
        };
        this.#fail([item], 'FWD_FAILED', `unreadable queue record: ${errorMessage(err)}`);
        // Settled with the next unit (or alone, if it is the last).
        last = record;
        continue;
      }
      if (queued.format !== this.config.format) {
        const converted = this.#convert(queued);
        if (converted === undefined) {
          last = record;
          continue;
        }
        queued = converted;
      }
      if (queued.format === 'raw') {
        units.push({ records: [queued], last: record });
        last = undefined;
        continue;
      }
      if (batch.length > 0 && size + queued.size > this.config.batchMaxItems) break;
      batch.push(queued);
      size += queued.size;
      last = record;
    }
    if (last !== undefined) units.push({ records: batch, last });
    return units;
  }

  /**
   * A record queued while the output had another format (the config changed across a restart): points
   * are re-encoded for the new format; raw messages and points cannot become each other, and are
   * dead-lettered (undefined).
   */
  #convert(queued: QueuedRecord): QueuedRecord | undefined {
    const format = this.config.format;
    let reason = `it was queued as ${queued.format}, and the output's format is now ${format}`;
    if (queued.format !== 'raw' && format !== 'raw') {
      try {
        const encoded = encodeRecord(itemOf(queued), format, queued.enqueuedAtMs);
        if (Buffer.isBuffer(encoded)) return readRecord(encoded);
        reason = encoded.reason;
      } catch (err) {
        reason = `${reason}, and it does not convert: ${errorMessage(err)}`;
      }
    }
    this.#failRecords([queued], `forward output "${this.name}": ${reason}`);
    return undefined;
  }

  #body(records: readonly QueuedRecord[]): Body {
    const first = records[0] as QueuedRecord;
    if (first.format === 'raw') return rawBody({ ...first, payload: first.body });
    const bodies = records.map((r) => r.body);
    return first.format === 'line' ? lineBody(bodies) : jsonBody(bodies);
  }

  /** Sends one unit until it is delivered, refused for good, or too old to retry; 'stopped' leaves it queued. */
  async #deliver(unit: Unit): Promise<'settled' | 'stopped'> {
    if (unit.records.length === 0) return 'settled';
    const body = this.#body(unit.records);
    const count = unit.records.reduce((n, r) => n + r.size, 0);
    const oldest = unit.records.reduce((t, r) => Math.min(t, r.enqueuedAtMs), Number.POSITIVE_INFINITY);
    const giveUpAt = oldest + this.config.retryFor;
    for (let attempt = 0; ; attempt++) {
      const result = await send({
        fetch: this.deps.fetch,
        url: this.config.url,
        method: this.config.method,
        headers: { ...body.headers, ...this.#headers },
        body: body.body,
        timeoutMs: this.config.timeout,
        signal: this.#abort.signal,
        nowMs: this.deps.nowMs,
      });
      if (result.kind === 'stopped') return 'stopped';
      if (result.kind === 'delivered') {
        this.#nextRetryAt = undefined;
        this.#delivered += count;
        this.deps.delivered.inc(count);
        if (attempt > 0) {
          this.deps.logger.info(
            { output: this.name, attempts: attempt + 1 },
            'forward output: delivering again',
          );
        }
        return 'settled';
      }
      const now = this.deps.nowMs();
      this.#lastError = { at: new Date(now).toISOString(), message: result.message };
      if (!result.retry) {
        this.#nextRetryAt = undefined;
        this.#failRecords(unit.records, `refused for good: ${result.message}`);
        return 'settled';
      }
      if (now >= giveUpAt) {
        this.#nextRetryAt = undefined;
        this.#failRecords(
          unit.records,
          `still failing ${Math.round((now - oldest) / 1000)} s after it was queued (retryFor is ${this.config.retryFor} ms): ${result.message}`,
        );
        return 'settled';
      }
      // Stopping: what failed now stays queued for the next start rather than holding up the shutdown.
      if (this.#drain.signal.aborted) return 'stopped';
      const backoff = Math.min(
        this.config.backoffMax,
        this.config.backoffInitial * 2 ** Math.min(attempt, 30),
      );
      // Equal jitter: outputs that failed together do not retry in lockstep, yet never sooner than half.
      const delay = Math.min(
        result.retryAfterMs ?? backoff / 2 + (Math.random() * backoff) / 2,
        giveUpAt - now,
      );
      this.#nextRetryAt = now + delay;
      const suppressed = this.#retryLog.allow();
      if (suppressed !== undefined) {
        this.deps.logger.warn(
          {
            output: this.name,
            attempt: attempt + 1,
            retryInMs: Math.round(delay),
            failuresSinceLastLog: suppressed,
          },
          `forward output: delivery failed, will retry: ${result.message}`,
        );
      }
      if (!(await this.#pause(delay))) return 'stopped';
    }
  }

  /** Dead-letters queued records, parsing each back into the item it was made from. */
  #failRecords(records: readonly QueuedRecord[], message: string): void {
    const items: ForwardItem[] = [];
    for (const r of records) {
      try {
        items.push(itemOf(r));
      } catch (err) {
        items.push({
          kind: 'raw',
          topic: r.topic,
          clientId: r.clientId,
          time: r.time,
          payload: Buffer.from(r.body),
        });
        this.deps.logger.error(
          { err, output: this.name },
          'forward output: a failed record does not parse back',
        );
      }
    }
    this.#fail(items, 'FWD_FAILED', message);
  }

  /** Waits, unless stop() begins: then resolves false at once. */
  async #pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.#drain.signal });
      return true;
    } catch {
      return false;
    }
  }

  #fail(items: readonly ForwardItem[], code: ForwardFailureCode, message: string): void {
    let count = 0;
    for (const item of items) {
      count += item.kind === 'points' ? item.points.length : 1;
      this.deps.onDeadLetter(item, this.name, code, message);
    }
    this.#failed += count;
    this.deps.failed.inc(count);
    // A full queue fails every message that arrives: one line per interval, with the count.
    const suppressed = this.#failLog.allow();
    if (suppressed !== undefined) {
      this.deps.logger.error(
        { output: this.name, code, items: items.length, failuresSinceLastLog: suppressed },
        `forward output: ${message} (kept as dead letters, see GET /api/v1/dead-letters?code=${code})`,
      );
    }
  }
}

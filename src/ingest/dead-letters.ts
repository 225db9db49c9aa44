import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { DeadLetter, TimeSeriesStore } from '../storage/store.js';

const FLUSH_EVERY_MS = 200;
const MAX_BUFFERED = 10_000;
const PRUNE_EVERY_MS = 60_000;

export interface DeadLetterLimits {
  /** Letters older than this are deleted. */
  readonly retentionMs: number;
  readonly maxCount: number;
  readonly maxBytes: number;
  readonly nowMicros: () => number;
}

/**
 * Keeps rejected messages. Records are buffered briefly and appended in batches, off the publish path:
 * a flood of bad payloads costs one insert per 200 ms, not one per message. If the buffer overflows
 * (the store is down), further records are counted as lost and logged instead of growing memory.
 */
export class DeadLetterWriter {
  #buffer: DeadLetter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #lost = 0;
  #pruneTimer: NodeJS.Timeout | undefined;
  readonly #failureLog = new LogThrottle(10_000);

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly logger: Logger,
    private readonly limits?: DeadLetterLimits,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.#timer.unref();
    if (this.limits) {
      void this.prune();
      this.#pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.#pruneTimer.unref();
    }
  }

  /** Applies retention and the size caps (oldest first). Returns how many letters were deleted. */
  async prune(): Promise<number> {
    const limits = this.limits;
    if (!limits) return 0;
    try {
      const deleted = await this.store.pruneDeadLetters({
        before: limits.nowMicros() - limits.retentionMs * 1000,
        maxCount: limits.maxCount,
        maxBytes: limits.maxBytes,
      });
      if (deleted > 0) this.logger.info({ deleted }, 'old dead letters deleted (retention and size cap)');
      return deleted;
    } catch (err) {
      this.logger.warn({ err }, 'could not prune dead letters');
      return 0;
    }
  }

  add(letter: DeadLetter): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      this.#lost++;
      return;
    }
    this.#buffer.push(letter);
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#lost > 0) {
        this.logger.error(
          { lost: this.#lost },
          'dead-letter buffer overflowed; these rejected messages were not kept',
        );
        this.#lost = 0;
      }
      if (this.#buffer.length === 0) return;
      const batch = this.#buffer;
      this.#buffer = [];
      try {
        await this.store.appendDeadLetters(batch);
      } catch (err) {
        const suppressed = this.#failureLog.allow();
        if (suppressed !== undefined) {
          this.logger.error(
            { err, count: batch.length, similarFailuresSinceLastLog: suppressed },
            'could not store dead letters',
          );
        }
      }
    });
    return this.#flushing;
  }

  async stop(): Promise<void> {
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

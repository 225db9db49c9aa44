import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { DeadLetter, TimeSeriesStore } from '../storage/store.js';

const FLUSH_EVERY_MS = 200;
const MAX_BUFFERED = 10_000;

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
  readonly #failureLog = new LogThrottle(10_000);

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.#timer.unref();
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
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

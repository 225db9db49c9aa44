import { AppError } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { Histogram } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import type { RefusedPoint, TimeSeriesStore } from '../storage/store.js';

export interface BatcherOptions {
  readonly store: TimeSeriesStore;
  readonly maxBatchPoints: number;
  readonly maxPendingPoints: number;
  readonly logger: Logger;
  readonly commitSeconds?: Histogram;
  readonly batchPoints?: Histogram;
  /**
   * Called with every committed batch (refused points left out), in commit order, before the submitters'
   * promises resolve: the live stream that alerts evaluate. Must be fast and must not throw.
   */
  readonly onCommitted?: (points: readonly Point[]) => void;
  /**
   * Checks a batch before the store sees it and returns the points to refuse (by index into the batch),
   * e.g. those beyond retention (RetentionPolicies.admit). They are reported like the store's refusals.
   * A rejection fails the batch as a store failure does.
   */
  readonly admit?: (points: readonly Point[]) => Promise<RefusedPoint[]>;
}

interface Submission {
  readonly points: readonly Point[];
  readonly resolve: (refused: RefusedPoint[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Transactions handed to the store at once. The store runs them one after another, in order. */
const MAX_IN_FLIGHT = 2;

/**
 * Group commit. Points submitted while a commit is running wait and go into the next transaction together,
 * so at low load a point commits almost at once and at high load the batches grow by themselves.
 * `submit` resolves only after the transaction holding its points has committed: acknowledged means stored.
 *
 * Pipelining: when at least half a batch is waiting while one commits, it is handed to the store at once
 * (the store runs transactions in order), so the store thread starts the next transaction the moment the
 * last one commits instead of waiting a round trip for it. Below that, points wait and group.
 *
 * Back-pressure: when more than maxPendingPoints wait, `submit` first waits for room; the broker awaits it
 * before reading more from that connection, so a fast publisher is slowed by TCP, not buffered in memory.
 */
export class WriteBatcher {
  #queue: Submission[] = [];
  /** Points submitted and not yet committed (queued or being written): what back-pressure counts. */
  #queuedPoints = 0;
  /** Points queued and not yet handed to the store. */
  #waitingPoints = 0;
  readonly #writing = new Set<Promise<void>>();
  #scheduled = false;
  #stopped = false;
  readonly #roomWaiters: Array<() => void> = [];
  readonly #failureLog = new LogThrottle(10_000);

  constructor(private readonly opts: BatcherOptions) {}

  get pendingPoints(): number {
    return this.#queuedPoints;
  }

  /** Resolves with the points the store refused (by index into `points`) once the rest is committed. */
  submit(points: readonly Point[]): Promise<RefusedPoint[]> {
    if (this.#stopped) return Promise.reject(new AppError('STO_CLOSED', 'the server is shutting down'));
    if (points.length === 0) return Promise.resolve([]);
    if (this.#queuedPoints >= this.opts.maxPendingPoints) return this.#submitWhenRoom(points);
    return this.#enqueue(points);
  }

  async #submitWhenRoom(points: readonly Point[]): Promise<RefusedPoint[]> {
    while (this.#queuedPoints >= this.opts.maxPendingPoints) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
      if (this.#stopped) throw new AppError('STO_CLOSED', 'the server is shutting down');
    }
    return this.#enqueue(points);
  }

  #enqueue(points: readonly Point[]): Promise<RefusedPoint[]> {
    return new Promise<RefusedPoint[]>((resolve, reject) => {
      this.#queue.push({ points, resolve, reject });
      this.#queuedPoints += points.length;
      this.#waitingPoints += points.length;
      this.#schedule();
    });
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing.size > 0) {
      if (this.#queue.length > 0 && this.#writing.size < MAX_IN_FLIGHT) this.#startWrite();
      else await Promise.race(this.#writing);
    }
  }

  /** Refuses new work, then commits everything already accepted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#mayStart()) return;
    this.#scheduled = true;
    // setImmediate lets every packet parsed from the same socket reads join this batch.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#mayStart()) this.#startWrite();
    });
  }

  #mayStart(): boolean {
    if (this.#queue.length === 0) return false;
    if (this.#writing.size === 0) return true;
    return this.#writing.size < MAX_IN_FLIGHT && this.#waitingPoints * 2 >= this.opts.maxBatchPoints;
  }

  #startWrite(): void {
    // Take as many whole submissions as fit, with one slice per batch (Array#shift per item is O(n) each).
    let n = 0;
    let count = 0;
    for (const s of this.#queue) {
      if (n > 0 && count + s.points.length > this.opts.maxBatchPoints) break;
      count += s.points.length;
      n++;
    }
    const batch = n === this.#queue.length ? this.#queue : this.#queue.slice(0, n);
    this.#queue = n === this.#queue.length ? [] : this.#queue.slice(n);
    if (batch.length === 0) return;
    this.#waitingPoints -= count;
    const writing: Promise<void> = this.#commit(batch, count).finally(() => {
      this.#queuedPoints -= count;
      this.#writing.delete(writing);
      this.#wakeWaiters();
      if (this.#queue.length > 0) this.#schedule();
    });
    this.#writing.add(writing);
  }

  async #commit(batch: Submission[], count: number): Promise<void> {
    const points: Point[] = batch.length === 1 ? (batch[0] as Submission).points.slice() : [];
    if (batch.length > 1) for (const s of batch) for (const p of s.points) points.push(p);
    const started = performance.now();
    try {
      const early = this.opts.admit ? await this.opts.admit(points) : [];
      const outcome = await this.opts.store.write(early.length === 0 ? points : without(points, early));
      this.opts.commitSeconds?.observe((performance.now() - started) / 1000);
      this.opts.batchPoints?.observe(count);
      let offset = 0;
      let r = 0;
      const refused = (early.length === 0 ? [...outcome.refused] : merge(early, outcome.refused)).sort(
        (a, b) => a.index - b.index,
      );
      if (this.opts.onCommitted) this.#notify(points, refused);
      for (const s of batch) {
        const mine: RefusedPoint[] = [];
        const end = offset + s.points.length;
        while (r < refused.length && (refused[r] as RefusedPoint).index < end) {
          const x = refused[r++] as RefusedPoint;
          mine.push({ ...x, index: x.index - offset });
        }
        offset = end;
        s.resolve(mine);
      }
    } catch (err) {
      const suppressed = this.#failureLog.allow();
      if (suppressed !== undefined) {
        this.opts.logger.error(
          { err, points: count, similarFailuresSinceLastLog: suppressed },
          'commit failed; the batch was not acknowledged (STO_WRITE_FAILED)',
        );
      }
      for (const s of batch) s.reject(err);
    }
  }

  /** A listener's failure is logged, never turned into a failed commit: the batch is stored. */
  #notify(points: readonly Point[], refused: readonly RefusedPoint[]): void {
    try {
      if (refused.length === 0) this.opts.onCommitted?.(points);
      else {
        const out = new Set(refused.map((r) => r.index));
        this.opts.onCommitted?.(points.filter((_, i) => !out.has(i)));
      }
    } catch (err) {
      this.opts.logger.error({ err }, 'a listener of committed points failed');
    }
  }

  #wakeWaiters(): void {
    while (this.#roomWaiters.length > 0 && this.#queuedPoints < this.opts.maxPendingPoints) {
      (this.#roomWaiters.shift() as () => void)();
    }
  }
}

/** `points` without the refused ones, in order. */
function without(points: readonly Point[], refused: readonly RefusedPoint[]): Point[] {
  const out = new Set(refused.map((r) => r.index));
  return points.filter((_, i) => !out.has(i));
}

/**
 * The early refusals plus the store's, whose indexes count only the points that reached it (those not
 * refused early): mapped back to indexes into the whole batch.
 */
function merge(early: readonly RefusedPoint[], late: readonly RefusedPoint[]): RefusedPoint[] {
  if (late.length === 0) return [...early];
  const out = new Set(early.map((r) => r.index));
  let last = 0;
  for (const r of late) last = Math.max(last, r.index);
  const kept: number[] = [];
  for (let i = 0; kept.length <= last; i++) if (!out.has(i)) kept.push(i);
  return [...early, ...late.map((r) => ({ ...r, index: kept[r.index] as number }))];
}

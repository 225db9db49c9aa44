import type { EpochMicros } from '../core/point.js';
import type { Reducer } from './model.js';

/**
 * Most points one window keeps. A series faster than this over its window (1 kHz over a 100 s window)
 * loses its oldest points early: the window then covers the newest 100,000 points, not the whole span,
 * and `truncated` counts what left early. 100,000 points are 1.6 MB; the cap bounds memory per instance.
 */
export const MAX_WINDOW_POINTS = 100_000;

const MIN_CAPACITY = 4;
const NONE = Number.NEGATIVE_INFINITY;

/** The reducer as a small integer: the hot path switches on it. */
const AVG = 0;
const SUM_KIND = 1;
const COUNT = 2;
const MIN = 3;
const MAX = 4;
const LAST = 5;
const KINDS: Readonly<Record<Reducer, number>> = {
  avg: AVG,
  sum: SUM_KIND,
  count: COUNT,
  min: MIN,
  max: MAX,
  last: LAST,
};

/** A window's contents as saved across a restart: times as offsets back from the window's end (shorter JSON). */
export interface PersistedWindow {
  /** The window's end at `endAt`, both epoch µs. */
  readonly end: number;
  readonly endAt: number;
  readonly started: boolean;
  /** `end - time` of each kept entry, oldest first. */
  readonly ages: number[];
  readonly values: number[];
}

/** Header slots at the start of a window's buffer: its changing numbers, next to its data. */
const END = 0;
const END_AT = 1;
const SUM = 2;
const LAST_TIME = 3;
const LAST_VALUE = 4;
/** Slots for the owner's own numbers (ownerNumber / setOwnerNumber). */
const OWNER = 5;
export const OWNER_SLOTS = 4;
/** Doubles before the ring (a multiple of 2, so pairs stay 16-byte aligned). */
const HEADER = 10;

/**
 * One instance's sliding window over the live stream, reduced in O(1) amortized per point:
 * avg, sum and count keep running sums over a time-ordered queue of every point; min and max keep a
 * monotonic deque (the front is the extreme; entries that can never become it are dropped on arrival);
 * last keeps one point.
 *
 * The window is (end - span, end]. `end` is the latest point time, and it also advances with the clock from
 * the moment that point arrived, so old points fall out when nothing new comes (a tick slides it) and a
 * device whose clock lags keeps a full window. Points at or before end - span on arrival are ignored
 * (late); newer out-of-order points are inserted in time order (rare: O(window) for those).
 *
 * Layout, for the hot path (a batch touches every instance once, so each cache line counts): one
 * Float64Array holds a small header (end, running sum, last point, the owner's numbers: numbers a JS object
 * would keep in separately allocated boxes) and then a circular buffer of interleaved (time, value) pairs with a
 * power-of-two capacity. A point touches the header and one line at each end of the ring; nothing is
 * shifted or compacted on the in-order path.
 */
export class SlidingWindow {
  readonly reducer: Reducer;
  readonly span: EpochMicros;
  readonly maxPoints: number;
  /** Points that left before their time because the window was full (see MAX_WINDOW_POINTS). */
  truncated = 0;
  /** Points ignored because they were older than the window when they arrived. */
  late = 0;

  readonly #kind: number;
  readonly #extreme: boolean;
  readonly #max: boolean;
  /** Header, then pairs [t0, v0, t1, v1, …], circular: logical entry i is at slot (head + i) & mask. */
  #buf: Float64Array;
  #mask: number;
  #head = 0;
  #size = 0;
  /** The most entries held since the last compact(). */
  #peak = 0;
  /** Evictions since the sum was last recomputed from scratch (bounds floating-point drift). */
  #sinceExactSum = 0;
  #started = false;

  constructor(reducer: Reducer, span: EpochMicros, maxPoints = MAX_WINDOW_POINTS) {
    this.reducer = reducer;
    this.span = span;
    this.maxPoints = Math.max(1, maxPoints);
    this.#kind = KINDS[reducer];
    this.#extreme = this.#kind === MIN || this.#kind === MAX;
    this.#max = this.#kind === MAX;
    const capacity = this.#kind === LAST ? 0 : MIN_CAPACITY;
    this.#buf = new Float64Array(HEADER + capacity * 2);
    this.#buf[END] = NONE;
    this.#buf[LAST_TIME] = NONE;
    this.#mask = capacity - 1;
  }

  /**
   * The owner's numbers (slot 0 to OWNER_SLOTS - 1), kept in the window's header: the alert instance
   * keeps its times and value here, in the cache line its window's update touches anyway.
   */
  ownerNumber(slot: number): number {
    return this.#buf[OWNER + slot] as number;
  }

  setOwnerNumber(slot: number, value: number): void {
    this.#buf[OWNER + slot] = value;
  }

  /** Entries held (for min/max: deque entries, usually far fewer than the points in the span). */
  get size(): number {
    return this.#kind === LAST ? ((this.#buf[LAST_TIME] as number) > NONE ? 1 : 0) : this.#size;
  }

  /** Entries the ring has room for before it grows. */
  get capacity(): number {
    return this.#mask + 1;
  }

  /** The window's end at clock time `now`. */
  end(now: EpochMicros): EpochMicros {
    const b = this.#buf;
    const endAt = b[END_AT] as number;
    return (b[END] as number) + (now > endAt ? now - endAt : 0);
  }

  /**
   * Adds a point at time t (the caller caps t at now) and returns the reduced value afterwards, or
   * undefined when there is none. A point older than the window is ignored (counted in `late`).
   */
  update(t: EpochMicros, v: number, now: EpochMicros): number | undefined {
    const b = this.#buf;
    const endAt = b[END_AT] as number;
    let end = (b[END] as number) + (now > endAt ? now - endAt : 0);
    if (t > end) end = t;
    b[END] = end;
    b[END_AT] = now;
    const cutoff = end - this.span;
    if (t <= cutoff) {
      this.late++;
      this.#evict(cutoff);
      return this.#reduce(cutoff);
    }
    this.#started = true;
    if (this.#kind === LAST) {
      // Equal times: the later arrival wins, as the store merges a rewritten point over the earlier one.
      if (t >= (b[LAST_TIME] as number)) {
        b[LAST_TIME] = t;
        b[LAST_VALUE] = v;
      }
      return (b[LAST_TIME] as number) > cutoff ? b[LAST_VALUE] : undefined;
    }
    this.#evict(cutoff);
    if (this.#extreme) this.#addExtreme(t, v);
    else this.#addRunning(t, v);
    return this.#reduce(cutoff);
  }

  /** The reduced value at clock time `now` (sliding first), or undefined when there is none. */
  value(now: EpochMicros): number | undefined {
    const cutoff = this.end(now) - this.span;
    this.#evict(cutoff);
    return this.#reduce(cutoff);
  }

  #reduce(cutoff: number): number | undefined {
    const b = this.#buf;
    switch (this.#kind) {
      case AVG:
        return this.#size === 0 ? undefined : (b[SUM] as number) / this.#size;
      case SUM_KIND:
        return this.#started ? b[SUM] : undefined;
      case COUNT:
        return this.#started ? this.#size : undefined;
      case LAST:
        return (b[LAST_TIME] as number) > cutoff ? b[LAST_VALUE] : undefined;
      default:
        return this.#size === 0 ? undefined : b[HEADER + this.#head * 2 + 1];
    }
  }

  #addRunning(t: number, v: number): void {
    const b = this.#buf;
    if (this.#size >= this.maxPoints) {
      b[SUM] = (b[SUM] as number) - (b[HEADER + this.#head * 2 + 1] as number);
      this.#popFront();
      this.truncated++;
    }
    b[SUM] = (b[SUM] as number) + v;
    if (this.#size === 0 || t >= this.#timeAt(this.#size - 1)) this.#pushBack(t, v);
    else {
      const at = this.#upperBound(t);
      this.#splice(at, at, t, v);
    }
  }

  /**
   * Monotonic deque: times increase and values strictly decrease (max) or increase (min) from the front,
   * so the front is the extreme of the window. An in-order point drops the entries behind it that it beats
   * (they would leave the window first and never be the extreme again).
   */
  #addExtreme(t: number, v: number): void {
    const max = this.#max;
    if (this.#size === 0 || t >= this.#timeAt(this.#size - 1)) {
      while (this.#size > 0 && beats(max, v, this.#valueAt(this.#size - 1))) this.#size--;
      if (this.#size >= this.maxPoints) {
        this.#popFront();
        this.truncated++;
      }
      this.#pushBack(t, v);
      return;
    }
    // A late point: an entry after it in time that is at least as extreme outlives it, so it never counts.
    let at = this.#upperBound(t);
    if (at < this.#size && beats(max, this.#valueAt(at), v)) return;
    if (this.#size >= this.maxPoints) {
      this.#popFront();
      this.truncated++;
      at = Math.max(0, at - 1);
    }
    // Entries before it that it beats leave earlier: replace them (they are a contiguous run ending at `at`).
    let from = at;
    while (from > 0 && beats(max, v, this.#valueAt(from - 1))) from--;
    this.#splice(from, at, t, v);
  }

  #evict(cutoff: number): void {
    if (this.#size === 0) return;
    const b = this.#buf;
    const mask = this.#mask;
    let head = this.#head;
    if ((b[HEADER + head * 2] as number) > cutoff) return;
    let size = this.#size;
    if (this.#extreme) {
      while (size > 0 && (b[HEADER + head * 2] as number) <= cutoff) {
        head = (head + 1) & mask;
        size--;
      }
    } else {
      let sum = b[SUM] as number;
      const before = size;
      while (size > 0 && (b[HEADER + head * 2] as number) <= cutoff) {
        sum -= b[HEADER + head * 2 + 1] as number;
        head = (head + 1) & mask;
        size--;
      }
      b[SUM] = sum;
      this.#sinceExactSum += before - size;
    }
    this.#head = head;
    this.#size = size;
    if (size === 0) {
      this.#head = 0;
      b[SUM] = 0;
      this.#sinceExactSum = 0;
    } else if (!this.#extreme && this.#sinceExactSum > 1024 && this.#sinceExactSum > size) {
      // Amortized O(1): a recomputation over n entries follows at least n evictions.
      let exact = 0;
      for (let i = 0; i < size; i++) exact += this.#valueAt(i);
      b[SUM] = exact;
      this.#sinceExactSum = 0;
    }
  }

  /**
   * Gives memory back after a burst: shrinks the ring when the most it held since the last call used
   * under a quarter of it. Called once a tick, not on every eviction: a min/max deque that swings between
   * 1 and thousands of entries with the signal would otherwise be reallocated over and over.
   */
  compact(): void {
    const capacity = this.#mask + 1;
    const peak = this.#peak;
    this.#peak = this.#size;
    if (capacity <= 64 || peak * 4 >= capacity) return;
    let next = 64;
    while (next < peak * 2) next *= 2;
    this.#resize(next);
  }

  #timeAt(i: number): number {
    return this.#buf[HEADER + ((this.#head + i) & this.#mask) * 2] as number;
  }

  #valueAt(i: number): number {
    return this.#buf[HEADER + ((this.#head + i) & this.#mask) * 2 + 1] as number;
  }

  #pushBack(t: number, v: number): void {
    if (this.#size > this.#mask) this.#resize((this.#mask + 1) * 2);
    const slot = HEADER + ((this.#head + this.#size) & this.#mask) * 2;
    this.#buf[slot] = t;
    this.#buf[slot + 1] = v;
    if (++this.#size > this.#peak) this.#peak = this.#size;
  }

  #popFront(): void {
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
  }

  /** Logical index of the first entry whose time is later than t. */
  #upperBound(t: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#timeAt(mid) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Replaces logical entries [from, to) with (t, v). O(entries after `to`): late points only. */
  #splice(from: number, to: number, t: number, v: number): void {
    const removed = to - from;
    if (removed === 0) {
      if (this.#size > this.#mask) this.#resize((this.#mask + 1) * 2);
      for (let i = this.#size; i > from; i--) this.#setAt(i, this.#timeAt(i - 1), this.#valueAt(i - 1));
      if (++this.#size > this.#peak) this.#peak = this.#size;
    } else if (removed > 1) {
      const shift = removed - 1;
      for (let i = to; i < this.#size; i++) this.#setAt(i - shift, this.#timeAt(i), this.#valueAt(i));
      this.#size -= shift;
    }
    this.#setAt(from, t, v);
  }

  #setAt(i: number, t: number, v: number): void {
    const slot = HEADER + ((this.#head + i) & this.#mask) * 2;
    this.#buf[slot] = t;
    this.#buf[slot + 1] = v;
  }

  /** Copies the header and the entries (in order, from ring slot 0) into a ring of `capacity` entries. */
  #resize(capacity: number): void {
    const next = new Float64Array(HEADER + capacity * 2);
    const buf = this.#buf;
    const size = this.#size;
    const head = this.#head;
    const first = Math.min(size, this.#mask + 1 - head);
    next.set(buf.subarray(0, HEADER), 0);
    next.set(buf.subarray(HEADER + head * 2, HEADER + (head + first) * 2), HEADER);
    if (first < size) next.set(buf.subarray(HEADER, HEADER + (size - first) * 2), HEADER + first * 2);
    this.#buf = next;
    this.#mask = capacity - 1;
    this.#head = 0;
  }

  save(): PersistedWindow {
    const ages: number[] = [];
    const values: number[] = [];
    const b = this.#buf;
    const end = b[END] as number;
    if (this.#kind === LAST) {
      if ((b[LAST_TIME] as number) > NONE) {
        ages.push(end - (b[LAST_TIME] as number));
        values.push(b[LAST_VALUE] as number);
      }
    } else {
      for (let i = 0; i < this.#size; i++) {
        ages.push(end - this.#timeAt(i));
        values.push(this.#valueAt(i));
      }
    }
    return { end, endAt: b[END_AT] as number, started: this.#started, ages, values };
  }

  /** Refills an empty window from save()'s output (entries are trusted to be in time order). */
  load(saved: PersistedWindow): void {
    const b = this.#buf;
    b[END] = saved.end;
    b[END_AT] = saved.endAt;
    this.#started = saved.started;
    const n = Math.min(saved.ages.length, saved.values.length);
    if (this.#kind === LAST) {
      if (n > 0) {
        b[LAST_TIME] = saved.end - (saved.ages[n - 1] as number);
        b[LAST_VALUE] = saved.values[n - 1] as number;
      }
      return;
    }
    this.#head = 0;
    this.#size = 0;
    let sum = 0;
    for (let i = Math.max(0, n - this.maxPoints); i < n; i++) {
      const v = saved.values[i] as number;
      this.#pushBack(saved.end - (saved.ages[i] as number), v);
      sum += v;
    }
    this.#buf[SUM] = sum;
  }
}

/** Does a beat (or tie) b for a max (min) deque? Ties go to the newer entry, which leaves the window later. */
function beats(max: boolean, a: number, b: number): boolean {
  return max ? a >= b : a <= b;
}

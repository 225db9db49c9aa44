import { AppError } from '../../core/errors.js';
import type { EpochMicros } from '../../core/point.js';
import { bucketStart } from '../semantics.js';
import type { RollupLevel, SeriesQuery } from '../store.js';

/**
 * Which parts of a query's range come from which rollup level, and which from raw points. Shared by every
 * driver, so that they all read the same rollup buckets for the same query.
 *
 * A level can serve a query when each of its buckets lies in exactly one of the query's buckets: the
 * query's interval is a multiple of the level's and its offset too (or there is no interval: one bucket
 * spanning the range). It serves the whole level buckets inside the range that are rolled up (before the
 * watermark), not pruned (from prunedBefore on) and not dirty (touched by a late write and not re-rolled
 * yet); the edges and the holes come from finer levels, and in the end from raw points.
 */

/** What a driver knows of one level, at query time. */
export interface LevelView {
  readonly interval: number;
  /** Undefined until the first maintainRollups(): the level serves nothing. */
  readonly watermark: EpochMicros | undefined;
  readonly prunedBefore: EpochMicros;
  readonly dirty: DirtyBuckets;
}

export interface Segment {
  readonly from: EpochMicros;
  /** Exclusive. */
  readonly to: EpochMicros;
  /** The level's interval, or undefined for raw points. */
  readonly level: number | undefined;
}

/** More dirty buckets than this inside a level's range: the level is skipped instead of cut into pieces. */
const MAX_HOLES = 16;

export function planSegments(
  q: Pick<SeriesQuery, 'from' | 'to' | 'interval' | 'offset'>,
  levels: readonly LevelView[],
): Segment[] {
  const usable = levels
    .filter(
      (l) =>
        l.watermark !== undefined &&
        (q.interval === undefined || (q.interval % l.interval === 0 && (q.offset ?? 0) % l.interval === 0)),
    )
    .sort((a, b) => b.interval - a.interval);
  const out: Segment[] = [];
  cover(q.from, q.to, 0, usable, out);
  return out;
}

function cover(from: number, to: number, index: number, levels: readonly LevelView[], out: Segment[]): void {
  if (from >= to) return;
  const level = levels[index];
  if (level === undefined) {
    out.push({ from, to, level: undefined });
    return;
  }
  const i = level.interval;
  const pruned = Number.isFinite(level.prunedBefore) ? ceilTo(level.prunedBefore, i) : from;
  const start = Math.max(ceilTo(from, i), pruned);
  const end = Math.min(bucketStart(to, i), level.watermark as number);
  const holes = start < end ? level.dirty.within(start, end, MAX_HOLES + 1) : [];
  if (start >= end || holes.length > MAX_HOLES) {
    cover(from, to, index + 1, levels, out);
    return;
  }
  cover(from, start, index + 1, levels, out);
  let at = start;
  for (const hole of holes) {
    if (hole > at) out.push({ from: at, to: hole, level: i });
    cover(hole, hole + i, index + 1, levels, out);
    at = hole + i;
  }
  if (at < end) out.push({ from: at, to: end, level: i });
  cover(end, to, index + 1, levels, out);
}

/** The smallest multiple of `interval` ≥ t (bucket starts are aligned to the epoch, offsets aside). */
export function ceilTo(t: number, interval: number): number {
  const floor = bucketStart(t, interval);
  return floor === t ? t : floor + interval;
}

/** Starts of the buckets of one level that late writes touched since they were rolled up. */
export class DirtyBuckets {
  readonly #starts = new Set<EpochMicros>();
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.#starts.size;
  }

  add(start: EpochMicros): boolean {
    if (this.#starts.has(start)) return false;
    this.#starts.add(start);
    if (start < this.#min) this.#min = start;
    if (start > this.#max) this.#max = start;
    return true;
  }

  has(start: EpochMicros): boolean {
    return this.#starts.has(start);
  }

  /** Sorted starts in [from, to), at most `cap` of them (cheap when none can be there). */
  within(from: EpochMicros, to: EpochMicros, cap: number): EpochMicros[] {
    if (to <= this.#min || from > this.#max) return [];
    const out: EpochMicros[] = [];
    for (const s of this.#starts) {
      if (s >= from && s < to) {
        out.push(s);
        if (out.length >= cap) break;
      }
    }
    return out.sort((a, b) => a - b);
  }

  all(): EpochMicros[] {
    return [...this.#starts].sort((a, b) => a - b);
  }

  delete(starts: readonly EpochMicros[]): void {
    for (const s of starts) this.#starts.delete(s);
    if (this.#starts.size === 0) {
      this.#min = Number.POSITIVE_INFINITY;
      this.#max = Number.NEGATIVE_INFINITY;
    }
  }
}

/** Consecutive bucket starts as [from, to) ranges, so that a re-roll runs one statement per run of them. */
export function bucketRanges(
  starts: readonly EpochMicros[],
  interval: number,
): Array<[EpochMicros, EpochMicros]> {
  const out: Array<[EpochMicros, EpochMicros]> = [];
  for (const s of starts) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === s) last[1] = s + interval;
    else out.push([s, s + interval]);
  }
  return out;
}

/** The level's new watermark at `now`: every bucket that has ended. */
export function closedBefore(now: EpochMicros, interval: number): EpochMicros {
  return bucketStart(now, interval);
}

/** Buckets starting before this are older than the level keeps. */
export function pruneBefore(now: EpochMicros, level: RollupLevel): EpochMicros {
  return bucketStart(now - level.keep, level.interval);
}

/** The levels a store runs with: checked, finest first. */
export function checkRollupLevels(levels: readonly RollupLevel[]): RollupLevel[] {
  const seen = new Set<number>();
  for (const l of levels) {
    if (!Number.isSafeInteger(l.interval) || l.interval <= 0) {
      throw new AppError(
        'CFG_INVALID',
        `rollup interval ${l.interval} µs is not a positive integer number of microseconds`,
      );
    }
    if (!(l.keep > 0)) throw new AppError('CFG_INVALID', `rollup keep ${l.keep} µs must be positive`);
    if (seen.has(l.interval))
      throw new AppError('CFG_INVALID', `rollup interval ${l.interval} µs is listed twice`);
    seen.add(l.interval);
  }
  return [...levels].sort((a, b) => a.interval - b.interval);
}

/** The default levels: 1 minute kept 90 days, 1 hour kept 5 years. */
export const DEFAULT_ROLLUPS: readonly RollupLevel[] = [
  { interval: 60_000_000, keep: 90 * 86_400_000_000 },
  { interval: 3_600_000_000, keep: 5 * 365 * 86_400_000_000 },
];

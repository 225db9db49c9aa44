import type { PanelQuery } from '../../../src/dashboards/model';
import type { InfluxSeries } from '../api';

export type Cell = number | string | boolean | null;

/** One line of a chart: a series' column over time. Times ascending, in ms. */
export interface Frame {
  /** Stable identity across refreshes and live updates: query index, measurement, tags, column. */
  readonly key: string;
  label: string;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly field: string;
  readonly queryIndex: number;
  times: number[];
  values: Cell[];
}

export interface PanelData {
  frames: Frame[];
  /** Table panels show results as returned: every column of every series. */
  series: InfluxSeries[];
  /** Per query: an error the server gave for its statement. */
  errors: string[];
}

/** A tag set as `k=v,…` sorted by key: part of a frame's key, from a query answer or a live point alike. */
export const tagKey = (tags: Readonly<Record<string, string>> | undefined) =>
  Object.keys(tags ?? {})
    .sort()
    .map((k) => `${k}=${tags?.[k]}`)
    .join(',');

/** The tags of a live point that name its frame: those the query groups by (all for `*`). */
export function groupTagsOf(
  tags: Readonly<Record<string, string>>,
  groupBy: readonly string[],
): Record<string, string> {
  if (groupBy.includes('*')) return { ...tags };
  const out: Record<string, string> = {};
  for (const k of groupBy) out[k] = tags[k] ?? '';
  return out;
}

/** A frame's identity: live points find the frame a query answer made with it. */
export const frameKey = (
  queryIndex: number,
  measurement: string,
  tags: Readonly<Record<string, string>> | undefined,
  field: string,
) => `${queryIndex}|${measurement}|${tagKey(tags)}|${field}`;

/** InfluxQL series → frames, one per non-time column; labels from the alias or measurement, field and tags. */
export function toFrames(
  queryIndex: number,
  q: PanelQuery,
  series: readonly InfluxSeries[],
  multiQuery: boolean,
): Frame[] {
  const frames: Frame[] = [];
  for (const s of series) {
    const timeCol = s.columns.indexOf('time');
    for (let c = 0; c < s.columns.length; c++) {
      if (c === timeCol) continue;
      const field = s.columns[c] ?? '';
      const times = new Array<number>(s.values.length);
      const values = new Array<Cell>(s.values.length);
      for (let i = 0; i < s.values.length; i++) {
        const row = s.values[i] as Cell[];
        times[i] = timeCol >= 0 ? (row[timeCol] as number) : 0;
        values[i] = row[c] ?? null;
      }
      frames.push({
        key: frameKey(queryIndex, s.name, s.tags, field),
        label: frameLabel(q, s.name, s.tags ?? {}, field, multiQuery || s.columns.length > 2),
        measurement: s.name,
        tags: s.tags ?? {},
        field,
        queryIndex,
        times,
        values,
      });
    }
  }
  return frames;
}

export function frameLabel(
  q: PanelQuery,
  measurement: string,
  tags: Readonly<Record<string, string>>,
  field: string,
  showField: boolean,
): string {
  if (q.alias) {
    return q.alias
      .replace(/\$tag_(\w+)/g, (_, k: string) => tags[k] ?? '')
      .replace(/\$field\b|\$col\b/g, field)
      .replace(/\$measurement\b|\$m\b/g, measurement);
  }
  const entries = Object.entries(tags);
  // One query split by tags: the tag values alone say which line is which (device-1, device-2).
  if (!showField && entries.length > 0) return entries.map(([, v]) => v).join(', ');
  const t = entries.map(([k, v]) => `${k}=${v}`).join(', ');
  const base = `${measurement}.${field}`;
  return t === '' ? base : `${base} {${t}}`;
}

/** The newest non-null value of a frame, with its time. */
export function lastValue(f: Frame): { value: Cell; time: number } | undefined {
  for (let i = f.values.length - 1; i >= 0; i--) {
    const v = f.values[i];
    if (v !== null && v !== undefined) return { value: v, time: f.times[i] ?? 0 };
  }
  return undefined;
}

/** Aggregates that live mode can keep up to date from raw points alone. */
export const LIVE_AGGREGATES = new Set(['raw', 'mean', 'sum', 'count', 'min', 'max', 'first', 'last']);

/** First index whose time is ≥ t (times ascending). */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts a point keeping times ascending (appends in the common case). */
function insertSorted(f: Frame, t: number, v: Cell): void {
  const n = f.times.length;
  if (n === 0 || (f.times[n - 1] ?? 0) <= t) {
    f.times.push(t);
    f.values.push(v);
    return;
  }
  const i = lowerBound(f.times, t);
  f.times.splice(i, 0, t);
  f.values.splice(i, 0, v);
}

interface Bucket {
  start: number;
  sum: number;
  count: number;
  min: number;
  max: number;
  first: Cell;
  last: Cell;
  firstT: number;
  lastT: number;
}

/** Buckets whose state a live frame keeps, newest first: late points for older ones wait for a reload. */
const KEPT_BUCKETS = 16;

/**
 * Keeps one frame up to date from raw points: appends them (raw), or folds them into the bucket they fall in
 * and rewrites that bucket's value. Exact for mean/sum/count/min/max/first/last as long as it saw every raw
 * point of the buckets it builds, which the panel ensures by loading the bucket in progress as raw points.
 *
 * Points come in commit order, not time order (several devices in one frame, late devices): every point
 * after what was loaded counts, in whichever of the recent buckets it falls (their states are kept).
 * Points at or before the loaded data's newest time were in the load and are skipped.
 */
export class LiveFrame {
  readonly #buckets = new Map<number, Bucket>();
  /** The newest point time the load or seed covered. */
  #cutoff = Number.NEGATIVE_INFINITY;

  constructor(
    readonly frame: Frame,
    private readonly aggregate: string,
    private readonly intervalMs: number,
  ) {
    const n = frame.times.length;
    // Raw frames hold point times; a bucketed frame's last time is a bucket start, whose points the seed
    // brings (seed() sets the cutoff from them).
    if (n > 0 && aggregate === 'raw') this.#cutoff = frame.times[n - 1] ?? this.#cutoff;
  }

  /** Seeds from raw points of the bucket in progress (loaded when live mode starts). */
  seed(times: readonly number[], values: readonly Cell[]): void {
    this.#cutoff = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < times.length; i++) this.add(times[i] ?? 0, values[i] ?? null);
    for (const t of times) if (t > this.#cutoff) this.#cutoff = t;
  }

  /** Returns true when the frame changed. */
  add(t: number, v: Cell): boolean {
    if (t <= this.#cutoff) return false;
    const f = this.frame;
    if (this.aggregate === 'raw') {
      insertSorted(f, t, v);
      return true;
    }
    const start = Math.floor(t / this.intervalMs) * this.intervalMs;
    let b = this.#buckets.get(start);
    if (b === undefined) {
      const index = lowerBound(f.times, start);
      if (index < f.times.length && f.times[index] === start) {
        // A fetched bucket without a live state: only the bucket in progress at load has one (the seed);
        // a late point for an older, complete bucket waits for the next reload.
        if (start < this.#newestBucket()) return false;
        f.times.splice(index, 1);
        f.values.splice(index, 1);
      }
      b = { start, sum: 0, count: 0, min: Infinity, max: -Infinity, first: v, last: v, firstT: t, lastT: t };
      this.#buckets.set(start, b);
      if (this.#buckets.size > KEPT_BUCKETS) this.#buckets.delete(Math.min(...this.#buckets.keys()));
      insertSorted(f, start, null);
    }
    if (typeof v === 'number') {
      b.sum += v;
      b.min = Math.min(b.min, v);
      b.max = Math.max(b.max, v);
    }
    b.count++;
    if (t < b.firstT) {
      b.first = v;
      b.firstT = t;
    }
    if (t >= b.lastT) {
      b.last = v;
      b.lastT = t;
    }
    f.values[lowerBound(f.times, start)] = this.#value(b);
    return true;
  }

  #newestBucket(): number {
    const n = this.frame.times.length;
    return n === 0 ? Number.NEGATIVE_INFINITY : (this.frame.times[n - 1] ?? Number.NEGATIVE_INFINITY);
  }

  #value(b: Bucket): Cell {
    switch (this.aggregate) {
      case 'mean':
        return b.count === 0 ? null : b.sum / b.count;
      case 'sum':
        return b.sum;
      case 'count':
        return b.count;
      case 'min':
        return b.min;
      case 'max':
        return b.max;
      case 'first':
        return b.first;
      default:
        return b.last;
    }
  }

  /** Drops points older than `from` (the window slides in live mode). */
  trim(from: number): void {
    const f = this.frame;
    let i = 0;
    while (i < f.times.length && (f.times[i] ?? 0) < from) i++;
    if (i > 0) {
      f.times.splice(0, i);
      f.values.splice(0, i);
    }
  }
}

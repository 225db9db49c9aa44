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

const tagKey = (tags: Readonly<Record<string, string>> | undefined) =>
  Object.keys(tags ?? {})
    .sort()
    .map((k) => `${k}=${tags?.[k]}`)
    .join(',');

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
        key: `${queryIndex}|${s.name}|${tagKey(s.tags)}|${field}`,
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

/**
 * Keeps one frame up to date from raw points: appends them (raw), or folds them into the bucket they fall in
 * and rewrites that bucket's value. Exact for mean/sum/count/min/max/first/last as long as it saw every raw
 * point of the buckets it builds, which the panel ensures by loading the bucket in progress as raw points.
 */
export class LiveFrame {
  #bucket: Bucket | undefined;
  /** The newest point time applied: points at or before it (re-sent, or already loaded) are skipped. */
  #seen = Number.NEGATIVE_INFINITY;

  constructor(
    readonly frame: Frame,
    private readonly aggregate: string,
    private readonly intervalMs: number,
  ) {
    const n = frame.times.length;
    if (n > 0) this.#seen = frame.times[n - 1] ?? this.#seen;
  }

  /** Seeds from raw points of the bucket in progress (loaded when live mode starts). */
  seed(times: readonly number[], values: readonly Cell[]): void {
    this.#seen = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < times.length; i++) this.add(times[i] ?? 0, values[i] ?? null);
  }

  /** Returns true when the frame changed. */
  add(t: number, v: Cell): boolean {
    if (t <= this.#seen) return false;
    this.#seen = t;
    const f = this.frame;
    if (this.aggregate === 'raw') {
      f.times.push(t);
      f.values.push(v);
      return true;
    }
    const start = Math.floor(t / this.intervalMs) * this.intervalMs;
    let b = this.#bucket;
    if (b === undefined || b.start !== start) {
      b = { start, sum: 0, count: 0, min: Infinity, max: -Infinity, first: v, last: v, firstT: t, lastT: t };
      this.#bucket = b;
      const n = f.times.length;
      if (n > 0 && (f.times[n - 1] ?? 0) >= start) {
        // The fetched series already ends in this bucket: replace it, the raw seed holds its points.
        f.times.length = f.values.length = f.times.findIndex((x) => x >= start);
      }
      f.times.push(start);
      f.values.push(null);
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
    f.values[f.values.length - 1] = this.#value(b);
    return true;
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

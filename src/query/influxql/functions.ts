import type { Value } from './evaluate.js';
import { queryError } from './evaluate.js';

/** One point a bucket holds for a field: its time (µs) and value. */
export interface Sample {
  readonly time: number;
  readonly value: Value;
}

/** The result of an aggregate or selector over a bucket; `time` is set by selectors (the chosen point's). */
export interface Reduced {
  readonly value: Value;
  readonly time?: number;
}

export const AGGREGATES = new Set(['mean', 'median', 'mode', 'sum', 'count', 'spread', 'stddev', 'integral']);
export const SELECTORS = new Set(['min', 'max', 'first', 'last', 'percentile', 'sample', 'top', 'bottom']);
export const TRANSFORMS = new Set([
  'derivative',
  'non_negative_derivative',
  'difference',
  'non_negative_difference',
  'moving_average',
  'cumulative_sum',
  'elapsed',
]);
/** Math functions applied value by value. */
export const MATH = new Set(['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log2', 'log10', 'exp', 'pow']);

export function isReducer(name: string): boolean {
  return AGGREGATES.has(name) || SELECTORS.has(name);
}

const numbers = (samples: readonly Sample[]): Sample[] =>
  samples.filter((s) => typeof s.value === 'number') as Sample[];

/**
 * An aggregate (one value for the bucket) or selector (one of the bucket's points) over the samples of
 * a bucket, sorted by time. Empty input: null (count: 0).
 */
export function reduce(name: string, samples: readonly Sample[], arg?: number): Reduced {
  switch (name) {
    case 'count':
      return { value: samples.filter((s) => s.value !== null).length };
    case 'first':
    case 'last': {
      // The earliest (latest) point; among points at the same time the larger value, as InfluxDB does.
      let best: Sample | undefined;
      for (const s of samples) {
        if (s.value === null) continue;
        if (
          best === undefined ||
          (name === 'first' ? s.time < best.time : s.time > best.time) ||
          (s.time === best.time && (s.value as number | string) > (best.value as number | string))
        )
          best = s;
      }
      return best ? { value: best.value, time: best.time } : { value: null };
    }
    default:
      break;
  }
  const nums = numbers(samples);
  if (nums.length === 0) {
    if (samples.some((s) => s.value !== null) && name !== 'mode')
      throw queryError(
        `${name}() needs a numeric field, not a ${typeof samples.find((s) => s.value !== null)?.value}`,
      );
    if (name === 'mode') {
      const any = samples.filter((s) => s.value !== null);
      if (any.length === 0) return { value: null };
      return { value: modeOf(any.map((s) => s.value)) };
    }
    return { value: null };
  }
  const vals = nums.map((s) => s.value as number);
  switch (name) {
    case 'sum':
      return { value: vals.reduce((a, b) => a + b, 0) };
    case 'mean':
      return { value: vals.reduce((a, b) => a + b, 0) / vals.length };
    case 'median': {
      const sorted = [...vals].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return {
        value:
          sorted.length % 2
            ? (sorted[mid] as number)
            : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2,
      };
    }
    case 'mode':
      return { value: modeOf(vals) };
    case 'spread':
      return { value: Math.max(...vals) - Math.min(...vals) };
    case 'stddev': {
      if (vals.length < 2) return { value: null };
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1);
      return { value: Math.sqrt(variance) };
    }
    case 'min': {
      let best = nums[0] as Sample;
      for (const s of nums) if ((s.value as number) < (best.value as number)) best = s;
      return { value: best.value, time: best.time };
    }
    case 'max': {
      let best = nums[0] as Sample;
      for (const s of nums) if ((s.value as number) > (best.value as number)) best = s;
      return { value: best.value, time: best.time };
    }
    case 'percentile': {
      const p = arg ?? Number.NaN;
      if (!(p >= 0 && p <= 100))
        throw queryError('percentile() needs a number 0..100 as its second argument');
      // InfluxDB's nearest-rank percentile over the points sorted by value.
      const sorted = [...nums].sort((a, b) => (a.value as number) - (b.value as number) || a.time - b.time);
      const i = Math.floor((sorted.length * p) / 100 + 0.5) - 1;
      if (i < 0 || i >= sorted.length) return { value: null };
      const s = sorted[i] as Sample;
      return { value: s.value, time: s.time };
    }
    case 'integral': {
      const unit = arg ?? 1_000_000;
      let area = 0;
      for (let i = 1; i < nums.length; i++) {
        const a = nums[i - 1] as Sample;
        const b = nums[i] as Sample;
        area += (((a.value as number) + (b.value as number)) / 2) * ((b.time - a.time) / unit);
      }
      return { value: area };
    }
    default:
      throw queryError(`unsupported function ${name}()`);
  }
}

/** The most frequent value; ties go to the smallest, as in InfluxDB. */
function modeOf(values: readonly Value[]): Value {
  const counts = new Map<Value, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: Value = null;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== null && v !== null && v < best)) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

/** A time series of one column: what transforms work on. Null values are gaps. */
export interface Column {
  time: number[];
  value: Value[];
}

/**
 * Transforms over a column (after aggregation and fill): derivative, difference, moving_average,
 * cumulative_sum, elapsed. Rows they cannot compute (the first ones, nulls) are dropped, as in InfluxDB.
 */
export function transform(
  name: string,
  col: Column,
  arg: number | undefined,
  intervalMicros: number | undefined,
): Column {
  const out: Column = { time: [], value: [] };
  const pts: Array<{ t: number; v: number }> = [];
  for (let i = 0; i < col.time.length; i++) {
    const v = col.value[i];
    if (typeof v === 'number') pts.push({ t: col.time[i] as number, v });
  }
  switch (name) {
    case 'derivative':
    case 'non_negative_derivative': {
      const unit = arg ?? intervalMicros ?? 1_000_000;
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1] as { t: number; v: number };
        const b = pts[i] as { t: number; v: number };
        if (b.t === a.t) continue;
        const d = ((b.v - a.v) / (b.t - a.t)) * unit;
        if (name === 'non_negative_derivative' && d < 0) continue;
        out.time.push(b.t);
        out.value.push(d);
      }
      return out;
    }
    case 'difference':
    case 'non_negative_difference':
      for (let i = 1; i < pts.length; i++) {
        const d = (pts[i] as { v: number }).v - (pts[i - 1] as { v: number }).v;
        if (name === 'non_negative_difference' && d < 0) continue;
        out.time.push((pts[i] as { t: number }).t);
        out.value.push(d);
      }
      return out;
    case 'moving_average': {
      const n = arg ?? Number.NaN;
      if (!(Number.isInteger(n) && n >= 1))
        throw queryError('moving_average() needs a window of at least 1 point');
      let sum = 0;
      for (let i = 0; i < pts.length; i++) {
        sum += (pts[i] as { v: number }).v;
        if (i >= n) sum -= (pts[i - n] as { v: number }).v;
        if (i >= n - 1) {
          out.time.push((pts[i] as { t: number }).t);
          out.value.push(sum / n);
        }
      }
      return out;
    }
    case 'cumulative_sum': {
      let sum = 0;
      for (const p of pts) {
        sum += p.v;
        out.time.push(p.t);
        out.value.push(sum);
      }
      return out;
    }
    case 'elapsed': {
      const unit = arg ?? 0.001;
      for (let i = 1; i < col.time.length; i++) {
        out.time.push(col.time[i] as number);
        out.value.push(((col.time[i] as number) - (col.time[i - 1] as number)) / unit);
      }
      return out;
    }
    default:
      throw queryError(`unsupported function ${name}()`);
  }
}

/** Math functions, value by value. */
export function mathFn(name: string, v: Value, arg?: number): Value {
  if (typeof v !== 'number') return null;
  switch (name) {
    case 'abs':
      return Math.abs(v);
    case 'ceil':
      return Math.ceil(v);
    case 'floor':
      return Math.floor(v);
    case 'round':
      return Math.round(v);
    case 'sqrt':
      return v < 0 ? null : Math.sqrt(v);
    case 'ln':
      return v <= 0 ? null : Math.log(v);
    case 'log2':
      return v <= 0 ? null : Math.log2(v);
    case 'log10':
      return v <= 0 ? null : Math.log10(v);
    case 'exp':
      return Math.exp(v);
    case 'pow':
      return v ** (arg ?? 1);
    default:
      throw queryError(`unsupported function ${name}()`);
  }
}

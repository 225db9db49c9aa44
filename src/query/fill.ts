import type { EpochMicros, FieldValue } from '../core/point.js';

export type Fill = 'none' | 'null' | 'previous' | 'linear' | number;

export interface Column {
  time: EpochMicros[];
  value: Array<FieldValue | null>;
}

/**
 * Turns the store's sparse buckets into one row per bucket over [from, to), as InfluxDB's fill() does.
 * Buckets are aligned to multiples of `interval` since the epoch; `none` returns the input unchanged.
 */
export function fillBuckets(
  sparse: { time: readonly EpochMicros[]; value: readonly FieldValue[] },
  from: EpochMicros,
  to: EpochMicros,
  interval: number,
  fill: Fill,
): Column {
  if (fill === 'none') return { time: [...sparse.time], value: [...sparse.value] };
  const time: EpochMicros[] = [];
  const value: Array<FieldValue | null> = [];
  let j = 0;
  let previous: FieldValue | null = null;
  const start = Math.floor(from / interval) * interval;
  for (let t = start; t < to; t += interval) {
    while (j < sparse.time.length && (sparse.time[j] as number) < t) j++;
    time.push(t);
    if (j < sparse.time.length && sparse.time[j] === t) {
      const v = sparse.value[j] as FieldValue;
      value.push(v);
      previous = v;
      j++;
    } else if (fill === 'previous') {
      value.push(previous);
    } else if (fill === 'null' || fill === 'linear') {
      value.push(null);
    } else {
      value.push(fill);
    }
  }
  if (fill === 'linear') interpolate(time, value);
  return { time, value };
}

function interpolate(time: EpochMicros[], value: Array<FieldValue | null>): void {
  let prev = -1;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number') continue;
    const p = prev >= 0 ? value[prev] : undefined;
    if (typeof p === 'number' && i - prev > 1) {
      const t0 = time[prev] as number;
      const slope = (v - p) / ((time[i] as number) - t0);
      for (let k = prev + 1; k < i; k++) value[k] = p + slope * ((time[k] as number) - t0);
    }
    prev = i;
  }
}

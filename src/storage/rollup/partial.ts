import type { EpochMicros, FieldValue } from '../../core/point.js';
import type { Aggregate, QueryResult, SeriesData, SeriesQuery } from '../store.js';

/**
 * The state an aggregate keeps for one bucket of one group, before it is finished: what a rollup row
 * stores, and what a query combines when it reads a range partly from rollups and partly from raw points.
 * Every aggregate of SeriesQuery finishes from it, and two states of disjoint point sets merge into the
 * state of their union (min, max, first and last with their times, so ties resolve as on raw points).
 */
export interface PartialState {
  count: number;
  /** Meaningful for numbers only. */
  sum: number;
  min: number;
  minTime: EpochMicros;
  max: number;
  maxTime: EpochMicros;
  first: FieldValue;
  firstTime: EpochMicros;
  last: FieldValue;
  lastTime: EpochMicros;
}

/** The state of one point. */
export function pointState(time: EpochMicros, value: FieldValue): PartialState {
  const n = typeof value === 'number' ? value : Number.NaN;
  return {
    count: 1,
    sum: n,
    min: n,
    minTime: time,
    max: n,
    maxTime: time,
    first: value,
    firstTime: time,
    last: value,
    lastTime: time,
  };
}

/**
 * Merges `other` into `into`. Tie rules (the InfluxQL executor's): min and max select the earliest point
 * among equal values; first and last among points at the same time select the larger value.
 */
export function mergeState(into: PartialState, other: PartialState): void {
  into.count += other.count;
  into.sum += other.sum;
  if (other.min < into.min || (other.min === into.min && other.minTime < into.minTime)) {
    into.min = other.min;
    into.minTime = other.minTime;
  }
  if (other.max > into.max || (other.max === into.max && other.maxTime < into.maxTime)) {
    into.max = other.max;
    into.maxTime = other.maxTime;
  }
  if (other.firstTime < into.firstTime || (other.firstTime === into.firstTime && other.first > into.first)) {
    into.first = other.first;
    into.firstTime = other.firstTime;
  }
  if (other.lastTime > into.lastTime || (other.lastTime === into.lastTime && other.last > into.last)) {
    into.last = other.last;
    into.lastTime = other.lastTime;
  }
}

/**
 * The aggregate's row from a finished state. `bucket` undefined: the whole range, where selectors give
 * their point's time and the others `from` (SeriesData's rule).
 */
export function finishState(
  aggregate: Exclude<Aggregate, 'raw'>,
  s: PartialState,
  bucket: EpochMicros | undefined,
  from: EpochMicros,
): { time: EpochMicros; value: FieldValue } {
  switch (aggregate) {
    case 'count':
      return { time: bucket ?? from, value: s.count };
    case 'sum':
      return { time: bucket ?? from, value: s.sum };
    case 'mean':
      return { time: bucket ?? from, value: s.sum / s.count };
    case 'min':
      return { time: bucket ?? s.minTime, value: s.min };
    case 'max':
      return { time: bucket ?? s.maxTime, value: s.max };
    case 'first':
      return { time: bucket ?? s.firstTime, value: s.first };
    case 'last':
      return { time: bucket ?? s.lastTime, value: s.last };
  }
}

/** States by bucket start, finished in bucket order. */
export class StateBuckets {
  readonly #states = new Map<EpochMicros, PartialState>();

  get size(): number {
    return this.#states.size;
  }

  add(bucket: EpochMicros, state: PartialState): void {
    const at = this.#states.get(bucket);
    if (at === undefined) this.#states.set(bucket, { ...state });
    else mergeState(at, state);
  }

  finish(
    aggregate: Exclude<Aggregate, 'raw'>,
    bucketed: boolean,
    from: EpochMicros,
  ): { time: EpochMicros[]; value: FieldValue[] } {
    const time: EpochMicros[] = [];
    const value: FieldValue[] = [];
    for (const bucket of [...this.#states.keys()].sort((a, b) => a - b)) {
      const row = finishState(
        aggregate,
        this.#states.get(bucket) as PartialState,
        bucketed ? bucket : undefined,
        from,
      );
      time.push(row.time);
      value.push(row.value);
    }
    return { time, value };
  }
}

/**
 * Finished states per group (by position) as a query result, the limit applied over all groups in order.
 * Both rollup-keeping drivers answer bucketed aggregates this way, from raw and rolled-up segments alike.
 */
export function finishGroups(
  q: SeriesQuery,
  groups: ReadonlyArray<{ readonly tags: Readonly<Record<string, string>> }>,
  states: readonly (StateBuckets | undefined)[],
): QueryResult {
  if (q.aggregate === 'raw') throw new Error('raw reads have no partial states');
  const out: SeriesData[] = [];
  let budget = q.limit;
  for (let ord = 0; ord < groups.length; ord++) {
    const s = states[ord];
    if (s === undefined || s.size === 0) continue;
    const rows = s.finish(q.aggregate, q.interval !== undefined, q.from);
    if (budget === 0) return { series: out, truncated: true };
    const kept = Math.min(budget, rows.time.length);
    budget -= kept;
    out.push({
      measurement: q.measurement,
      tags: { ...groups[ord]?.tags },
      field: q.field,
      time: rows.time.slice(0, kept),
      value: rows.value.slice(0, kept),
    });
    if (kept < rows.time.length) return { series: out, truncated: true };
  }
  return { series: out, truncated: false };
}

import type { Expr, FillOption } from './ast.js';
import { ColumnRows, type ValueColumn, valueAt } from './column-rows.js';
import { applyBinary, queryError, type Value } from './evaluate.js';
import {
  type Column,
  isReducer,
  MATH,
  mathFn,
  type Reduced,
  reduce,
  type Sample,
  SELECTORS,
  TRANSFORMS,
  transform,
} from './functions.js';

/**
 * Aggregate SELECTs over rows already fetched and filtered: buckets of GROUP BY time (or the whole range),
 * reducers per bucket with fill(), math on top, transforms over the column.
 */

/** A point's fields at one time, with its series' tags. */
export interface Row {
  readonly time: number;
  readonly fields: Record<string, Value>;
  readonly tags: Readonly<Record<string, string>>;
}

/** A function's second argument: a number or a duration (µs). */
export function numberArg(e: Expr | undefined): number | undefined {
  if (e === undefined) return undefined;
  if (e.kind === 'number') return e.value;
  if (e.kind === 'duration') return e.micros;
  throw queryError('expected a number or a duration as the function’s second argument');
}

type Call = Expr & { kind: 'call' };

/**
 * The buckets of an aggregate query and where their reducer values come from: reduced here from the
 * points (RowBuckets), or already by the store (pushdown.ts). Everything after the reducers — fill, math,
 * transforms, shaping — is the same for both.
 */
export interface BucketSource {
  readonly starts: readonly number[];
  /** True where the bucket holds no point at all (fill(none) leaves those buckets out). */
  isEmpty(i: number): boolean;
  /** The reducer's value (and a selector's point time) in bucket i; undefined when it has no samples. */
  reduced(call: Call, i: number): Reduced | undefined;
  /**
   * Optional: the reducer's value in every bucket at once when they are all numbers (NaN: no samples), or
   * undefined to be asked bucket by bucket. Selector times are not part of it.
   */
  numbers?(call: Call): Float64Array | undefined;
}

/** A column's values as an array, NaN of a number column read back as null. */
function valuesOf(col: ValueColumn): readonly Value[] {
  if (!(col instanceof Float64Array)) return col;
  const out: Value[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) out[i] = valueAt(col, i);
  return out;
}

/** Buckets over rows fetched from the store, reduced in JS. */
class RowBuckets implements BucketSource {
  readonly starts: number[];
  readonly #rows: Row[][];

  constructor(starts: number[], rows: Row[][]) {
    this.starts = starts;
    this.#rows = rows;
  }

  isEmpty(i: number): boolean {
    return (this.#rows[i] as Row[]).length === 0;
  }

  reduced(call: Call, i: number): Reduced | undefined {
    const arg = call.args[0] as Expr & { kind: 'ref' };
    const samples: Sample[] = [];
    for (const r of this.#rows[i] as Row[]) {
      const v = r.fields[arg.name];
      if (v !== undefined) samples.push({ time: r.time, value: v });
    }
    if (samples.length === 0) return undefined;
    return reduce(call.name, samples, numberArg(call.args[1]));
  }
}

/**
 * One aggregated column over buckets: reducers over each bucket's samples (fill applied to them), math
 * on top, transforms over the whole column. `times` holds a selector's point time where there is one.
 */
function aggColumn(
  e: Expr,
  buckets: BucketSource,
  fill: FillOption,
  intervalMicros: number | undefined,
): { value: ValueColumn; time: Array<number | undefined> } {
  const n = buckets.starts.length;
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
      return { value: new Array(n).fill(e.value), time: new Array(n) };
    case 'paren':
      return aggColumn(e.expr, buckets, fill, intervalMicros);
    case 'binary': {
      const l = valuesOf(aggColumn(e.left, buckets, fill, intervalMicros).value);
      const r = valuesOf(aggColumn(e.right, buckets, fill, intervalMicros).value);
      return {
        value: l.map((v, i) => {
          const w = r[i] ?? null;
          return v === TRANSFORM_GAP || w === TRANSFORM_GAP ? TRANSFORM_GAP : applyBinary(e.op, v, w);
        }),
        time: new Array(n),
      };
    }
    case 'call': {
      if (isReducer(e.name)) {
        const arg = e.args[0];
        if (arg?.kind !== 'ref') throw queryError(`${e.name}() needs a field as its first argument`);
        // Buckets of GROUP BY time need no selector times: the whole column at once when the source can.
        const numbers = intervalMicros === undefined ? undefined : buckets.numbers?.(e);
        if (numbers !== undefined) {
          fillNumbers(numbers, fill, e.name === 'count' && fill.kind !== 'none' && fill.kind !== 'value');
          return { value: numbers, time: new Array(n) };
        }
        const value: Value[] = [];
        const time: Array<number | undefined> = [];
        let empty = 0;
        for (let i = 0; i < n; i++) {
          const red = buckets.reduced(e, i);
          if (red === undefined) {
            empty++;
            value.push(e.name === 'count' && fill.kind !== 'none' && fill.kind !== 'value' ? 0 : null);
            time.push(undefined);
            continue;
          }
          value.push(red.value);
          time.push(red.time);
        }
        if (empty > 0) applyFill(value, fill);
        return { value, time };
      }
      if (MATH.has(e.name)) {
        const inner = aggColumn(
          e.args[0] ?? { kind: 'number', value: 0, integer: true },
          buckets,
          fill,
          intervalMicros,
        );
        const arg = numberArg(e.args[1]);
        return {
          value: valuesOf(inner.value).map((v) => (v === TRANSFORM_GAP ? v : mathFn(e.name, v, arg))),
          time: inner.time,
        };
      }
      if (TRANSFORMS.has(e.name)) {
        const inner = aggColumn(
          e.args[0] ?? { kind: 'number', value: 0, integer: true },
          buckets,
          fill,
          intervalMicros,
        );
        const col: Column = { time: [...buckets.starts], value: [...valuesOf(inner.value)] };
        const t = transform(e.name, col, numberArg(e.args[1]), intervalMicros);
        const at = new Map(t.time.map((time, i) => [time, t.value[i] ?? null]));
        return {
          value: buckets.starts.map((b) => (at.has(b) ? (at.get(b) as Value) : TRANSFORM_GAP)),
          time: new Array(n),
        };
      }
      throw queryError(`unsupported function ${e.name}()`);
    }
    default:
      throw queryError('a field of an aggregate query must be an aggregate, a selector, or math on them');
  }
}

/** Marks buckets a transform produced no value for (its first rows): those rows are left out. */
export const TRANSFORM_GAP = Symbol('gap') as unknown as Value;

function applyFill(value: Value[], fill: FillOption): void {
  switch (fill.kind) {
    case 'none':
    case 'null':
      return;
    case 'value':
      for (let i = 0; i < value.length; i++) if (value[i] === null) value[i] = fill.value;
      return;
    case 'previous': {
      let prev: Value = null;
      for (let i = 0; i < value.length; i++) {
        if (value[i] === null) value[i] = prev;
        else prev = value[i] as Value;
      }
      return;
    }
    case 'linear': {
      let last = -1;
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        if (typeof v !== 'number') continue;
        if (last >= 0 && i - last > 1) {
          const a = value[last] as number;
          for (let j = last + 1; j < i; j++) value[j] = a + ((v - a) * (j - last)) / (i - last);
        }
        last = i;
      }
      return;
    }
  }
}

/**
 * applyFill over a number column whose NaN are empty buckets; `countZero`: they are a count's, which is 0
 * where nothing was counted (unless fill(none) or fill(<n>) says otherwise), as on the row-by-row path.
 */
function fillNumbers(value: Float64Array, fill: FillOption, countZero: boolean): void {
  if (countZero) {
    for (let i = 0; i < value.length; i++) if (Number.isNaN(value[i])) value[i] = 0;
    return;
  }
  switch (fill.kind) {
    case 'none':
    case 'null':
      return;
    case 'value':
      for (let i = 0; i < value.length; i++) if (Number.isNaN(value[i])) value[i] = fill.value;
      return;
    case 'previous': {
      let prev = Number.NaN;
      for (let i = 0; i < value.length; i++) {
        if (Number.isNaN(value[i])) value[i] = prev;
        else prev = value[i] as number;
      }
      return;
    }
    case 'linear': {
      let last = -1;
      for (let i = 0; i < value.length; i++) {
        const v = value[i] as number;
        if (Number.isNaN(v)) continue;
        if (last >= 0 && i - last > 1) {
          const a = value[last] as number;
          for (let j = last + 1; j < i; j++) value[j] = a + ((v - a) * (j - last)) / (i - last);
        }
        last = i;
      }
      return;
    }
  }
}

/** The bucket starts of GROUP BY time over [from, to]; refuses more than maxPoints of them. */
export function bucketStarts(
  from: number,
  to: number,
  interval: number,
  offset: number,
  maxPoints: number,
): number[] {
  if (interval <= 0) throw queryError('GROUP BY time() needs a positive interval');
  const first = Math.floor((from - offset) / interval) * interval + offset;
  const count = Math.floor((to - first) / interval) + 1;
  if (count > maxPoints)
    throw queryError(
      `GROUP BY time(${interval / 1000}ms) makes ${count} buckets, more than query.maxPoints (${maxPoints})`,
    );
  const starts: number[] = new Array(count);
  for (let i = 0; i < count; i++) starts[i] = first + i * interval;
  return starts;
}

export function bucketedRows(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  rows: readonly Row[],
  from: number,
  to: number,
  interval: number,
  offset: number,
  fill: FillOption,
  maxPoints: number,
): ColumnRows {
  const starts = bucketStarts(from, to, interval, offset, maxPoints);
  const perBucket: Row[][] = [];
  let j = 0;
  while (j < rows.length && (rows[j] as Row).time < (starts[0] as number)) j++;
  for (const start of starts) {
    const end = start + interval;
    const bucketRows: Row[] = [];
    while (j < rows.length && (rows[j] as Row).time < end) bucketRows.push(rows[j++] as Row);
    perBucket.push(bucketRows);
  }
  return bucketedValues(columns, new RowBuckets(starts, perBucket), fill, interval);
}

/** The rows of GROUP BY time from reducer values per bucket, as columns. */
export function bucketedValues(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  buckets: BucketSource,
  fill: FillOption,
  interval: number,
): ColumnRows {
  const cols = columns.map((c) => aggColumn(c.expr, buckets, fill, interval).value);
  const n = buckets.starts.length;
  // Every bucket is a row (number columns have no transform gaps): one index list for every series.
  if (fill.kind !== 'none' && cols.every((c) => c instanceof Float64Array))
    return new ColumnRows(buckets.starts, cols, everyBucket(n));
  const at = new Int32Array(n);
  let k = 0;
  // A bucket is a row unless fill(none) leaves it out or a transform has no value there yet.
  rows: for (let i = 0; i < n; i++) {
    if (fill.kind === 'none' && buckets.isEmpty(i)) continue;
    for (const col of cols) if (!(col instanceof Float64Array) && col[i] === TRANSFORM_GAP) continue rows;
    at[k++] = i;
  }
  return new ColumnRows(buckets.starts, cols, k === n ? at : at.slice(0, k));
}

/** 0, 1, … n - 1, shared (no one writes into a ColumnRows' index list). */
let identity = new Int32Array(0);
function everyBucket(n: number): Int32Array {
  if (identity.length !== n) identity = Int32Array.from({ length: n }, (_, i) => i);
  return identity;
}

/** An aggregate without GROUP BY time: one row; a lone selector gives its point's time. */
export function wholeRangeRow(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  rows: readonly Row[],
  rangeStart: number,
): Value[][] {
  return wholeRangeValues(columns, new RowBuckets([rangeStart], [rows as Row[]]));
}

/** wholeRangeRow from reducer values: `buckets` has one bucket, starting at the range start. */
export function wholeRangeValues(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  buckets: BucketSource,
): Value[][] {
  const rangeStart = buckets.starts[0] as number;
  const cols = columns.map((c) => aggColumn(c.expr, buckets, { kind: 'null' }, undefined));
  const selectors = columns.filter((c) => c.expr.kind === 'call' && SELECTORS.has(c.expr.name));
  const lone = columns.length === 1 && selectors.length === 1;
  const time = lone ? (cols[0]?.time[0] ?? rangeStart) : rangeStart;
  const vals = cols.map((c) => valueAt(c.value, 0));
  if (vals.some((v) => v === TRANSFORM_GAP))
    throw queryError('transforms need GROUP BY time() in an aggregate query');
  return [[time, ...vals]];
}

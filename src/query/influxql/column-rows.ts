import type { Value } from './evaluate.js';

/**
 * One column of a bucketed result: numbers in a Float64Array (NaN stands for null), or values of any type.
 * A dashboard query over 1,000 series in 1-minute buckets has 1.44 million values per column; as a
 * Float64Array they are one allocation instead of a boxed number each.
 */
export type ValueColumn = Float64Array | readonly Value[];

/** The value of a column at an index, NaN read back as null. */
export function valueAt(col: ValueColumn, i: number): Value {
  const v = col[i];
  if (v === undefined) return null;
  return typeof v === 'number' && Number.isNaN(v) && col instanceof Float64Array ? null : v;
}

/**
 * A series' rows held as columns, as GROUP BY time makes them: row k is the bucket `at[k]`, its start
 * `time[at[k]]` then each column's value there. Shaping (ORDER BY time DESC, OFFSET, LIMIT) moves indexes,
 * not values, and the JSON writer reads the columns directly; `toRows()` makes the row arrays the other
 * consumers read.
 */
export class ColumnRows {
  readonly time: readonly number[];
  readonly cols: readonly ValueColumn[];
  /** Bucket index of each row, in output order. */
  readonly at: Int32Array;

  constructor(time: readonly number[], cols: readonly ValueColumn[], at: Int32Array) {
    this.time = time;
    this.cols = cols;
    this.at = at;
  }

  get length(): number {
    return this.at.length;
  }

  row(k: number): Value[] {
    const i = this.at[k] as number;
    const row: Value[] = new Array(this.cols.length + 1);
    row[0] = this.time[i] as number;
    for (let c = 0; c < this.cols.length; c++) row[c + 1] = valueAt(this.cols[c] as ValueColumn, i);
    return row;
  }

  toRows(): Value[][] {
    const out: Value[][] = new Array(this.at.length);
    for (let k = 0; k < this.at.length; k++) out[k] = this.row(k);
    return out;
  }

  /** Rows [start, end) (end clamped), as Array#slice. */
  slice(start: number, end?: number): ColumnRows {
    return new ColumnRows(this.time, this.cols, this.at.slice(start, end));
  }

  reversed(): ColumnRows {
    return new ColumnRows(this.time, this.cols, this.at.slice().reverse());
  }
}

/** A result series' values: row arrays, or rows held as columns. */
export type SeriesValues = Value[][] | ColumnRows;

/** The values as row arrays (a copy when they are columns). */
export function rowsOf(values: SeriesValues): Value[][] {
  return values instanceof ColumnRows ? values.toRows() : values;
}

import type { DuckDBValue } from '@duckdb/node-api';
import type { EpochMicros, FieldType, FieldValue } from '../../core/point.js';
import { bucketStart, memberPositions } from '../semantics.js';
import type { QueryResult, SeriesData, SeriesQuery } from '../store.js';
import type { CatalogEntry } from './catalog.js';

/**
 * SeriesQuery → one SQL statement over `samples`, and its rows back into SeriesData.
 *
 * Every number spliced into the SQL is an integer we own (sids) or one semantics.validateQuery has
 * checked to be a safe integer (times, interval, limit); no caller string ever reaches the text, which
 * keeps constants visible to DuckDB's zone-map pruning without a round of parameter binding.
 */

const epoch = (column: string): string => `epoch_us(${column})`;

/** One output series: the tags it carries and the catalog entries (sids) aggregated into it. */
export interface QueryGroup {
  readonly tags: Readonly<Record<string, string>>;
  readonly members: readonly CatalogEntry[];
}

/**
 * How a statement selects its series and maps each to its output position (`ord`). The general form is a
 * `sel(sid, ord)` relation joined in: two lists unnested, not a VALUES row per sid (DuckDB binds a
 * 1,000-row VALUES in ~8 ms, longer than the `last()` it serves), plus a constant `sid BETWEEN` bound that
 * lets the scan skip row groups by their `sid` zone maps (compacted slices hold a few series per row
 * group). A few series that are each their own group need no join: `sid IN (…)` and a CASE for `ord`
 * (a one-series read took 0.98 ms with the join and 0.48 ms without).
 */
export interface SidSelection {
  /** The `WITH` entry defining `sel`, or '' when there is none. */
  readonly cte: string;
  /** `table`, joined with `sel` when there is one. */
  from(table: string): string;
  /** The output position of a row of `table`. */
  ord(table: string): string;
  /** The condition on `table.sid`. */
  where(table: string): string;
}

/** Single-series groups up to this many are selected without a join. */
const DIRECT_SERIES = 16;

export function selectSids(groups: readonly QueryGroup[]): SidSelection {
  const { ids: sids, ords } = memberPositions(groups);
  if (sids.length <= DIRECT_SERIES && sids.length === groups.length) {
    const list = sids.join(', ');
    return {
      cte: '',
      from: (table) => table,
      ord: (table) =>
        sids.length === 1
          ? '0::INTEGER'
          : `(CASE ${table}.sid ${sids.map((sid, i) => `WHEN ${sid} THEN ${ords[i]}`).join(' ')} END)::INTEGER`,
      where: (table) => (sids.length === 1 ? `${table}.sid = ${list}` : `${table}.sid IN (${list})`),
    };
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const sid of sids) {
    if (sid < lo) lo = sid;
    if (sid > hi) hi = sid;
  }
  return {
    cte: `sel AS (SELECT unnest([${sids.join(', ')}]::UINTEGER[]) AS sid, unnest([${ords.join(', ')}]::INTEGER[]) AS ord)`,
    from: (table) => `${table} JOIN sel ON ${table}.sid = sel.sid`,
    ord: () => 'sel.ord',
    where: (table) => `${table}.sid BETWEEN ${lo} AND ${hi}`,
  };
}

/** `WITH` and the given entries, or nothing when there are none. */
export function withClause(...entries: string[]): string {
  const kept = entries.filter((e) => e !== '');
  return kept.length === 0 ? '' : `WITH ${kept.join(',\n    ')}\n    `;
}

/**
 * Floor to a multiple of the interval since the epoch plus the offset; `%` truncates toward zero, hence
 * the double mod.
 */
export function bucketSql(t: string, interval: number, offset: number): string {
  const shifted = offset === 0 ? t : `(${t} - ${offset})`;
  return `(${t} - ((${shifted} % ${interval}) + ${interval}) % ${interval})`;
}

/**
 * `groups` are in the order results must come out; a group's position is `ord`. `merged`: some group
 * holds more than one series, so points of different series can share a time and first/last must break
 * the tie toward the larger value (as the InfluxQL executor does). Bucketed aggregates come out in (ord,
 * t) order only when `ordered`: sorting a million groups in SQL costs more than placing them in JS
 * (orderBucketRows).
 */
export function compileSeriesQuery(
  q: SeriesQuery,
  groups: readonly QueryGroup[],
  type: FieldType,
  ordered = true,
): string {
  const sel = selectSids(groups);
  const merged = groups.some((g) => g.members.length > 1);
  const where = [
    sel.where('samples'),
    `samples.ts >= make_timestamp(${q.from}::BIGINT)`,
    `samples.ts < make_timestamp(${q.to}::BIGINT)`,
  ].join(' AND ');
  const select = (
    time: string,
    value: string,
  ): string => `${withClause(sel.cte)}SELECT ${sel.ord('samples')} AS ord, ${time} AS t, ${value} AS val
    FROM ${sel.from('samples')}
    WHERE ${where}`;
  const valueColumn = type === 'string' ? 's' : 'v';
  const limit = `LIMIT ${q.limit + 1}`;

  if (q.aggregate === 'raw') {
    return `${select(`${epoch('samples.ts')}::DOUBLE`, valueColumn)} ORDER BY ord, samples.ts ${limit}`;
  }
  const value = aggregateValue(q, valueColumn, merged);
  if (q.interval !== undefined) {
    const bucket = `${bucketSql(epoch('samples.ts'), q.interval, q.offset ?? 0)}::DOUBLE`;
    return `${select(bucket, value)} GROUP BY ord, t${ordered ? ' ORDER BY ord, t' : ''} ${limit}`;
  }
  return `${select(selectedTime(q), value)} GROUP BY ord ORDER BY ord ${limit}`;
}

function aggregateValue(q: SeriesQuery, valueColumn: string, merged: boolean): string {
  switch (q.aggregate) {
    case 'mean':
      return 'avg(v)';
    case 'sum':
      return 'sum(v)';
    case 'min':
      return 'min(v)';
    case 'max':
      return 'max(v)';
    case 'count':
      return 'count(*)::DOUBLE';
    case 'first':
      if (!merged) return `arg_min(${valueColumn}, samples.ts)`;
      return valueColumn === 's'
        ? 'first(s ORDER BY samples.ts ASC, s DESC)'
        : 'arg_min(v, (samples.ts, -v))';
    case 'last':
      if (!merged) return `arg_max(${valueColumn}, samples.ts)`;
      return valueColumn === 's'
        ? 'first(s ORDER BY samples.ts DESC, s DESC)'
        : 'arg_max(v, (samples.ts, v))';
    case 'raw':
      throw new Error('raw is not an aggregate');
  }
}

/** The time reported for an aggregate over the whole range (no interval). */
function selectedTime(q: SeriesQuery): string {
  const t = epoch('samples.ts');
  switch (q.aggregate) {
    case 'first':
      return `${epoch('min(samples.ts)')}::DOUBLE`;
    case 'last':
      return `${epoch('max(samples.ts)')}::DOUBLE`;
    // The struct breaks ties between equal values toward the earliest point, as the memory store does.
    case 'min':
      return `${epoch('arg_min(samples.ts, (v, samples.ts))')}::DOUBLE`;
    case 'max':
      return `${epoch(`arg_max(samples.ts, (v, -${t}))`)}::DOUBLE`;
    default:
      return `${q.from}::DOUBLE`;
  }
}

/**
 * `last()` over the whole range (no GROUP BY time) needs each series' newest point in range. When every
 * selected series' newest time, as the catalog has it, is before `to`, that point is the one, and all of
 * them are at or after the least of those times: the range narrows to start there, and DuckDB skips all
 * but the newest row groups by their `ts` zone maps. The catalog's time is never later than a point the
 * series still has (retention deletes only its oldest points, and a later write only adds newer ones).
 * Series with nothing from `from` on are left out of the least time. Returns the query unchanged when it
 * cannot narrow, `undefined` when no selected series has a point in range.
 */
export function narrowLast(
  q: SeriesQuery,
  series: readonly CatalogEntry[],
  newest: (sid: number) => EpochMicros,
): SeriesQuery | undefined {
  if (q.aggregate !== 'last' || q.interval !== undefined) return q;
  let least = Number.POSITIVE_INFINITY;
  for (const e of series) {
    const t = newest(e.id);
    if (t >= q.to) return q;
    if (t >= q.from && t < least) least = t;
  }
  if (least === Number.POSITIVE_INFINITY) return undefined;
  return least > q.from ? { ...q, from: least } : q;
}

/**
 * Rows of a bucketed aggregate read in any order (ord INTEGER, t DOUBLE, val DOUBLE), put in (ord, t)
 * order: each row goes to its slot in a table of groups × buckets of the range, which is then walked. When
 * that table would be much larger than the rows (a long range of tiny buckets, sparsely filled), a sort.
 */
export function orderBucketRows(
  columns: [Int32Array, Float64Array, Float64Array],
  q: SeriesQuery & { readonly interval: number },
  groupCount: number,
): [Int32Array, Float64Array, Float64Array] {
  const [ords, times, values] = columns;
  const n = ords.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const a = ords[i - 1] as number;
    const b = ords[i] as number;
    sorted = a < b || (a === b && (times[i - 1] as number) < (times[i] as number));
  }
  if (sorted) return columns;
  const first = bucketStart(q.from, q.interval, q.offset ?? 0);
  const buckets = Math.floor((q.to - 1 - first) / q.interval) + 1;
  const order =
    groupCount * buckets <= Math.max(4 * n, 1 << 20)
      ? placeInSlots(ords, times, groupCount, buckets, first, q.interval)
      : undefined;
  const sortedOrder =
    order ??
    Int32Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (ords[a] as number) - (ords[b] as number) || (times[a] as number) - (times[b] as number),
    );
  const o = new Int32Array(n);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = sortedOrder[k] as number;
    o[k] = ords[i] as number;
    t[k] = times[i] as number;
    v[k] = values[i] as number;
  }
  return [o, t, v];
}

/** Row indexes in (ord, bucket) order by slot, or undefined when a time is not a bucket start of the range. */
function placeInSlots(
  ords: Int32Array,
  times: Float64Array,
  groupCount: number,
  buckets: number,
  first: number,
  interval: number,
): Int32Array | undefined {
  const slots = new Int32Array(groupCount * buckets).fill(-1);
  for (let i = 0; i < ords.length; i++) {
    const k = ((times[i] as number) - first) / interval;
    const ord = ords[i] as number;
    if (!Number.isInteger(k) || k < 0 || k >= buckets || ord < 0 || ord >= groupCount) return undefined;
    slots[ord * buckets + k] = i;
  }
  const order = new Int32Array(ords.length);
  let at = 0;
  for (let s = 0; s < slots.length; s++) if ((slots[s] as number) >= 0) order[at++] = slots[s] as number;
  return at === ords.length ? order : undefined;
}

/** Whether a query's `val` column is DOUBLE (read with readNumberColumns), not VARCHAR. */
export function numericResult(q: SeriesQuery, type: FieldType): boolean {
  return type !== 'string' || q.aggregate === 'count';
}

/**
 * Rows are (ord, t, val) ordered by ord then t, at most limit + 1 of them: typed arrays (numericResult) or
 * DuckDB values.
 */
export function decodeSeriesRows(
  columns: readonly ArrayLike<DuckDBValue>[],
  q: SeriesQuery,
  groups: readonly QueryGroup[],
  type: FieldType,
): QueryResult {
  const [ords = [], times = [], values = []] = columns;
  const truncated = ords.length > q.limit;
  const rowCount = Math.min(ords.length, q.limit);
  const out: SeriesData[] = [];
  const decode = valueDecoder(q, type);
  let time: EpochMicros[] = [];
  let value: FieldValue[] = [];
  let currentOrd = -1;
  for (let i = 0; i < rowCount; i++) {
    const ord = ords[i] as number;
    if (ord !== currentOrd) {
      const group = groups[ord] as QueryGroup;
      time = [];
      value = [];
      currentOrd = ord;
      out.push({ measurement: q.measurement, tags: { ...group.tags }, field: q.field, time, value });
    }
    time.push(times[i] as number);
    value.push(decode(values[i] as DuckDBValue));
  }
  return { series: out, truncated };
}

function valueDecoder(q: SeriesQuery, type: FieldType): (v: DuckDBValue) => FieldValue {
  if (q.aggregate === 'count' || type === 'float') return (v) => v as number;
  if (type === 'boolean') return (v) => v !== 0;
  return (v) => v as string;
}

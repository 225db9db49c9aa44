import type { DuckDBValue } from '@duckdb/node-api';
import type { EpochMicros, FieldType, FieldValue } from '../../core/point.js';
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
 * The `sel(sid, ord)` relation (which output series, by position, each sid feeds) and a `BETWEEN` bound on
 * the sids. Two lists unnested, not a VALUES row per sid: DuckDB binds a 1,000-row VALUES in ~8 ms, longer
 * than the `last()` it serves. The join selects the sids exactly; the bound, a constant, lets the scan
 * skip row groups by their `sid` zone maps (compacted slices hold a few series per row group).
 */
export function selectedValues(groups: readonly QueryGroup[]): { sel: string; sidRange: string } {
  const sids: number[] = [];
  const ords: number[] = [];
  groups.forEach((g, ord) => {
    for (const e of g.members) {
      sids.push(e.id);
      ords.push(ord);
    }
  });
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const sid of sids) {
    if (sid < lo) lo = sid;
    if (sid > hi) hi = sid;
  }
  return {
    sel: `sel AS (SELECT unnest([${sids.join(', ')}]::UINTEGER[]) AS sid, unnest([${ords.join(', ')}]::INTEGER[]) AS ord)`,
    sidRange: `BETWEEN ${lo} AND ${hi}`,
  };
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
 * the tie toward the larger value (as the InfluxQL executor does).
 */
export function compileSeriesQuery(q: SeriesQuery, groups: readonly QueryGroup[], type: FieldType): string {
  const { sel, sidRange } = selectedValues(groups);
  const merged = groups.some((g) => g.members.length > 1);
  const where = [
    `samples.sid ${sidRange}`,
    `samples.ts >= make_timestamp(${q.from}::BIGINT)`,
    `samples.ts < make_timestamp(${q.to}::BIGINT)`,
  ].join(' AND ');
  const select = (time: string, value: string): string => `WITH ${sel}
    SELECT sel.ord AS ord, ${time} AS t, ${value} AS val
    FROM samples JOIN sel ON samples.sid = sel.sid
    WHERE ${where}`;
  const valueColumn = type === 'string' ? 's' : 'v';
  const limit = `LIMIT ${q.limit + 1}`;

  if (q.aggregate === 'raw') {
    return `${select(`${epoch('samples.ts')}::DOUBLE`, valueColumn)} ORDER BY ord, samples.ts ${limit}`;
  }
  const value = aggregateValue(q, valueColumn, merged);
  if (q.interval !== undefined) {
    const bucket = `${bucketSql(epoch('samples.ts'), q.interval, q.offset ?? 0)}::DOUBLE`;
    return `${select(bucket, value)} GROUP BY ord, t ORDER BY ord, t ${limit}`;
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

/** Rows are (ord, t, val) ordered by ord then t, at most limit + 1 of them. */
export function decodeSeriesRows(
  columns: readonly (readonly DuckDBValue[])[],
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

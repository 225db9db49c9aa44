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

/** `series` is sorted in the order results must come out (by series key); its position is `ord`. */
export function compileSeriesQuery(q: SeriesQuery, series: readonly CatalogEntry[], type: FieldType): string {
  const sids = series.map((e) => e.id);
  const selected = series.map((e, ord) => `(${e.id}, ${ord})`).join(', ');
  const where = [
    `samples.sid IN (${sids.join(', ')})`,
    `samples.ts >= make_timestamp(${q.from}::BIGINT)`,
    `samples.ts < make_timestamp(${q.to}::BIGINT)`,
  ].join(' AND ');
  const select = (time: string, value: string): string => `WITH sel(sid, ord) AS (VALUES ${selected})
    SELECT sel.ord AS ord, ${time} AS t, ${value} AS val
    FROM samples JOIN sel ON samples.sid = sel.sid
    WHERE ${where}`;
  const valueColumn = type === 'string' ? 's' : 'v';
  const limit = `LIMIT ${q.limit + 1}`;

  if (q.aggregate === 'raw') {
    return `${select(`${epoch('samples.ts')}::DOUBLE`, valueColumn)} ORDER BY ord, samples.ts ${limit}`;
  }
  const value = aggregateValue(q, valueColumn);
  if (q.interval !== undefined) {
    const i = q.interval;
    const t = epoch('samples.ts');
    // Floor to a multiple of the interval since the epoch; `%` truncates toward zero, hence the double mod.
    const bucket = `(${t} - ((${t} % ${i}) + ${i}) % ${i})::DOUBLE`;
    return `${select(bucket, value)} GROUP BY ord, t ORDER BY ord, t ${limit}`;
  }
  return `${select(selectedTime(q), value)} GROUP BY ord ORDER BY ord ${limit}`;
}

function aggregateValue(q: SeriesQuery, valueColumn: string): string {
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
      return `arg_min(${valueColumn}, samples.ts)`;
    case 'last':
      return `arg_max(${valueColumn}, samples.ts)`;
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

/** Rows are (ord, t, val) ordered by ord then t, at most limit + 1 of them. */
export function decodeSeriesRows(
  columns: readonly (readonly DuckDBValue[])[],
  q: SeriesQuery,
  series: readonly CatalogEntry[],
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
      const entry = series[ord] as CatalogEntry;
      time = [];
      value = [];
      currentOrd = ord;
      out.push({ measurement: entry.measurement, tags: { ...entry.tags }, field: entry.field, time, value });
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

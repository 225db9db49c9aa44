import type { Segment } from '../rollup/plan.js';
import type { SeriesQuery } from '../store.js';
import { bucketSql, type QueryGroup, type SidSelection, selectSids, withClause } from './query-sql.js';
import { rollupTable } from './rollups.js';

/**
 * SQL of the DuckDB rollup read: a pushed-down aggregate over segments of a query's range (planned by
 * rollup/plan.ts), each from one level's table or from raw samples, as one statement.
 */

/** The partial-state columns of a segment's rows, in order: what a level table stores per row. */
const STATE_COLUMNS = [
  'n',
  'total',
  'lo',
  'lo_time',
  'hi',
  'hi_time',
  'first',
  'first_time',
  'last',
  'last_time',
];

/** A raw point as a partial state (PartialState's pointState): `us` is its time in µs. */
const POINT_STATE: Readonly<Record<string, string>> = {
  n: '1::DOUBLE',
  total: 'v',
  lo: 'v',
  lo_time: 'us',
  hi: 'v',
  hi_time: 'us',
  first: 'v',
  first_time: 'us',
  last: 'v',
  last_time: 'us',
};

/**
 * One segment's rows as partial states with the query's bucket (ord, b, then STATE_COLUMNS): a level
 * table's rows as they are, raw points one state each. The outer query merges them per (ord, b), so
 * neither is grouped here. Columns an aggregate does not need are NULL.
 */
function segmentRows(q: SeriesQuery, segment: Segment, sel: SidSelection): string {
  // Columns an aggregate does not need are NULL: count needs n, mean and sum n and total, min lo and
  // lo_time, and so on.
  const stem =
    q.aggregate === 'mean' || q.aggregate === 'sum'
      ? 'total'
      : q.aggregate === 'min'
        ? 'lo'
        : q.aggregate === 'max'
          ? 'hi'
          : q.aggregate;
  const wanted = (column: string): boolean => column === 'n' || column === stem || column === `${stem}_time`;
  const bucket = (t: string): string =>
    q.interval === undefined ? `${q.from}` : bucketSql(t, q.interval, q.offset ?? 0);
  if (segment.level === undefined) {
    const cols = STATE_COLUMNS.map((c) => (wanted(c) ? POINT_STATE[c] : 'NULL'));
    return `SELECT ord, ${bucket('us')} AS b, ${cols.join(', ')}
      FROM (SELECT ${sel.ord('samples')} AS ord, epoch_us(samples.ts) AS us, samples.v FROM ${sel.from('samples')}
            WHERE ${sel.where('samples')} AND samples.ts >= make_timestamp(${segment.from}::BIGINT)
              AND samples.ts < make_timestamp(${segment.to}::BIGINT))`;
  }
  const t = rollupTable(segment.level);
  const cols = STATE_COLUMNS.map((c) => (wanted(c) ? `${t}.${c}` : 'NULL'));
  return `SELECT ${sel.ord(t)} AS ord, ${bucket(`${t}.bucket`)} AS b, ${cols.join(', ')}
    FROM ${sel.from(t)}
    WHERE ${sel.where(t)} AND ${t}.bucket >= ${segment.from} AND ${t}.bucket < ${segment.to}`;
}

/** An aggregate finished from one rollup row (a level whose buckets are the query's, one series per group). */
const ROW_FINISH: Readonly<Record<Exclude<SeriesQuery['aggregate'], 'raw'>, string>> = {
  count: 'n',
  sum: 'total',
  mean: 'total / n',
  min: 'lo',
  max: 'hi',
  first: 'first',
  last: 'last',
};

/**
 * A bucketed aggregate over segments read from rollups and raw samples, as one statement: each segment's
 * rows as partial states (segmentRows), merged per (ord, bucket) by the rules of PartialState's mergeState and
 * finished by those of finishState. Columns (ord INTEGER, t DOUBLE, val DOUBLE), at most limit + 1 rows,
 * ordered by ord and t when `ordered` (otherwise in any order: see orderBucketRows): compileSeriesQuery's
 * shape, decoded by decodeSeriesRows. A whole range held by one level whose buckets are the query's, with
 * one series per group, is the level's rows as they are (the common dashboard case: no regrouping).
 */
export function rollupQuerySql(
  q: SeriesQuery,
  groups: readonly QueryGroup[],
  segments: readonly Segment[],
  ordered: boolean,
): string {
  if (q.aggregate === 'raw') throw new Error('raw reads have no partial states');
  const sel = selectSids(groups);
  const order = ordered ? ' ORDER BY ord, t' : '';
  const only = segments.length === 1 ? segments[0] : undefined;
  if (
    only?.level !== undefined &&
    only.level === q.interval &&
    (q.offset ?? 0) === 0 &&
    groups.every((g) => g.members.length === 1)
  ) {
    const t = rollupTable(only.level);
    return `${withClause(sel.cte)}SELECT ${sel.ord(t)} AS ord, ${t}.bucket::DOUBLE AS t, (${ROW_FINISH[q.aggregate]})::DOUBLE AS val
      FROM ${sel.from(t)}
      WHERE ${sel.where(t)} AND ${t}.bucket >= ${only.from} AND ${t}.bucket < ${only.to}${order}
      LIMIT ${q.limit + 1}`;
  }
  const parts = segments.map((s) => segmentRows(q, s, sel)).join('\n    UNION ALL\n    ');
  const bucketed = q.interval !== undefined;
  const [value, time] = ((): [string, string] => {
    switch (q.aggregate) {
      case 'count':
        return ['sum(n)', 'b'];
      case 'sum':
        return ['sum(total)', 'b'];
      case 'mean':
        return ['sum(total) / sum(n)', 'b'];
      case 'min':
        return ['min(lo)', 'arg_min(lo_time, (lo, lo_time))'];
      case 'max':
        return ['max(hi)', 'arg_min(hi_time, (-hi, hi_time))'];
      case 'first':
        return ['arg_min(first, (first_time, -first))', 'min(first_time)'];
      case 'last':
        return ['arg_max(last, (last_time, last))', 'max(last_time)'];
    }
  })();
  const partsCte = `parts(ord, b, ${STATE_COLUMNS.join(', ')}) AS (
    ${parts})`;
  return `${withClause(sel.cte, partsCte)}SELECT ord, (${bucketed ? 'b' : time})::DOUBLE AS t, (${value})::DOUBLE AS val
    FROM parts GROUP BY ord, b${order} LIMIT ${q.limit + 1}`;
}

import type { FieldValue } from '../../core/point.js';
import { type PartialState, StateBuckets } from '../rollup/partial.js';
import type { Segment } from '../rollup/plan.js';
import { memberPositions } from '../semantics.js';
import type { SeriesQuery } from '../store.js';
import type { CompiledQuery, SelectedGroup } from './query-sql.js';
import { schemaNames } from './schema.js';
import { timestampLiteral } from './time.js';

/**
 * A float aggregate query that rollups serve in part (rollup/plan.ts cut its range into segments): per
 * segment, the partial states per (group, query bucket), from raw samples or from one level's rows, all
 * combined and finished here by partial.ts — the same code the memory and DuckDB drivers finish with, so
 * mean is sum/count and ties resolve alike whichever way a bucket was read.
 *
 * Columns: ord, bucket, count, sum, [min, min time], [max, -max time], [first time, -first],
 * [last time, last]; arrays compare element by element, so their min/max applies partial.ts's tie rules
 * (min/max: earliest of equal values; first/last: larger value at equal times).
 */

type Needed = Exclude<SeriesQuery['aggregate'], 'raw'>;

/** The query bucket of a µs expression (bigint), or the range start without interval. */
function bucketSql(q: SeriesQuery, us: string): string {
  if (q.interval === undefined) return `${String(q.from)}::bigint`;
  const i = `${String(q.interval)}::bigint`;
  return `(${us} - (((${us} - ${String(q.offset ?? 0)}::bigint) % ${i}) + ${i}) % ${i})`;
}

function stateColumns(
  aggregate: Needed,
  cols: { n: string; sum: string; lo: string; hi: string; first: string; last: string },
): string {
  const pick = (on: boolean, sql: string) => (on ? sql : 'NULL::float8[]');
  return [
    `${cols.n}::float8`,
    aggregate === 'sum' || aggregate === 'mean' ? `${cols.sum}::float8` : 'NULL::float8',
    pick(aggregate === 'min', cols.lo),
    pick(aggregate === 'max', cols.hi),
    pick(aggregate === 'first', cols.first),
    pick(aggregate === 'last', cols.last),
  ].join(', ');
}

export function segmentSql(
  schema: string,
  q: SeriesQuery,
  groups: readonly SelectedGroup[],
  segment: Segment,
): CompiledQuery {
  const n = schemaNames(schema);
  const aggregate = q.aggregate as Needed;
  const { ids, ords } = memberPositions(groups);
  const selected = 'unnest($1::integer[], $2::integer[]) AS sel(id, ord)';
  if (segment.level === undefined) {
    const columns = stateColumns(aggregate, {
      n: 'count(*)',
      sum: 'sum(r.v)',
      lo: 'min(ARRAY[r.v, r.us])',
      hi: 'max(ARRAY[r.v, -r.us])',
      first: 'min(ARRAY[r.us, -r.v])',
      last: 'max(ARRAY[r.us, r.v])',
    });
    return {
      text: `SELECT r.ord, ${bucketSql(q, 'r.us')}::float8 AS b, ${columns}
        FROM (
          SELECT sel.ord, t.value_float AS v, (extract(epoch FROM t.time) * 1000000)::bigint AS us
          FROM ${selected} JOIN ${n.samples} t
            ON t.series_id = sel.id AND t.time >= $3::timestamptz AND t.time < $4::timestamptz
        ) r
        GROUP BY r.ord, b`,
      values: [ids, ords, timestampLiteral(segment.from), timestampLiteral(segment.to)],
    };
  }
  const columns = stateColumns(aggregate, {
    n: 'sum(r.count)',
    sum: 'sum(r.sum)',
    lo: 'min(ARRAY[r.min, r.min_time])',
    hi: 'max(ARRAY[r.max, -r.max_time])',
    first: 'min(ARRAY[r.first_time, -r.first])',
    last: 'max(ARRAY[r.last_time, r.last])',
  });
  return {
    text: `SELECT sel.ord, ${bucketSql(q, 'r.bucket')}::float8 AS b, ${columns}
      FROM ${selected} JOIN ${n.rollups} r
        ON r.level = $3::bigint AND r.series_id = sel.id AND r.bucket >= $4::bigint AND r.bucket < $5::bigint
      GROUP BY sel.ord, b`,
    values: [ids, ords, String(segment.level), String(segment.from), String(segment.to)],
  };
}

type SegmentRow = [
  number,
  number,
  number,
  number | null,
  number[] | null,
  number[] | null,
  number[] | null,
  number[] | null,
];

/** Adds one segment's rows (segmentSql's columns) to the states per ord. */
export function addSegmentRows(rows: readonly unknown[][], states: StateBuckets[]): void {
  const at = (a: number[] | null, k: number): number => a?.[k] ?? Number.NaN;
  for (const row of rows) {
    const [ord, bucket, count, sum, lo, hi, first, last] = row as SegmentRow;
    const state: PartialState = {
      count,
      sum: sum ?? Number.NaN,
      min: at(lo, 0),
      minTime: at(lo, 1),
      max: at(hi, 0),
      maxTime: -at(hi, 1),
      first: -at(first, 1) as FieldValue,
      firstTime: at(first, 0),
      last: at(last, 1) as FieldValue,
      lastTime: at(last, 0),
    };
    let s = states[ord];
    if (s === undefined) {
      s = new StateBuckets();
      states[ord] = s;
    }
    s.add(bucket, state);
  }
}

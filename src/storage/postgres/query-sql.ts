import { type EpochMicros, type FieldType, type FieldValue, seriesKey } from '../../core/point.js';
import { compareStrings, memberPositions, seriesIdentity, sortedTags } from '../semantics.js';
import type { QueryResult, SeriesData, SeriesInfo, SeriesQuery } from '../store.js';
import { type SchemaNames, schemaNames } from './schema.js';
import { epochMicrosSql, intervalLiteral, timestampLiteral } from './time.js';

/**
 * SeriesQuery → SQL over `samples`, and its rows back into SeriesData. The aggregate, the buckets and the
 * limit are all computed by PostgreSQL; only the rows returned cross the wire.
 *
 * Parameters: $1 series ids and $2 their output order (series are sorted in JS, by the same rule as the
 * other drivers), $3/$4 the time range as timestamptz literals, $5 the row limit + 1 (one more row than
 * asked tells that the result is truncated), $6 the bucket width. node-postgres sends unnamed statements,
 * which PostgreSQL plans with the actual values: partitions outside the range are pruned at plan time.
 */

/** One series of the query, in output order. */
export interface SelectedSeries {
  readonly id: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface CompiledQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** Where a query finds its series and the field's type: one round trip before the samples query. */
export function seriesOfQuerySql(schema: string, q: SeriesQuery): CompiledQuery {
  const n = schemaNames(schema);
  return {
    text: `SELECT ft.type, s.id, s.tags
      FROM ${n.fieldTypes} ft
      LEFT JOIN ${n.series} s ON s.database = ft.database AND s.measurement = ft.measurement
        AND s.field = ft.field AND s.tags @> $4::jsonb
      WHERE ft.database = $1 AND ft.measurement = $2 AND ft.field = $3`,
    values: [q.database, q.measurement, q.field, JSON.stringify(q.tags)],
  };
}

/** One output series: its tags and the series aggregated into it (one without groupBy). */
export interface SelectedGroup {
  readonly tags: Readonly<Record<string, string>>;
  readonly members: readonly SelectedSeries[];
}

export function compileSeriesQuery(
  schema: string,
  q: SeriesQuery,
  groups: readonly SelectedGroup[],
  type: FieldType,
): CompiledQuery {
  const n = schemaNames(schema);
  const { ids, ords } = memberPositions(groups);
  const values: unknown[] = [ids, ords, timestampLiteral(q.from), timestampLiteral(q.to), q.limit + 1];
  const column = type === 'string' ? 'value_text' : type === 'boolean' ? 'value_bool' : 'value_float';
  // Ties between series at one time go to the larger value, in code-point order for strings.
  const larger = type === 'string' ? 'v COLLATE "C" DESC' : 'v DESC';
  const selected = 'unnest($1::integer[], $2::integer[]) AS sel(id, ord)';
  const range = 't.time >= $3::timestamptz AND t.time < $4::timestamptz';
  const us = epochMicrosSql;

  if (q.aggregate === 'raw') {
    // Per series at most limit + 1 rows by the primary key, so a huge range does not sort everything.
    return {
      text: `SELECT sel.ord, ${us('r.time')}, r.v FROM ${selected}
        CROSS JOIN LATERAL (
          SELECT t.time, t.${column} AS v FROM ${n.samples} t
          WHERE t.series_id = sel.id AND ${range} ORDER BY t.time LIMIT $5
        ) r
        ORDER BY sel.ord, r.time LIMIT $5`,
      values,
    };
  }

  if (q.interval === undefined) return wholeRange(n, q, column, selected, range, values, larger);

  values.push(intervalLiteral(q.interval), timestampLiteral(q.offset ?? 0));
  // date_bin floors to multiples of the width since the origin (the epoch plus the offset), before it too.
  const bucket = 'date_bin($6::interval, t.time, $7::timestamptz)';
  if (q.aggregate === 'first' || q.aggregate === 'last') {
    const direction = q.aggregate === 'first' ? 'ASC' : 'DESC';
    return {
      text: `SELECT b.ord, ${us('b.bucket')}, b.v FROM (
          SELECT DISTINCT ON (sel.ord, ${bucket}) sel.ord, ${bucket} AS bucket, t.${column} AS v
          FROM ${selected} JOIN ${n.samples} t ON t.series_id = sel.id AND ${range}
          ORDER BY sel.ord, ${bucket}, t.time ${direction}, t.${column}${type === 'string' ? ' COLLATE "C"' : ''} DESC
        ) b
        ORDER BY b.ord, b.bucket LIMIT $5`,
      values,
    };
  }
  return {
    text: `SELECT b.ord, ${us('b.bucket')}, b.v FROM (
        SELECT sel.ord, ${bucket} AS bucket, ${aggregateSql(q, column)} AS v
        FROM ${selected} JOIN ${n.samples} t ON t.series_id = sel.id AND ${range}
        GROUP BY sel.ord, bucket
      ) b
      ORDER BY b.ord, b.bucket LIMIT $5`,
    values,
  };
}

/** One row per series over the whole range. */
function wholeRange(
  n: SchemaNames,
  q: SeriesQuery,
  column: string,
  selected: string,
  range: string,
  values: unknown[],
  larger: string,
): CompiledQuery {
  const us = epochMicrosSql;
  // Per series the selected point (one index walk for first/last, one scan of the range for min/max),
  // then per group the one of them the same rule selects.
  const pick = (order: string, groupOrder: string) => ({
    text: `SELECT DISTINCT ON (sel.ord) sel.ord, ${us('r.time')}, r.v FROM ${selected}
      CROSS JOIN LATERAL (
        SELECT t.time, t.${column} AS v FROM ${n.samples} t
        WHERE t.series_id = sel.id AND ${range} ORDER BY ${order} LIMIT 1
      ) r
      ORDER BY sel.ord, ${groupOrder} LIMIT $5`,
    values,
  });
  switch (q.aggregate) {
    case 'first':
      return pick('t.time ASC', `r.time ASC, r.${larger}`);
    case 'last':
      return pick('t.time DESC', `r.time DESC, r.${larger}`);
    // Ties between equal values go to the earliest point, as in the memory store.
    case 'min':
      return pick('t.value_float ASC, t.time ASC', 'r.v ASC, r.time ASC');
    case 'max':
      return pick('t.value_float DESC, t.time ASC', 'r.v DESC, r.time ASC');
    default:
      // Stamped with the range start by the decoder; NULL here keeps the row shape.
      return {
        text: `SELECT sel.ord, NULL::float8, ${aggregateSql(q, column)} AS v
          FROM ${selected} JOIN ${n.samples} t ON t.series_id = sel.id AND ${range}
          GROUP BY sel.ord ORDER BY sel.ord LIMIT $5`,
        values,
      };
  }
}

function aggregateSql(q: SeriesQuery, column: string): string {
  switch (q.aggregate) {
    case 'mean':
      return 'avg(t.value_float)';
    case 'sum':
      return 'sum(t.value_float)';
    case 'min':
      return 'min(t.value_float)';
    case 'max':
      return 'max(t.value_float)';
    case 'count':
      return `count(t.${column})::float8`;
    default:
      throw new Error(`${q.aggregate} is not a grouping aggregate`);
  }
}

/** Rows are [ord, time µs | null, value], ordered by ord then time, at most limit + 1 of them. */
export function decodeSeriesRows(
  rows: readonly unknown[][],
  q: SeriesQuery,
  groups: readonly SelectedGroup[],
): QueryResult {
  const truncated = rows.length > q.limit;
  const count = Math.min(rows.length, q.limit);
  const out: SeriesData[] = [];
  let time: EpochMicros[] = [];
  let value: FieldValue[] = [];
  let current = -1;
  for (let i = 0; i < count; i++) {
    const [ord, t, v] = rows[i] as [number, number | null, FieldValue];
    if (ord !== current) {
      const g = groups[ord] as SelectedGroup;
      time = [];
      value = [];
      current = ord;
      out.push({ measurement: q.measurement, tags: { ...g.tags }, field: q.field, time, value });
    }
    time.push(t ?? q.from);
    value.push(v);
  }
  return { series: out, truncated };
}

/**
 * `series` rows (one per field) → one SeriesInfo per tag set, ordered as the other drivers order them:
 * by database, series key, then the unambiguous identity; fields by name.
 */
export function groupSeriesRows(
  rows: ReadonlyArray<readonly [string, string, Record<string, string>, string, FieldType]>,
): SeriesInfo[] {
  const grouped = new Map<string, SeriesInfo & { key: string; identity: string }>();
  for (const [database, measurement, tags, field, type] of rows) {
    const sorted = sortedTags(tags);
    const identity = seriesIdentity(database, measurement, sorted);
    let info = grouped.get(identity);
    if (info === undefined) {
      const key = seriesKey(measurement, sorted);
      info = { database, measurement, tags: sorted, fields: {}, key, identity };
      grouped.set(identity, info);
    }
    (info.fields as Record<string, FieldType>)[field] = type;
  }
  return [...grouped.values()]
    .sort(
      (a, b) =>
        compareStrings(a.database, b.database) ||
        compareStrings(a.key, b.key) ||
        compareStrings(a.identity, b.identity),
    )
    .map(({ database, measurement, tags, fields }) => ({
      database,
      measurement,
      tags,
      fields: Object.fromEntries(Object.entries(fields).sort(([a], [b]) => compareStrings(a, b))),
    }));
}

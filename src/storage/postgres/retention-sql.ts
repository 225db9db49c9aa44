import type pg from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { EpochMicros } from '../../core/point.js';
import type { DatabaseStats } from '../store.js';
import type { CompiledQuery } from './query-sql.js';
import { type Partitioning, schemaNames } from './schema.js';
import { monthOf, timestampLiteral } from './time.js';

/** Native month partitions are named `samples_YYYYmMM` (see ensure_sample_partitions in schema.ts). */
const PARTITION_NAME = /^samples_(\d{4})m(\d{2})$/;

/** A month partition of samples that ends at or before a cutoff. */
export interface OldPartition {
  readonly name: string;
  /** Month start, µs. */
  readonly start: EpochMicros;
}

/** The native partitions wholly before `before`: their every row is older than the cutoff. */
export async function partitionsBefore(
  c: pg.ClientBase,
  schema: string,
  before: EpochMicros,
): Promise<OldPartition[]> {
  const n = schemaNames(schema);
  const result = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ${escapeLiteral(n.samples)}::regclass`,
  );
  const old: OldPartition[] = [];
  for (const { name } of result.rows) {
    const m = PARTITION_NAME.exec(name);
    if (!m) continue;
    const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) * 1000;
    if (monthOf(start).end <= before) old.push({ name, start });
  }
  return old.sort((a, b) => a.start - b.start);
}

/**
 * Drops `partition` when every row in it belongs to `database` (whose cutoff covers it whole); returns the
 * rows it held, or undefined when another database has rows there (the DELETE then handles its share).
 * The check probes the partition's primary key once per series of the other databases, never scanning it.
 */
export async function dropPartitionIfOwned(
  c: pg.ClientBase,
  schema: string,
  database: string,
  partition: OldPartition,
): Promise<number | undefined> {
  const n = schemaNames(schema);
  const table = `${n.schema}.${escapeIdentifier(partition.name)}`;
  const shared = await c.query<{ shared: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${table}
       WHERE series_id = ANY (ARRAY(SELECT id FROM ${n.series} WHERE database <> $1))) AS shared`,
    [database],
  );
  if (shared.rows[0]?.shared !== false) return undefined;
  const counted = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  await c.query(`DROP TABLE ${table}`);
  return Number(counted.rows[0]?.n ?? 0);
}

/**
 * One DELETE of the database's samples older than `before`. The cutoff is a literal, not a parameter, so
 * that the planner prunes the partitions (or TimescaleDB chunks) that start after it; the primary key
 * (series_id, time) serves the rest.
 */
export async function deleteSamplesBefore(
  c: pg.ClientBase,
  schema: string,
  database: string,
  before: EpochMicros,
): Promise<number> {
  const n = schemaNames(schema);
  const result = await c.query(
    `DELETE FROM ${n.samples}
     WHERE time < ${escapeLiteral(timestampLiteral(before))}::timestamptz
       AND series_id IN (SELECT id FROM ${n.series} WHERE database = $1)`,
    [database],
  );
  return result.rowCount ?? 0;
}

/** Catalog entries per database. */
export function seriesPerDatabaseSql(schema: string): CompiledQuery {
  const n = schemaNames(schema);
  return { text: `SELECT database, count(*)::float8 FROM ${n.series} GROUP BY database`, values: [] };
}

/** Values and their time range per database: one scan of samples. */
export function samplesPerDatabaseSql(schema: string): CompiledQuery {
  const n = schemaNames(schema);
  return {
    text: `SELECT se.database, count(*)::float8,
        (extract(epoch FROM min(sa.time)) * 1000000)::float8, (extract(epoch FROM max(sa.time)) * 1000000)::float8
      FROM ${n.samples} sa JOIN ${n.series} se ON se.id = sa.series_id GROUP BY se.database`,
    values: [],
  };
}

/** Bytes of samples with its indexes and TOAST: the sum over its partitions, or TimescaleDB's own count. */
export function samplesBytesSql(schema: string, partitioning: Partitioning): CompiledQuery {
  const table = escapeLiteral(schemaNames(schema).samples);
  return {
    text:
      partitioning === 'timescaledb'
        ? `SELECT coalesce(hypertable_size(${table}::regclass), 0)::float8`
        : `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::float8 FROM pg_partition_tree(${table}::regclass)`,
    values: [],
  };
}

/** Per-database stats from the three queries above; bytes are shared out by sample count. */
export function databaseStatsOf(
  series: ReadonlyArray<readonly [string, number]>,
  samples: ReadonlyArray<readonly [string, number, number | null, number | null]>,
  bytes: number,
): DatabaseStats[] {
  const byDatabase = new Map(samples.map((r) => [r[0], r] as const));
  let all = 0;
  for (const r of samples) all += r[1];
  return series
    .map(([database, count]): DatabaseStats => {
      const s = byDatabase.get(database);
      const n = s?.[1] ?? 0;
      return {
        database,
        series: count,
        samples: n,
        oldest: s?.[2] ?? null,
        newest: s?.[3] ?? null,
        bytes: all === 0 ? 0 : Math.round((bytes * n) / all),
      };
    })
    .sort((a, b) => (a.database < b.database ? -1 : a.database > b.database ? 1 : 0));
}

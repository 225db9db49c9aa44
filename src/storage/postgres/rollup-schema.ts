import { escapeLiteral } from 'pg';
import { mergeFunctionDdl, type Partitioning, STAGE_TABLE, schemaNames } from './schema.js';

/**
 * Version 2 of the layout: rollups (see docs/postgresql.md). All times in these tables are epoch µs
 * (bigint), as the rest of sensorhub counts them: bucket arithmetic stays exact integer math.
 *
 * - `rollups`: one row per (level, series_id, bucket) of a float series with the PartialState columns
 *   (rollup/partial.ts). The primary key is the index every statement uses: rolls replace a bucket range
 *   of one level, queries read a bucket range of some series. Native partitioning: by LIST of level, then
 *   RANGE of bucket by month, created by the maintenance job (rollup-sql.ts), so that pruning a level drops
 *   whole months of it; TimescaleDB: a hypertable on bucket.
 * - `rollup_levels`: per level, `watermark` (every bucket before it is rolled up, dirty ones aside; NULL
 *   until the first roll), `late_before` (a write before it marks its bucket dirty; moved ahead of the
 *   watermark before a roll, see rollups.ts) and `pruned_before`.
 * - `rollup_dirty`: the buckets late writes touched.
 *
 * Late writes are marked by merge_staged_samples itself, in the write's transaction: it runs with the
 * owner's rights, so the ingest role needs no privilege on these tables, and it reads the levels from the
 * database, so a process that keeps no rollups (or other ones) still marks for the one that does.
 */

/** The transaction-level advisory lock between writers (shared) and a move of late_before (exclusive). */
export function lateLockKey(schema: string): string {
  return `sensorhub rollup late ${schema}`;
}

export function layoutV2(schema: string, partitioning: Partitioning): string[] {
  const n = schemaNames(schema);
  const columns = `(
    level bigint NOT NULL,
    series_id integer NOT NULL,
    bucket bigint NOT NULL,
    count bigint NOT NULL,
    sum float8,
    min float8,
    min_time bigint,
    max float8,
    max_time bigint,
    first float8,
    first_time bigint,
    last float8,
    last_time bigint,
    PRIMARY KEY (level, series_id, bucket)
  )`;
  const table =
    partitioning === 'native'
      ? [`CREATE TABLE ${n.rollups} ${columns} PARTITION BY LIST (level)`]
      : [
          `CREATE TABLE ${n.rollups} ${columns}`,
          // 30 days of µs per chunk.
          `SELECT create_hypertable(${escapeLiteral(n.rollups)}::regclass, 'bucket',
            chunk_time_interval => 2592000000000)`,
        ];
  // The stage's times as µs, for float values only (only float fields are rolled up).
  const us = '(extract(epoch FROM s.time) * 1000000)::bigint';
  const mark = `
        -- Shared with every other writer; a roll moving late_before takes it exclusively (rollups.ts),
        -- so this write either commits before the roll reads samples or sees the new late_before.
        PERFORM pg_advisory_xact_lock_shared(hashtextextended(${escapeLiteral(lateLockKey(schema))}, 0));
        IF EXISTS (SELECT 1 FROM ${n.rollupLevels} WHERE late_before IS NOT NULL) THEN
          -- DO UPDATE, not DO NOTHING: it row-locks a mark that exists, so a re-roll deleting that mark
          -- waits for this write's commit and then reads its samples.
          INSERT INTO ${n.rollupDirty} AS d (level, bucket)
            SELECT DISTINCT l.level, u.us - (((u.us % l.level) + l.level) % l.level)
            FROM ${n.rollupLevels} l
            JOIN (SELECT ${us} AS us FROM pg_temp.${STAGE_TABLE} s WHERE s.value_float IS NOT NULL) u
              ON u.us < l.late_before
            ORDER BY 1, 2
            ON CONFLICT (level, bucket) DO UPDATE SET bucket = excluded.bucket;
        END IF;`;
  return [
    `CREATE TABLE ${n.rollupLevels} (
      level bigint PRIMARY KEY CHECK (level > 0),
      watermark bigint,
      late_before bigint,
      pruned_before bigint
    )`,
    `CREATE TABLE ${n.rollupDirty} (
      level bigint NOT NULL,
      bucket bigint NOT NULL,
      PRIMARY KEY (level, bucket)
    )`,
    ...table,
    mergeFunctionDdl(n, 'CREATE OR REPLACE', mark),
  ];
}

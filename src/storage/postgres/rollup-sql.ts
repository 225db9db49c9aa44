import type pg from 'pg';
import { escapeIdentifier } from 'pg';
import type { EpochMicros } from '../../core/point.js';
import { type Partitioning, schemaNames } from './schema.js';
import { monthOf, timestampLiteral } from './time.js';

/**
 * The statements of rollup maintenance (rollups.ts runs them, as the schema owner, under its advisory
 * lock). µs values travel as text parameters: exact for every safe integer, whatever the driver does with
 * bigint.
 */

const big = (us: EpochMicros): string => String(us);

/**
 * Replaces the level's buckets in [from, to) with the states of the float samples there; returns how many
 * buckets it wrote. The samples are found by the primary key (series_id = ANY float series, a time range),
 * so a roll reads only its range; min/max/first/last with their times are array minima and maxima (the
 * arrays compare element by element), which gives partial.ts's tie rules without sorting: min and max the
 * earliest of equal values; first and last are unique within one series.
 */
export async function rollRange(
  c: pg.ClientBase,
  schema: string,
  level: number,
  from: EpochMicros,
  to: EpochMicros,
): Promise<number> {
  const n = schemaNames(schema);
  await c.query(
    `DELETE FROM ${n.rollups} WHERE level = $1 AND ${floatSeries(schema)} AND bucket >= $2 AND bucket < $3`,
    [big(level), big(from), big(to)],
  );
  const inserted = await c.query(
    `INSERT INTO ${n.rollups}
       (level, series_id, bucket, count, sum, min, min_time, max, max_time, first, first_time, last, last_time)
     SELECT $1::bigint, series_id, b, n, total, lo[1], lo[2]::bigint, hi[1], (-hi[2])::bigint, -fi[2],
       fi[1]::bigint, la[2], la[1]::bigint
     FROM (
       SELECT series_id, us - (((us % $1::bigint) + $1::bigint) % $1::bigint) AS b, count(*) AS n,
         sum(v) AS total, min(ARRAY[v, us]) AS lo, max(ARRAY[v, -us]) AS hi, min(ARRAY[us, -v]) AS fi,
         max(ARRAY[us, v]) AS la
       FROM (
         SELECT t.series_id, t.value_float AS v, (extract(epoch FROM t.time) * 1000000)::bigint AS us
         FROM ${n.samples} t
         WHERE t.series_id = ANY (ARRAY(SELECT id FROM ${n.series} WHERE type = 'float'))
           AND t.time >= $2::timestamptz AND t.time < $3::timestamptz
       ) r
       GROUP BY series_id, b
     ) g`,
    [big(level), timestampLiteral(from), timestampLiteral(to)],
  );
  return inserted.rowCount ?? 0;
}

/**
 * The earliest float sample in [from, to), or undefined: one probe of the primary key per float series
 * (partitions outside the range pruned), so that a roll can skip a gap without scanning it.
 */
export async function firstSampleIn(
  c: pg.ClientBase,
  schema: string,
  from: EpochMicros | undefined,
  to: EpochMicros,
): Promise<EpochMicros | undefined> {
  const n = schemaNames(schema);
  const found = await c.query<[number | null]>({
    text: `SELECT (extract(epoch FROM min(m)) * 1000000)::float8 FROM (
        SELECT (SELECT min(t.time) FROM ${n.samples} t
                WHERE t.series_id = s.id AND t.time >= $1::timestamptz AND t.time < $2::timestamptz) AS m
        FROM ${n.series} s WHERE s.type = 'float'
      ) x`,
    values: [from === undefined ? '-infinity' : timestampLiteral(from), timestampLiteral(to)],
    rowMode: 'array',
  });
  const t = found.rows[0]?.[0];
  return t === null || t === undefined ? undefined : t;
}

/** Clears the level's dirty marks in [from, to). Run before the roll of that range reads samples. */
export async function clearDirty(
  c: pg.ClientBase,
  schema: string,
  level: number,
  from: EpochMicros,
  to: EpochMicros,
): Promise<void> {
  await c.query(
    `DELETE FROM ${schemaNames(schema).rollupDirty} WHERE level = $1 AND bucket >= $2 AND bucket < $3`,
    [big(level), big(from), big(to)],
  );
}

export interface StoredLevel {
  readonly watermark: EpochMicros | undefined;
  readonly prunedBefore: EpochMicros;
}

/** Creates the level's row if it is new, and reads it. */
export async function openLevel(c: pg.ClientBase, schema: string, level: number): Promise<StoredLevel> {
  const n = schemaNames(schema);
  await c.query(`INSERT INTO ${n.rollupLevels} (level) VALUES ($1) ON CONFLICT DO NOTHING`, [big(level)]);
  const row = await c.query<[number | null, number | null]>({
    text: `SELECT watermark::float8, pruned_before::float8 FROM ${n.rollupLevels} WHERE level = $1`,
    values: [big(level)],
    rowMode: 'array',
  });
  const [watermark, pruned] = row.rows[0] ?? [null, null];
  return {
    watermark: watermark ?? undefined,
    prunedBefore: pruned ?? Number.NEGATIVE_INFINITY,
  };
}

export async function updateLevel(
  c: pg.ClientBase,
  schema: string,
  level: number,
  set: {
    readonly watermark?: EpochMicros;
    readonly lateBefore?: EpochMicros;
    readonly prunedBefore?: EpochMicros;
  },
): Promise<void> {
  const values: string[] = [big(level)];
  const assignments: string[] = [];
  // Never backwards: another process's clock may be behind this one's.
  for (const [column, v] of [
    ['watermark', set.watermark],
    ['late_before', set.lateBefore],
    ['pruned_before', set.prunedBefore],
  ] as const) {
    if (v === undefined) continue;
    values.push(big(v));
    assignments.push(`${column} = greatest(${column}, $${values.length}::bigint)`);
  }
  if (assignments.length === 0) return;
  await c.query(
    `UPDATE ${schemaNames(schema).rollupLevels} SET ${assignments.join(', ')} WHERE level = $1`,
    values,
  );
}

/** Dirty buckets of the level before `before`, ascending. */
export async function dirtyBuckets(
  c: pg.ClientBase,
  schema: string,
  level: number,
  before: EpochMicros,
): Promise<EpochMicros[]> {
  const rows = await c.query<[number]>({
    text: `SELECT bucket::float8 FROM ${schemaNames(schema).rollupDirty}
      WHERE level = $1 AND bucket < $2 ORDER BY bucket`,
    values: [big(level), big(before)],
    rowMode: 'array',
  });
  return rows.rows.map(([b]) => b);
}

/**
 * Native partitioning: the partitions a roll into [from, to) needs, `rollups_<interval s>s` (LIST of the
 * level, itself partitioned) and `rollups_<s>s_YYYYmMM` (RANGE of bucket by month). Created as a table
 * then attached, which takes SHARE UPDATE EXCLUSIVE on the parent (readers pass) where CREATE … PARTITION
 * OF would take ACCESS EXCLUSIVE. Only the maintenance job creates them, under its lock: no race.
 * `known` caches the names that exist.
 */
export async function ensureRollupPartitions(
  c: pg.ClientBase,
  schema: string,
  partitioning: Partitioning,
  level: number,
  from: EpochMicros,
  to: EpochMicros,
  known: Set<string>,
): Promise<void> {
  if (partitioning !== 'native' || from >= to) return;
  const n = schemaNames(schema);
  const levelName = levelPartition(level);
  const levelTable = `${n.schema}.${escapeIdentifier(levelName)}`;
  if (!known.has(levelName)) {
    if (!(await exists(c, schema, levelName))) {
      await c.query(
        `CREATE TABLE ${levelTable} (LIKE ${n.rollups} INCLUDING DEFAULTS) PARTITION BY RANGE (bucket)`,
      );
      await c.query(`ALTER TABLE ${n.rollups} ATTACH PARTITION ${levelTable} FOR VALUES IN (${big(level)})`);
    }
    known.add(levelName);
  }
  for (let month = monthOf(from); month.start < to; month = monthOf(month.end)) {
    const name = monthPartition(level, month.start);
    if (known.has(name)) continue;
    if (!(await exists(c, schema, name))) {
      const table = `${n.schema}.${escapeIdentifier(name)}`;
      await c.query(`CREATE TABLE ${table} (LIKE ${n.rollups} INCLUDING DEFAULTS)`);
      await c.query(
        `ALTER TABLE ${levelTable} ATTACH PARTITION ${table} FOR VALUES FROM (${big(month.start)}) TO (${big(month.end)})`,
      );
    }
    known.add(name);
  }
}

/**
 * Deletes the level's buckets in [since, cutoff) (since: the previous cutoff) and the dirty marks before
 * `cutoff`; returns how many buckets. Native partitioning: the level's months wholly before it are
 * dropped, not deleted row by row.
 */
export async function pruneLevel(
  c: pg.ClientBase,
  schema: string,
  partitioning: Partitioning,
  level: number,
  since: EpochMicros,
  cutoff: EpochMicros,
  known: Set<string>,
): Promise<number> {
  const n = schemaNames(schema);
  let pruned = 0;
  if (partitioning === 'native' && (await exists(c, schema, levelPartition(level)))) {
    const parts = await c.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = to_regclass($1)`,
      [`${n.schema}.${escapeIdentifier(levelPartition(level))}`],
    );
    for (const { name } of parts.rows) {
      const m = /_(\d{4})m(\d{2})$/.exec(name);
      if (!m) continue;
      const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) * 1000;
      if (monthOf(start).end > cutoff) continue;
      const table = `${n.schema}.${escapeIdentifier(name)}`;
      const counted = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      await c.query(`DROP TABLE ${table}`);
      known.delete(name);
      pruned += Number(counted.rows[0]?.n ?? 0);
    }
  }
  const deleted = await c.query(
    `DELETE FROM ${n.rollups} WHERE level = $1 AND ${floatSeries(schema)} AND bucket >= $2 AND bucket < $3`,
    [big(level), Number.isFinite(since) ? big(since) : String(Number.MIN_SAFE_INTEGER), big(cutoff)],
  );
  await c.query(`DELETE FROM ${n.rollupDirty} WHERE level = $1 AND bucket < $2`, [big(level), big(cutoff)]);
  return pruned + (deleted.rowCount ?? 0);
}

/**
 * Rollup rows by the primary key: `series_id = ANY (…)` lets a range of buckets be found per series
 * instead of by scanning the level's months.
 */
function floatSeries(schema: string): string {
  return `series_id = ANY (ARRAY(SELECT id FROM ${schemaNames(schema).series} WHERE type = 'float'))`;
}

function levelPartition(level: number): string {
  return `rollups_${level / 1_000_000}s`;
}

function monthPartition(level: number, monthStart: EpochMicros): string {
  const d = new Date(monthStart / 1000);
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  return `${levelPartition(level)}_${d.getUTCFullYear()}m${mm}`;
}

async function exists(c: pg.ClientBase, schema: string, name: string): Promise<boolean> {
  const found = await c.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    `${schemaNames(schema).schema}.${escapeIdentifier(name)}`,
  ]);
  return found.rows[0]?.found === true;
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochMicros, FieldType } from '../../core/point.js';
import { type CatalogEntry, makeEntry } from './catalog.js';

export const SCHEMA_VERSION = '1';
/** Kept in the meta table, whose other keys belong to the server. */
export const SCHEMA_VERSION_KEY = 'storage.duckdb.schema_version';

/**
 * Narrow layout: one `series` row per (database, measurement, tag set, field), one `samples` row per field
 * value. `samples` has no key or index on purpose: appends stay cheap, and the write path guarantees
 * (sid, ts) uniqueness itself (see write-plan.ts).
 */
const DDL = [
  `CREATE TABLE IF NOT EXISTS series (
    id UINTEGER PRIMARY KEY,
    database VARCHAR NOT NULL,
    measurement VARCHAR NOT NULL,
    tags VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    type VARCHAR NOT NULL
  )`,
  // Booleans are stored as v = 0/1, strings in s.
  'CREATE TABLE IF NOT EXISTS samples (sid UINTEGER NOT NULL, ts TIMESTAMP NOT NULL, v DOUBLE, s VARCHAR)',
  `CREATE TABLE IF NOT EXISTS dead_letters (
    time TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    client_id VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    payload BLOB NOT NULL,
    payload_size INTEGER NOT NULL,
    rule VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    message VARCHAR NOT NULL
  )`,
  'CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)',
];

/** Keys of stored samples that a batch is about to replace; connection-local, emptied by every write. */
export const OVERWRITE_TABLE = 'overwrite_keys';
const TEMP_DDL = `CREATE TEMP TABLE IF NOT EXISTS ${OVERWRITE_TABLE} (sid UINTEGER NOT NULL, ts TIMESTAMP NOT NULL)`;

export async function createSchema(conn: DuckDBConnection): Promise<void> {
  await conn.run('BEGIN');
  try {
    for (const sql of DDL) await conn.run(sql);
    const found = await conn.runAndReadAll('SELECT value FROM meta WHERE key = $key', {
      key: SCHEMA_VERSION_KEY,
    });
    const version = found.getRows()[0]?.[0];
    if (version === undefined) {
      await conn.run('INSERT INTO meta VALUES ($key, $value)', {
        key: SCHEMA_VERSION_KEY,
        value: SCHEMA_VERSION,
      });
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`database schema version ${String(version)} is not ${SCHEMA_VERSION}`);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  await conn.run(TEMP_DDL);
}

export interface StoredState {
  readonly entries: CatalogEntry[];
  readonly maxTime: Array<[sid: number, time: EpochMicros]>;
  readonly samples: number;
  readonly deadLetters: number;
}

export async function loadState(conn: DuckDBConnection): Promise<StoredState> {
  const series = await conn.runAndReadAll(
    'SELECT id, database, measurement, tags, field, type FROM series ORDER BY id',
  );
  const entries = series.getRows().map(([id, database, measurement, tags, field, type]) => {
    const parsed = JSON.parse(String(tags)) as Record<string, string>;
    return makeEntry(
      Number(id),
      String(database),
      String(measurement),
      parsed,
      String(field),
      String(type) as FieldType,
    );
  });
  // One full scan of (sid, ts) at start buys dedup-free reads for the life of the process.
  const max = await conn.runAndReadAll('SELECT sid, epoch_us(max(ts))::DOUBLE FROM samples GROUP BY sid');
  const maxTime = max.getRows().map(([sid, time]): [number, number] => [Number(sid), Number(time)]);
  const counts = await conn.runAndReadAll(
    'SELECT (SELECT count(*) FROM samples)::DOUBLE, (SELECT count(*) FROM dead_letters)::DOUBLE',
  );
  const [samples, deadLetters] = counts.getRows()[0] ?? [0, 0];
  return { entries, maxTime, samples: Number(samples), deadLetters: Number(deadLetters) };
}

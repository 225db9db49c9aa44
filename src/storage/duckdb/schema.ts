import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochMicros, FieldType } from '../../core/point.js';
import { type CatalogEntry, makeEntry } from './catalog.js';
import { readMeta, writeMeta } from './meta-sql.js';

/** 2: dead letters have ids (and payload_bytes); migrateV1 upgrades a version 1 file in place. */
export const SCHEMA_VERSION = '2';
/** Kept in the meta table, whose other keys belong to the server. */
export const SCHEMA_VERSION_KEY = 'storage.duckdb.schema_version';
export const DEAD_LETTER_ID_SEQUENCE = 'dead_letter_ids';
const META_DDL = 'CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)';

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
  deadLettersDdl('dead_letters'),
  `CREATE SEQUENCE IF NOT EXISTS ${DEAD_LETTER_ID_SEQUENCE} START WITH 1`,
  META_DDL,
];

/**
 * Ids come from DEAD_LETTER_ID_SEQUENCE in append order, so rows are stored in id order and zone maps let
 * id ranges (cursors, retention) skip row groups: no index, appends stay cheap. payload_bytes is
 * octet_length(payload), kept so that byte-capped retention never reads the payloads.
 */
function deadLettersDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    id BIGINT NOT NULL,
    time TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    client_id VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    payload BLOB NOT NULL,
    payload_size INTEGER NOT NULL,
    rule VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    payload_bytes INTEGER NOT NULL
  )`;
}

/**
 * Version 1 kept dead letters without ids. It never deleted any, so rowid order is their append order:
 * ids 1..n follow it, and the sequence continues after n.
 */
async function migrateV1(conn: DuckDBConnection): Promise<void> {
  const counted = await conn.runAndReadAll('SELECT count(*)::DOUBLE FROM dead_letters');
  const n = Number(counted.getRows()[0]?.[0] ?? 0);
  await conn.run(deadLettersDdl('dead_letters_v2'));
  await conn.run(
    `INSERT INTO dead_letters_v2
     SELECT row_number() OVER (ORDER BY rowid), time, source, client_id, topic, payload, payload_size, rule, code,
       message, octet_length(payload)
     FROM dead_letters ORDER BY rowid`,
  );
  await conn.run('DROP TABLE dead_letters');
  await conn.run('ALTER TABLE dead_letters_v2 RENAME TO dead_letters');
  await conn.run(`CREATE SEQUENCE ${DEAD_LETTER_ID_SEQUENCE} START WITH ${n + 1}`);
}

/** Keys of stored samples that a batch is about to replace; connection-local, emptied by every write. */
export const OVERWRITE_TABLE = 'overwrite_keys';
const TEMP_DDL = `CREATE TEMP TABLE IF NOT EXISTS ${OVERWRITE_TABLE} (sid UINTEGER NOT NULL, ts TIMESTAMP NOT NULL)`;

export async function createSchema(conn: DuckDBConnection): Promise<void> {
  await conn.run('BEGIN');
  try {
    await conn.run(META_DDL);
    const version = await readMeta(conn, SCHEMA_VERSION_KEY);
    // Migrations first: the IF NOT EXISTS DDL below would leave an old table as it is.
    if (version === '1') await migrateV1(conn);
    else if (version !== undefined && version !== SCHEMA_VERSION) {
      throw new Error(
        `database schema version ${String(version)} is not ${SCHEMA_VERSION} (written by a newer sensorhub?)`,
      );
    }
    for (const sql of DDL) await conn.run(sql);
    if (version !== SCHEMA_VERSION) {
      await writeMeta(conn, SCHEMA_VERSION_KEY, SCHEMA_VERSION);
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
  /** Per sid, its oldest stored time (retention may have deleted older ones). */
  readonly minTime: Array<[sid: number, time: EpochMicros]>;
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
  const max = await conn.runAndReadAll(
    'SELECT sid, epoch_us(max(ts))::DOUBLE, epoch_us(min(ts))::DOUBLE FROM samples GROUP BY sid',
  );
  const maxTime = max.getRows().map(([sid, time]): [number, number] => [Number(sid), Number(time)]);
  const minTime = max.getRows().map(([sid, , time]): [number, number] => [Number(sid), Number(time)]);
  const counts = await conn.runAndReadAll(
    'SELECT (SELECT count(*) FROM samples)::DOUBLE, (SELECT count(*) FROM dead_letters)::DOUBLE',
  );
  const [samples, deadLetters] = counts.getRows()[0] ?? [0, 0];
  return { entries, maxTime, minTime, samples: Number(samples), deadLetters: Number(deadLetters) };
}

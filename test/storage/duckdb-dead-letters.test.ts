import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbStore, type DuckDbStoreOptions } from '../../src/storage/duckdb/duckdb-store.js';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY } from '../../src/storage/duckdb/schema.js';
import { DEAD_LETTER_RECORD_OVERHEAD, type DeadLetter } from '../../src/storage/store.js';
import { expectAppError, letter, query, SECOND, T0 } from './store-fixtures.js';

/**
 * The layout that schema version 1 wrote (dead letters without ids). Frozen here: data directories made by
 * that version must keep opening.
 */
const V1_DDL = [
  `CREATE TABLE series (id UINTEGER PRIMARY KEY, database VARCHAR NOT NULL, measurement VARCHAR NOT NULL,
    tags VARCHAR NOT NULL, field VARCHAR NOT NULL, type VARCHAR NOT NULL)`,
  'CREATE TABLE samples (sid UINTEGER NOT NULL, ts TIMESTAMP NOT NULL, v DOUBLE, s VARCHAR)',
  `CREATE TABLE dead_letters (time TIMESTAMP NOT NULL, source VARCHAR NOT NULL, client_id VARCHAR NOT NULL,
    topic VARCHAR NOT NULL, payload BLOB NOT NULL, payload_size INTEGER NOT NULL, rule VARCHAR NOT NULL,
    code VARCHAR NOT NULL, message VARCHAR NOT NULL)`,
  'CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)',
];

/** Runs statements on the file directly, as another program (or an older sensorhub) would. */
async function onFile(path: string, statements: readonly string[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    for (const sql of statements) await conn.run(sql);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('DuckDbStore dead letters', () => {
  let dir: string;
  let path: string;
  const open: DuckDbStore[] = [];

  const startStore = async (options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> => {
    const store = new DuckDbStore({ path, ...options });
    await store.start();
    open.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-dead-letters-'));
    path = join(dir, 'data', 'store.duckdb');
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('upgrades a schema version 1 file: ids follow the append order, new ids continue after them', async () => {
    const at = (s: number) => `make_timestamp(${T0 + s * SECOND})`;
    await onFile(path, [
      ...V1_DDL,
      `INSERT INTO meta VALUES ('${SCHEMA_VERSION_KEY}', '1'), ('k', 'v')`,
      `INSERT INTO series VALUES (0, 'db', 'cpu', '{"host":"a"}', 'usage', 'float')`,
      `INSERT INTO samples VALUES (0, ${at(0)}, 42, NULL)`,
      // Appended out of time order: ids must follow the appends, not the times.
      `INSERT INTO dead_letters VALUES (${at(5)}, 'mqtt', 'c1', 'old/1', '\\x00\\xFF'::BLOB, 2, 'r', 'ING_DECODE', 'first')`,
      `INSERT INTO dead_letters VALUES (${at(1)}, 'http', 'c2', 'old/2', 'hello'::BLOB, 9, 'r', 'ING_NO_FIELDS', 'second')`,
      `INSERT INTO dead_letters VALUES (${at(3)}, 'mqtt', 'c3', 'old/3', ''::BLOB, 0, 'r', 'ING_DECODE', 'third')`,
    ]);

    const store = await startStore();
    expect(store.stats()).toEqual({ series: 1, samples: 1, deadLetters: 3 });
    const migrated = await store.listDeadLetters({ limit: 10, order: 'asc' });
    expect(migrated.map((l) => [l.id, l.message, l.time - T0])).toEqual([
      [1, 'first', 5 * SECOND],
      [2, 'second', SECOND],
      [3, 'third', 3 * SECOND],
    ]);
    expect(migrated[0]?.payload).toEqual(Buffer.from([0, 255]));
    expect(migrated[1]).toMatchObject({
      source: 'http',
      clientId: 'c2',
      payloadSize: 9,
      code: 'ING_NO_FIELDS',
    });
    expect((await store.query(query())).series[0]?.value).toEqual([42]);
    expect(await store.getMeta('k')).toBe('v');
    expect(await store.getMeta(SCHEMA_VERSION_KEY)).toBe(SCHEMA_VERSION);

    await store.appendDeadLetters([letter({ topic: 'new/1' })]);
    expect((await store.listDeadLetters({ limit: 1 }))[0]).toMatchObject({ id: 4, topic: 'new/1' });
    // Migrated payload sizes count for the byte cap: 'hello' (5) and '' (0) plus the new 7-byte letter.
    const lastThree = 5 + 0 + 7 + 3 * DEAD_LETTER_RECORD_OVERHEAD;
    expect(await store.pruneDeadLetters({ maxBytes: lastThree })).toBe(1);
    expect((await store.listDeadLetters({ limit: 10, order: 'asc' })).map((l) => l.id)).toEqual([2, 3, 4]);

    await store.stop();
    const reopened = await startStore();
    expect(reopened.stats().deadLetters).toBe(3);
    await reopened.appendDeadLetters([letter({ topic: 'new/2' })]);
    expect((await reopened.listDeadLetters({ limit: 1 }))[0]?.id).toBe(5);
  });

  it('upgrades an empty version 1 file, starting ids at 1', async () => {
    await onFile(path, [...V1_DDL, `INSERT INTO meta VALUES ('${SCHEMA_VERSION_KEY}', '1')`]);
    const store = await startStore();
    await store.appendDeadLetters([letter({}), letter({})]);
    expect((await store.listDeadLetters({ limit: 10, order: 'asc' })).map((l) => l.id)).toEqual([1, 2]);
  });

  it('refuses a file from a newer schema version, naming the versions', async () => {
    const store = await startStore();
    await store.stop();
    await onFile(path, [`UPDATE meta SET value = '99' WHERE key = '${SCHEMA_VERSION_KEY}'`]);
    const err = await expectAppError(new DuckDbStore({ path }).start(), 'STO_CLOSED');
    expect(err.message).toContain(`schema version 99 is not ${SCHEMA_VERSION}`);
  });

  it('rolls a failed delete or prune back: letters and stats unchanged', async () => {
    let fail = false;
    const store = await startStore({
      beforeCommit: () => {
        if (fail) throw new Error('injected fault');
      },
    });
    await store.appendDeadLetters([
      letter({ topic: 'x/1' }),
      letter({ topic: 'x/2' }),
      letter({ topic: 'x/3' }),
    ]);
    fail = true;
    await expectAppError(store.deleteDeadLetters([1, 2]), 'STO_WRITE_FAILED');
    await expectAppError(store.pruneDeadLetters({ maxCount: 0 }), 'STO_WRITE_FAILED');
    await expectAppError(store.appendDeadLetters([letter({ topic: 'x/4' })]), 'STO_WRITE_FAILED');
    expect(store.stats().deadLetters).toBe(3);
    expect(await store.countDeadLetters({})).toBe(3);
    fail = false;
    // Ids handed out to the failed append are skipped, never given to another letter twice.
    await store.appendDeadLetters([letter({ topic: 'x/5' })]);
    const ids = (await store.listDeadLetters({ limit: 10, order: 'asc' })).map((l) => l.id);
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ids[3]).toBeGreaterThan(3);
    expect(store.stats().deadLetters).toBe(4);
  });

  it('prunes 100k letters by count and bytes without touching the ones it keeps', async () => {
    const store = await startStore();
    const total = 100_000;
    const batch: DeadLetter[] = [];
    for (let i = 0; i < total; i++) {
      batch.push(letter({ time: T0 + i, topic: `sensors/${i % 100}/t`, payload: Buffer.alloc(i % 50, 1) }));
    }
    for (let i = 0; i < total; i += 20_000) await store.appendDeadLetters(batch.slice(i, i + 20_000));
    expect(store.stats().deadLetters).toBe(total);
    expect(await store.countDeadLetters({ topic: 'sensors/7/+' })).toBe(total / 100);

    const started = performance.now();
    expect(await store.pruneDeadLetters({ maxCount: 60_000 })).toBe(40_000);
    // The newest 30k letters hold 30k × overhead + 600 full cycles of 0..49 payload bytes.
    const newest30k = 30_000 * DEAD_LETTER_RECORD_OVERHEAD + 600 * ((49 * 50) / 2);
    expect(await store.pruneDeadLetters({ maxBytes: newest30k })).toBe(30_000);
    expect(await store.pruneDeadLetters({ before: T0 + 95_000 })).toBe(25_000);
    const elapsed = performance.now() - started;
    expect(store.stats().deadLetters).toBe(5_000);
    expect(await store.countDeadLetters({})).toBe(5_000);
    const [oldest] = await store.listDeadLetters({ limit: 1, order: 'asc' });
    expect(oldest?.time).toBe(T0 + 95_000);
    // Generous for a shared CI core; a row-by-row delete takes far longer.
    expect(elapsed).toBeLessThan(5_000);
  });
});

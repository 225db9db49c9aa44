import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { type PostgresServer, postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { point } from './store-fixtures.js';

const unavailable = postgresUnavailable();

/** µs of a UTC date. */
const at = (y: number, m: number, d = 1) => Date.UTC(y, m - 1, d) * 1000;

describe.skipIf(unavailable !== undefined)('PostgresStore retention', () => {
  let server: PostgresServer;
  let url: string;
  let store: PostgresStore;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    url = await server.createDatabase();
    store = new PostgresStore({ url, password: server.password, partitioning: 'native' });
    await store.start();
  });
  afterEach(async () => {
    await store.stop();
    await server.dropDatabase(url);
  });

  const partitions = async () =>
    (
      await server.sql<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'sensorhub.samples'::regclass ORDER BY 1`,
        [],
        url,
      )
    ).map((r) => r.name);

  it('drops whole months that only the database holds, deletes within shared ones, and writes there again', async () => {
    await store.write([
      point({ usage: 1 }, at(2023, 1, 10), { host: 'a' }, 'cpu', 'a'),
      point({ usage: 2 }, at(2023, 1, 20), { host: 'a' }, 'cpu', 'b'),
      point({ usage: 3 }, at(2023, 3, 5), { host: 'a' }, 'cpu', 'a'),
      point({ usage: 4 }, at(2023, 3, 6), { host: 'b' }, 'cpu', 'a'),
      point({ usage: 5 }, at(2023, 4, 2), { host: 'a' }, 'cpu', 'a'),
    ]);
    expect(await partitions()).toEqual(['samples_2023m01', 'samples_2023m03', 'samples_2023m04']);
    // March is a's alone and wholly before the cutoff: dropped. January is shared with b: a DELETE.
    // April is partly after it: a DELETE of what is older.
    expect(await store.deleteBefore('a', at(2023, 4, 3))).toBe(4);
    expect(await partitions()).toEqual(['samples_2023m01', 'samples_2023m04']);
    expect((await store.databaseStats()).map((s) => [s.database, s.samples])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    // A write into the dropped month recreates its partition.
    await store.write([point({ usage: 6 }, at(2023, 3, 7), { host: 'a' }, 'cpu', 'b')]);
    expect(await partitions()).toEqual(['samples_2023m01', 'samples_2023m03', 'samples_2023m04']);
    expect(await store.deleteBefore('b', at(2024, 1, 1))).toBe(2);
    // Every month is wholly before b's cutoff and holds no other database's rows (a's are gone): all dropped.
    expect(await partitions()).toEqual([]);
  });
});

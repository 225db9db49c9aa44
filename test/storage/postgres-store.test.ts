import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import type { Point } from '../../src/core/point.js';
import { MIGRATIONS, migrate } from '../../src/storage/postgres/migrations.js';
import { PostgresStore, type PostgresStoreOptions } from '../../src/storage/postgres/postgres-store.js';
import type { RollupLevel, SeriesQuery } from '../../src/storage/store.js';
import { type PostgresServer, postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { storeContract } from './store-contract.js';
import { expectAppError, HOUR, letter, MINUTE, point, query, SECOND, T0 } from './store-fixtures.js';

const unavailable = postgresUnavailable();
const LATEST = MIGRATIONS.at(-1)?.version ?? 0;
const ROLLUPS: RollupLevel[] = [
  { interval: MINUTE, keep: 10_000 * HOUR },
  { interval: HOUR, keep: 10_000 * HOUR },
];
if (unavailable !== undefined) console.warn(`PostgreSQL store tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('PostgresStore', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  // A fresh database per fixture; the reopened store is a new instance on the same database.
  storeContract('postgres', async () => {
    const url = await server.createDatabase();
    const make = () => new PostgresStore({ url, password: server.password });
    return { store: make(), cleanup: () => server.dropDatabase(url), reopen: make };
  });

  // Again with rollups: the contract's queries then read rollup buckets where the levels have them.
  storeContract('postgres with rollups', async () => {
    const url = await server.createDatabase();
    const make = () => new PostgresStore({ url, password: server.password, rollups: ROLLUPS });
    return { store: make(), cleanup: () => server.dropDatabase(url), reopen: make };
  });

  describe('specifics', () => {
    let url: string;
    const open: PostgresStore[] = [];

    const startStore = async (options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> => {
      const store = new PostgresStore({ url, password: server.password, ...options });
      await store.start();
      open.push(store);
      return store;
    };
    /** SQL as the superuser on this test's database. */
    const sql = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      server.sql<R>(text, values, url);
    const count = async (table: string): Promise<number> =>
      Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM sensorhub.${table}`))[0]?.n);

    beforeAll(async () => {
      url = await server.createDatabase();
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.stop();
      await server.dropDatabase(url);
      url = await server.createDatabase();
    });

    describe('schema migrations', () => {
      it('migrates an empty database to the latest version, then leaves it alone', async () => {
        const lines: string[] = [];
        const logger = createLogger('info', { write: (line: string) => lines.push(line) });
        const store = await startStore({ logger });
        expect(store.partitioning).toBe('native'); // Debian has no TimescaleDB package
        const logged = lines.map(
          (l) => JSON.parse(l) as { msg: string; reason?: string; applied?: number[] },
        );
        expect(logged.map((l) => l.msg)).toEqual([
          'TimescaleDB not used; samples get native monthly partitions',
          'PostgreSQL schema migrated',
          'PostgreSQL store ready (native monthly partitions)',
        ]);
        expect(logged[0]?.reason).toContain('not installed on the server');
        expect(logged[1]?.applied).toEqual(MIGRATIONS.map((m) => m.version));
        const versions = await sql('SELECT version, description FROM sensorhub.schema_version ORDER BY 1');
        expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version, description: m.description })));
        const tables = await sql<{ name: string }>(
          `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'sensorhub' AND c.relkind IN ('r', 'p', 'v') ORDER BY 1`,
        );
        expect(tables.map((t) => t.name)).toEqual([
          'dead_letters',
          'field_types',
          'meta',
          'readings',
          'rollup_dirty',
          'rollup_levels',
          'rollups',
          'samples',
          'schema_version',
          'series',
        ]);
        await store.stop();
        await withClient(url, server.password, async (c) => {
          const again = await migrate(c, 'sensorhub', { partitioning: 'auto', logger: silentLogger });
          expect(again).toEqual({ applied: [], version: LATEST, partitioning: 'native' });
        });
        await startStore(); // and a restart on the migrated schema
      });

      it('applies pending steps in one transaction: a failing step leaves nothing behind', async () => {
        await (await startStore()).stop();
        const step2 = (statements: string[]) => [
          ...MIGRATIONS,
          { version: LATEST + 1, description: 'test step', statements: () => statements },
        ];
        await withClient(url, server.password, async (c) => {
          const failing = step2(['CREATE TABLE sensorhub.extra (a integer)', 'SELECT 1 / 0']);
          const err = await expectAppError(
            migrate(c, 'sensorhub', { partitioning: 'auto', logger: silentLogger, migrations: failing }),
            'STO_CLOSED',
          );
          expect(err.message).toContain(
            `migration ${LATEST + 1} (test step) failed: division by zero (SQLSTATE 22012)`,
          );
          expect(err.message).toContain(`from version ${LATEST} to ${LATEST + 1}`);
          expect(await sql("SELECT to_regclass('sensorhub.extra') AS t")).toEqual([{ t: null }]);
          const ok = step2(['CREATE TABLE sensorhub.extra (a integer)']);
          const done = await migrate(c, 'sensorhub', {
            partitioning: 'auto',
            logger: silentLogger,
            migrations: ok,
          });
          expect(done.applied).toEqual([LATEST + 1]);
        });
        expect(await count('extra')).toBe(0);
        // This sensorhub knows only the versions up to LATEST.
        const err = await expectAppError(
          new PostgresStore({ url, password: server.password }).start(),
          'STO_CLOSED',
        );
        expect(err.message).toContain(
          `database schema version ${LATEST + 1} is newer than this sensorhub's (${LATEST})`,
        );
      });

      it('refuses a database written by a newer sensorhub, naming both versions', async () => {
        await (await startStore()).stop();
        await sql("INSERT INTO sensorhub.schema_version (version, description) VALUES (99, 'future')");
        const err = await expectAppError(
          new PostgresStore({ url, password: server.password }).start(),
          'STO_CLOSED',
        );
        expect(err.message).toContain(`version 99 is newer than this sensorhub's (${LATEST})`);
      });

      it('refuses partitioning "timescaledb" where the extension is unavailable, creating nothing', async () => {
        const available = await sql("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
        if (available.length > 0) return; // a server with TimescaleDB: the other tests run in that mode
        const store = new PostgresStore({ url, password: server.password, partitioning: 'timescaledb' });
        const err = await expectAppError(store.start(), 'STO_CLOSED');
        expect(err.message).toContain('partitioning "timescaledb" was asked for, but it is not installed');
        expect(await sql("SELECT to_regclass('sensorhub.schema_version') AS t")).toEqual([{ t: null }]);
      });

      it('works in a schema of its own name, next to another', async () => {
        const a = await startStore({ schema: 'site_a' });
        const b = await startStore({ schema: 'site_b' });
        await a.write([point({ usage: 1 }, T0)]);
        await b.write([point({ usage: 'x' }, T0)]);
        expect((await a.query(query())).series[0]?.value).toEqual([1]);
        expect((await b.query(query())).series[0]?.value).toEqual(['x']);
        await expectAppError(startStore({ schema: 'Bad-Name' }), 'CFG_INVALID');
      });
    });

    describe('native partitions', () => {
      const partitions = async () =>
        (
          await sql<{ name: string; n: string }>(
            `SELECT c.relname AS name, (SELECT count(*) FROM sensorhub.samples s WHERE s.tableoid = c.oid) AS n
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'sensorhub.samples'::regclass ORDER BY 1`,
          )
        ).map((p) => [p.name, Number(p.n)]);

      it('creates month partitions on demand, across a month boundary and before 1970', async () => {
        const store = await startStore();
        expect(await partitions()).toEqual([]);
        const december = Date.UTC(2023, 11, 1) * 1000;
        await store.write([
          point({ usage: 1 }, december - 1),
          point({ usage: 2 }, december),
          point({ usage: 3 }, december + 1),
        ]);
        expect(await partitions()).toEqual([
          ['samples_2023m11', 1],
          ['samples_2023m12', 2],
        ]);
        expect(
          (await store.query(query({ from: december - HOUR, to: december + HOUR }))).series[0]?.value,
        ).toEqual([1, 2, 3]);
        await store.write([point({ usage: 4 }, -1), point({ usage: 5 }, december + 2)]);
        expect(await partitions()).toEqual([
          ['samples_1969m12', 1],
          ['samples_2023m11', 1],
          ['samples_2023m12', 3],
        ]);
        // Readers see each partition through samples; the primary key exists on every partition.
        const indexes = await sql<{ n: string }>(
          "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'sensorhub' AND tablename LIKE 'samples_%'",
        );
        expect(Number(indexes[0]?.n)).toBe(3);
      });

      it('lets two writers create the same new month at once', async () => {
        const a = await startStore();
        const b = await startStore();
        const march = Date.UTC(2024, 2, 1) * 1000;
        await Promise.all([
          a.write([point({ usage: 1 }, march + SECOND, { host: 'a' })]),
          b.write([point({ usage: 2 }, march + 2 * SECOND, { host: 'b' })]),
        ]);
        expect(await partitions()).toEqual([['samples_2024m03', 2]]);
      });
    });

    describe('writes', () => {
      it('COPYs 100k points (200k values) in one write, and merges a re-delivery without double counting', async () => {
        const store = await startStore();
        const points: Point[] = [];
        for (let i = 0; i < 100_000; i++) {
          points.push(
            point({ usage: i + 0.5, up: i % 2 === 0 }, T0 + Math.floor(i / 1000) * SECOND, {
              host: `h${i % 1000}`,
            }),
          );
        }
        expect(await store.write(points)).toEqual({ written: 100_000, refused: [] });
        expect(store.stats()).toEqual({ series: 2000, samples: 200_000, deadLetters: 0 });
        expect(await count('samples')).toBe(200_000);
        const r = await store.query(query({ aggregate: 'count', interval: HOUR, limit: 100_000 }));
        expect(r.series).toHaveLength(1000);
        expect(r.series.reduce((n, s) => n + (s.value[0] as number), 0)).toBe(100_000);
        expect(
          (await store.query(query({ aggregate: 'sum', tags: { host: 'h7' } }))).series[0]?.value,
        ).toEqual([Array.from({ length: 100 }, (_, k) => k * 1000 + 7 + 0.5).reduce((a, b) => a + b, 0)]);

        // The same batch again (a re-delivery), with one value changed.
        points[5] = point({ usage: -1, up: false }, points[5]?.time as number, { host: 'h5' });
        expect(await store.write(points)).toEqual({ written: 100_000, refused: [] });
        expect(store.stats()).toEqual({ series: 2000, samples: 200_000, deadLetters: 0 });
        expect(await count('samples')).toBe(200_000);
        const h5 = await store.query(query({ tags: { host: 'h5' }, limit: 1 }));
        expect(h5.series[0]?.value).toEqual([-1]);
      });

      it('leaves nothing half-written when its connection is killed before COMMIT, then reconnects', async () => {
        let kill = false;
        const store = await startStore({
          beforeCommit: async () => {
            if (!kill) return;
            await sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = 'sensorhub-writer' AND datname = current_database()`,
            );
          },
        });
        await store.write([point({ usage: 1 }, T0), point({ usage: 2 }, T0 + SECOND)]);
        const before = store.stats();

        kill = true;
        const err = await expectAppError(
          store.write([
            point({ usage: 10 }, T0), // replaces a stored value
            point({ usage: 3 }, T0 + 2 * SECOND),
            point({ usage: 5, idle: 1, state: 'new' }, T0, { host: 'new' }), // new series and field types
            point({ usage: 6 }, Date.UTC(2030, 0, 1) * 1000), // a new partition (created before the transaction)
          ]),
          'STO_WRITE_FAILED',
        );
        expect(err.message).toMatch(/^write failed: /);
        expect(store.isWritable()).toBe(false);
        expect(store.stats()).toEqual(before);
        expect(await count('samples')).toBe(2);
        expect(await count('series')).toBe(1);
        expect(await count('field_types')).toBe(1);
        expect((await store.query(query())).series.map((s) => s.value)).toEqual([[1, 2]]);

        kill = false;
        await store.write([
          point({ usage: 7, idle: 2, state: 'ok' }, T0, { host: 'new' }),
          point({ usage: 11 }, T0),
        ]);
        expect(store.isWritable()).toBe(true);
        expect((await store.query(query())).series.map((s) => [s.tags.host, s.value])).toEqual([
          ['a', [11, 2]],
          ['new', [7]],
        ]);
        expect(store.stats()).toEqual({ series: 4, samples: 5, deadLetters: 0 });
        expect(await count('samples')).toBe(5);
      });

      it('shares a database with another process: finds its series and types, and races for types fairly', async () => {
        const a = await startStore();
        const b = await startStore();
        await a.write([point({ usage: 1 }, T0, { host: 'a' })]);
        // b has neither the series nor the type cached: it learns both from the database.
        const outcome = await b.write([
          point({ usage: 'high' }, T0 + 1, { host: 'b' }),
          point({ usage: 2 }, T0 + 1),
        ]);
        expect(outcome.refused.map((r) => [r.index, r.code])).toEqual([[0, 'STO_FIELD_TYPE_CONFLICT']]);
        expect(outcome.refused[0]?.message).toBe('field "usage" is float; this point has it as string');
        expect((await a.query(query())).series.map((s) => s.value)).toEqual([[1, 2]]);
        expect(await count('series')).toBe(1);

        // Both fix the type of a new field at the same moment: exactly one wins.
        const [fromA, fromB] = await Promise.all([
          a.write([point({ mode: 'eco' }, T0 + 2)]),
          b.write([point({ mode: 3 }, T0 + 3)]),
        ]);
        expect(fromA.refused.length + fromB.refused.length).toBe(1);
        expect(await count('field_types')).toBe(2);
        expect(await a.listSeries({})).toEqual(await b.listSeries({}));

        // b last wrote host a at T0 + 1; a writes T0 + 5s, which b then writes too, believing it new:
        // the plain insert meets a's row, and the batch merges instead (b's value wins, counted once).
        await a.write([point({ usage: 50 }, T0 + 5 * SECOND)]);
        const bSamples = b.stats().samples;
        await b.write([point({ usage: 51 }, T0 + 5 * SECOND), point({ usage: 60 }, T0 + 6 * SECOND)]);
        expect(b.stats().samples).toBe(bSamples + 1);
        expect((await b.query(query({ from: T0 + 5 * SECOND }))).series[0]?.value).toEqual([51, 60]);
        expect(await count('samples')).toBe(5);
      });

      it('serializes concurrent writes and lets stop wait for them', async () => {
        const store = await startStore();
        const writes = Array.from({ length: 20 }, (_, i) =>
          store.write([point({ usage: i }, T0 + i * SECOND)]),
        );
        const stopped = store.stop();
        await expect(Promise.all(writes)).resolves.toHaveLength(20);
        await stopped;
        expect(await count('samples')).toBe(20);
      });

      it('reloads its catalog and counts at start: a restart neither double-counts nor forgets types', async () => {
        const first = await startStore();
        await first.write([0, 1, 2].map((i) => point({ usage: i, up: true }, T0 + i * SECOND)));
        await first.appendDeadLetters([letter({})]);
        await first.stop();
        const second = await startStore();
        expect(second.stats()).toEqual({ series: 2, samples: 6, deadLetters: 1 });
        await second.write([0, 1, 2, 3].map((i) => point({ usage: i * 10 }, T0 + i * SECOND)));
        expect(second.stats()).toEqual({ series: 2, samples: 7, deadLetters: 1 });
        expect(await count('samples')).toBe(7);
        const conflict = await second.write([point({ up: 1 }, T0 + 9 * SECOND)]);
        expect(conflict.refused.map((r) => r.code)).toEqual(['STO_FIELD_TYPE_CONFLICT']);
      });

      it('refuses a batch with U+0000 in a string, and keeps a dead letter that quotes one', async () => {
        const store = await startStore();
        for (const bad of [
          [point({ usage: 1 }, T0), point({ state: 'a\u0000b' }, T0)],
          [point({ usage: 1 }, T0, { host: 'a\u0000' })],
        ]) {
          const err = await expectAppError(store.write(bad), 'STO_WRITE_FAILED');
          expect(err.message).toContain('U+0000');
        }
        expect(store.stats().samples).toBe(0);
        const payload = Buffer.from([0x61, 0x00, 0x62]);
        await store.appendDeadLetters([letter({ payload, message: 'payload "a\u0000b" is not a number' })]);
        const [kept] = await store.listDeadLetters({ limit: 1 });
        expect(kept?.message).toBe('payload "a\u2400b" is not a number');
        expect(kept?.payload).toEqual(payload);
      });

      it('keeps the password out of the URL, and names the server it cannot reach', async () => {
        const withPassword = new PostgresStore({ url: 'postgres://sensorhub:s3cret@127.0.0.1:5432/db' });
        const err = await expectAppError(withPassword.start(), 'CFG_INVALID');
        expect(err.message).not.toContain('s3cret');
        await expectAppError(new PostgresStore({ url: 'mysql://u@h/db' }).start(), 'CFG_INVALID');
        const closed = await freePortUrl();
        const down = await expectAppError(new PostgresStore({ url: closed }).start(), 'STO_CLOSED');
        expect(down.message).toContain(`cannot open PostgreSQL store ${closed}`);
        expect(down.message).toContain('ECONNREFUSED');
      });
    });

    describe('rollups', () => {
      const series = (n: number) =>
        Array.from({ length: 3 * 60 * 4 }, (_, k) =>
          point({ usage: (k * 7 + n) % 11, idle: k % 2 === 0 }, T0 + k * 15 * SECOND, { host: `h${n}` }),
        );
      const queries: Partial<SeriesQuery>[] = [
        { aggregate: 'mean', interval: 10 * MINUTE, groupBy: [] },
        { aggregate: 'count', interval: HOUR },
        { aggregate: 'sum', groupBy: [] },
        { aggregate: 'first', interval: 5 * MINUTE, offset: MINUTE, groupBy: [] },
        { aggregate: 'last', groupBy: [] },
        { aggregate: 'min', from: T0 + 30 * SECOND, to: T0 + 2 * HOUR + 7 * SECOND },
        { aggregate: 'max', interval: HOUR, groupBy: [] },
      ];
      const answers = (store: PostgresStore) => Promise.all(queries.map((q) => store.query(query(q))));
      const rollupRows = async () =>
        (
          await sql<{ level: string; n: string; total: string }>(
            `SELECT level, count(*) AS n, sum(count) AS total FROM sensorhub.rollups GROUP BY 1 ORDER BY 1`,
          )
        ).map((r) => [Number(r.level), Number(r.n), Number(r.total)]);

      it('two processes maintaining one database at once roll every bucket once, and read what raw reads', async () => {
        const plain = await startStore();
        const a = await startStore({ rollups: ROLLUPS });
        const b = await startStore({ rollups: ROLLUPS });
        await a.write([...series(0), ...series(1), ...series(2)]);
        const expected = await answers(plain);
        expect(await answers(a)).toEqual(expected);

        const [ra, rb] = await Promise.all([
          a.maintainRollups(T0 + 3 * HOUR),
          b.maintainRollups(T0 + 3 * HOUR),
        ]);
        for (const report of [ra, rb]) {
          expect(report.levels.map((l) => [l.interval, l.watermark])).toEqual([
            [MINUTE, T0 + 3 * HOUR],
            [HOUR, T0 + 3 * HOUR],
          ]);
        }
        // Whoever waited for the lock found the work done: 3 series × 180 minutes, 3 × 3 hours.
        expect(ra.levels.map((l, k) => l.rolled + (rb.levels[k]?.rolled ?? 0))).toEqual([540, 9]);
        expect(await rollupRows()).toEqual([
          [MINUTE, 540, 2160],
          [HOUR, 9, 2160],
        ]);
        expect(await answers(a)).toEqual(expected);
        expect(await answers(b)).toEqual(expected);

        // A late write (from another process, one without rollups) replaces a point and adds one: its
        // buckets are dirty, read raw until the next run re-rolls them.
        await plain.write([point({ usage: 100 }, T0 + 15 * SECOND, { host: 'h1' })]);
        await plain.write([point({ usage: -5 }, T0 + 61 * MINUTE + 1, { host: 'h2' })]);
        expect(
          (await sql('SELECT level, bucket FROM sensorhub.rollup_dirty ORDER BY 1, 2')).map((r) => [
            Number(r.level),
            Number(r.bucket),
          ]),
        ).toEqual([
          [MINUTE, T0],
          [MINUTE, T0 + 61 * MINUTE],
          [HOUR, T0],
          [HOUR, T0 + HOUR],
        ]);
        const late = await answers(plain);
        expect(late).not.toEqual(expected);
        expect(await answers(a)).toEqual(late);
        const again = await b.maintainRollups(T0 + 3 * HOUR);
        expect(again.levels.map((l) => l.rolled)).toEqual([6, 6]);
        expect(await sql('SELECT * FROM sensorhub.rollup_dirty')).toEqual([]);
        expect(await rollupRows()).toEqual([
          [MINUTE, 540, 2161],
          [HOUR, 9, 2161],
        ]);
        expect(await answers(a)).toEqual(late);

        // Retention deletes the raw points: the rolled buckets still answer.
        await a.deleteBefore('db', T0 + 3 * HOUR);
        const whole = { from: T0, to: T0 + 3 * HOUR };
        expect(
          (await a.query(query({ aggregate: 'count', groupBy: [], ...whole }))).series[0]?.value,
        ).toEqual([2161]);
        expect((await plain.query(query({ aggregate: 'count', groupBy: [], ...whole }))).series).toEqual([]);
      });

      it('rolls only slices that hold data, partitions by level and month, and prunes by keep', async () => {
        const store = await startStore({ rollups: [{ interval: MINUTE, keep: 40 * 24 * HOUR }] });
        const december = Date.UTC(2023, 11, 1) * 1000;
        await store.write([
          point({ usage: 1 }, december - 2 * 24 * HOUR),
          point({ usage: 2 }, december + 10 * SECOND),
          point({ usage: 3 }, december + 20 * 24 * HOUR),
        ]);
        const first = await store.maintainRollups(december + 30 * 24 * HOUR);
        expect(first.levels[0]).toMatchObject({ watermark: december + 30 * 24 * HOUR, rolled: 3, pruned: 0 });
        const parts = async () =>
          (
            await sql<{ name: string }>(
              `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'sensorhub' AND c.relname LIKE 'rollups_%' AND c.relkind IN ('r', 'p') ORDER BY 1`,
            )
          ).map((r) => r.name);
        expect(await parts()).toEqual(['rollups_60s', 'rollups_60s_2023m11', 'rollups_60s_2023m12']);
        // 40 days later, November is older than keep: its partition is dropped.
        const later = await store.maintainRollups(december + 50 * 24 * HOUR);
        expect(later.levels[0]).toMatchObject({ rolled: 0, pruned: 2 });
        expect(await parts()).toEqual(['rollups_60s', 'rollups_60s_2023m12']);
        expect(await rollupRows()).toEqual([[MINUTE, 1, 1]]);
      });
    });

    describe('roles', () => {
      let n = 0;

      it('gives the ingest role inserts and the merge, and nothing to read samples, update, delete or drop', async () => {
        const db = new URL(url).pathname.slice(1);
        const names = { owner: `owner_${++n}`, ingest: `ingest_${n}`, reader: `reader_${n}` };
        // A non-superuser owner, as in production: the merge function then really runs as someone else.
        await sql(`CREATE ROLE ${names.owner} LOGIN PASSWORD 'owner-password'`);
        await sql(`GRANT CREATE ON DATABASE ${db} TO ${names.owner}`);
        const roleUrl = (role: string) => `postgres://${role}@${server.host}:${server.port}/${db}`;
        const owner = await startStore({
          url: roleUrl(names.owner),
          password: 'owner-password',
          rollups: ROLLUPS,
        });
        await owner.write([point({ usage: 1 }, T0)]);
        await owner.setMeta('auth.admin', 'hash');
        // The owner runs rollup maintenance: it creates the rollup partitions.
        expect((await owner.maintainRollups(T0 + HOUR)).levels.map((l) => l.rolled)).toEqual([1, 1]);

        await PostgresStore.provisionRoles(
          url,
          { ingest: names.ingest, reader: names.reader },
          {
            adminPassword: server.password,
            passwords: { ingest: 'ingest-password', reader: 'reader-password' },
          },
        );
        // Idempotent.
        await PostgresStore.provisionRoles(
          url,
          { ingest: names.ingest, reader: names.reader },
          { adminPassword: server.password },
        );

        const ingest = await startStore({ url: roleUrl(names.ingest), password: 'ingest-password' });
        expect(ingest.stats()).toEqual({ series: 1, samples: 1, deadLetters: 0 });
        expect(
          await ingest.write([
            point({ usage: 2 }, T0), // the merge: replaces the owner's value
            point({ usage: 3, state: 'ok' }, T0 + SECOND, { host: 'b' }), // new series and field type
            point({ usage: 4 }, Date.UTC(2031, 5, 1) * 1000), // a new partition
          ]),
        ).toEqual({ written: 3, refused: [] });
        await ingest.appendDeadLetters([letter({})]);
        expect(ingest.stats()).toEqual({ series: 3, samples: 4, deadLetters: 1 });
        // The merge marked the rolled-up buckets its late write touched, with no privilege on rollup_dirty.
        expect(await count('rollup_dirty')).toBe(2);
        expect(await ingest.getMeta('auth.admin')).toBe('hash');
        expect(
          (await owner.query(query({ to: T0 + 10 * 365 * 24 * HOUR }))).series.map((s) => s.value),
        ).toEqual([[2, 4], [3]]);

        const denied = /permission denied/;
        expect((await expectAppError(ingest.query(query()), 'STO_READ_FAILED')).message).toMatch(denied);
        expect(
          (await expectAppError(ingest.listDeadLetters({ limit: 1 }), 'STO_READ_FAILED')).message,
        ).toMatch(denied);
        expect((await expectAppError(ingest.deleteDeadLetters([1]), 'STO_WRITE_FAILED')).message).toMatch(
          denied,
        );
        expect(
          (await expectAppError(ingest.pruneDeadLetters({ maxCount: 0 }), 'STO_WRITE_FAILED')).message,
        ).toMatch(denied);
        expect(
          (await expectAppError(ingest.setMeta('auth.admin', 'mine'), 'STO_WRITE_FAILED')).message,
        ).toMatch(denied);

        const asIngest = (text: string) => sqlAs(roleUrl(names.ingest), 'ingest-password', text);
        for (const statement of [
          'SELECT * FROM sensorhub.samples',
          'SELECT * FROM sensorhub.readings',
          'SELECT * FROM sensorhub.dead_letters',
          'INSERT INTO sensorhub.samples VALUES (1, now(), 1, NULL, NULL)',
          'UPDATE sensorhub.samples SET value_float = 0',
          'DELETE FROM sensorhub.samples',
          'TRUNCATE sensorhub.samples',
          'DROP TABLE sensorhub.samples',
          'DELETE FROM sensorhub.series',
          "UPDATE sensorhub.series SET field = 'x'",
          'DELETE FROM sensorhub.dead_letters',
          "UPDATE sensorhub.meta SET value = 'x'",
          'DROP SCHEMA sensorhub CASCADE',
          'CREATE TABLE sensorhub.mine (a integer)',
          'ALTER TABLE sensorhub.series ADD COLUMN x integer',
          'SELECT * FROM sensorhub.rollups',
          'INSERT INTO sensorhub.rollup_dirty VALUES (60000000, 0)',
          'DELETE FROM sensorhub.rollup_dirty',
          'UPDATE sensorhub.rollup_levels SET watermark = 0',
        ]) {
          expect([statement, await asIngest(statement)]).toEqual([statement, '42501']);
        }
        expect(await count('samples')).toBe(4);

        const reader = await startStore({
          url: roleUrl(names.reader),
          password: 'reader-password',
          rollups: ROLLUPS,
        });
        expect((await reader.query(query())).series.map((s) => s.value)).toEqual([[2], [3]]);
        // Aggregates read the rollup tables (and the dirty buckets raw).
        await owner.maintainRollups(T0 + 2 * HOUR);
        expect(await count('rollup_dirty')).toBe(0);
        await sql('DELETE FROM sensorhub.samples WHERE time < $1', [new Date((T0 + HOUR) / 1000)]);
        expect(
          (await reader.query(query({ aggregate: 'sum', to: T0 + HOUR }))).series.map((s) => s.value),
        ).toEqual([[2], [3]]);
        await expectAppError(reader.maintainRollups(T0 + 3 * HOUR), 'STO_WRITE_FAILED');
        expect(await reader.countDeadLetters({})).toBe(1);
        expect(
          (await expectAppError(reader.write([point({ usage: 9 }, T0)]), 'STO_WRITE_FAILED')).message,
        ).toMatch(denied);
        expect(
          (await expectAppError(reader.appendDeadLetters([letter({})]), 'STO_WRITE_FAILED')).message,
        ).toMatch(denied);
        expect((await expectAppError(reader.getMeta('auth.admin'), 'STO_READ_FAILED')).message).toMatch(
          denied,
        );

        const asReader = (text: string) => sqlAs(roleUrl(names.reader), 'reader-password', text);
        // What Grafana runs: plain SQL on the readings view.
        expect(
          await asReader(
            "SELECT time, value FROM sensorhub.readings WHERE measurement = 'cpu' AND tags->>'host' = 'a'",
          ),
        ).toBe('ok');
        for (const statement of [
          'SELECT * FROM sensorhub.meta',
          'INSERT INTO sensorhub.samples VALUES (1, now(), 1, NULL, NULL)',
          "INSERT INTO sensorhub.meta VALUES ('k', 'v')",
          'DELETE FROM sensorhub.dead_letters',
          'SELECT sensorhub.merge_staged_samples(0)',
          'SELECT sensorhub.ensure_sample_partitions(ARRAY[now()])',
          'DROP TABLE sensorhub.series',
          'INSERT INTO sensorhub.rollup_dirty VALUES (60000000, 0)',
          'DELETE FROM sensorhub.rollups',
        ]) {
          expect([statement, await asReader(statement)]).toEqual([statement, '42501']);
        }
        expect(await count('samples')).toBe(1);
      });

      it('migrates an empty database before granting', async () => {
        await PostgresStore.provisionRoles(
          url,
          { ingest: `ingest_${++n}`, reader: `reader_${n}` },
          { adminPassword: server.password, passwords: { ingest: 'ingest-password' } },
        );
        const db = new URL(url).pathname.slice(1);
        const ingestUrl = `postgres://ingest_${n}@${server.host}:${server.port}/${db}`;
        const ingest = await startStore({ url: ingestUrl, password: 'ingest-password' });
        await ingest.write([point({ usage: 1 }, T0)]);
        expect(ingest.stats().samples).toBe(1);
      });
    });
  });
});

async function withClient<T>(url: string, password: string, body: (c: pg.Client) => Promise<T>): Promise<T> {
  const u = new URL(url);
  const client = new pg.Client({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    database: u.pathname.slice(1),
    password,
  });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** 'ok', or the SQLSTATE the statement failed with. */
async function sqlAs(url: string, password: string, text: string): Promise<string> {
  return withClient(url, password, async (c) => {
    try {
      await c.query(text);
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  });
}

async function freePortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  return `postgres://nobody@127.0.0.1:${port}/db`;
}

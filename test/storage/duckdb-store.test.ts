import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Point } from '../../src/core/point.js';
import { DuckDbStore, type DuckDbStoreOptions } from '../../src/storage/duckdb/duckdb-store.js';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { gridContract } from './grid-contract.js';
import { storeContract } from './store-contract.js';
import { expectAppError, HOUR, letter, MINUTE, point, query, SECOND, T0 } from './store-fixtures.js';

storeContract('duckdb (file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-duckdb-'));
  const path = join(dir, 'data', 'store.duckdb');
  return {
    store: new DuckDbStore({ path }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    reopen: () => new DuckDbStore({ path }),
  };
});

storeContract('duckdb (:memory:)', async () => ({
  store: new DuckDbStore({ path: ':memory:' }),
  cleanup: async () => {},
}));

gridContract('duckdb with rollups', async () => ({
  store: new DuckDbStore({
    path: ':memory:',
    rollups: [
      { interval: MINUTE, keep: 1000 * HOUR },
      { interval: 10 * MINUTE, keep: 1000 * HOUR },
    ],
  }),
  cleanup: async () => {},
}));

/** Counts rows straight from the file, bypassing the store and its in-memory state. */
async function countRows(path: string): Promise<{ series: number; samples: number }> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      'SELECT (SELECT count(*) FROM series)::INTEGER, (SELECT count(*) FROM samples)::INTEGER',
    );
    const [series, samples] = reader.getRows()[0] as [number, number];
    return { series, samples };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('DuckDbStore', () => {
  let dir: string;
  let path: string;
  const open: DuckDbStore[] = [];

  const startStore = async (options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> => {
    const store = new DuckDbStore({ path, ...options });
    await store.start();
    open.push(store);
    return store;
  };

  /** The same points in a store without rollups, kept in memory: the raw answer to compare with. */
  const startPlain = async (points: readonly Point[]): Promise<DuckDbStore> => {
    const store = new DuckDbStore({ path: ':memory:' });
    await store.start();
    open.push(store);
    await store.write(points);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-duckdb-'));
    path = join(dir, 'nested', 'dir', 'store.duckdb');
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the database file and its directory', async () => {
    const store = await startStore();
    await store.stop();
    expect((await stat(path)).isFile()).toBe(true);
  });

  it('reopens a file with its data, catalog and same-point semantics intact', async () => {
    const first = await startStore();
    await first.write([
      point({ usage: 1, up: true }, T0, { host: 'a' }),
      point({ usage: 2 }, T0 + SECOND, { host: 'a' }),
      point({ usage: 3 }, T0, { host: 'b' }),
    ]);
    await first.appendDeadLetters([
      {
        time: T0,
        source: 'mqtt',
        clientId: 'c',
        topic: 't',
        payload: Buffer.from('x'),
        payloadSize: 1,
        rule: 'r',
        code: 'ING_DECODE',
        message: 'm',
      },
    ]);
    await first.setMeta('k', 'v');
    const seriesBefore = await first.listSeries({});
    await first.stop();

    const second = await startStore();
    expect(await second.listSeries({})).toEqual(seriesBefore);
    expect(second.stats()).toEqual({ series: 3, samples: 4, deadLetters: 1 });
    expect(await second.getMeta('k')).toBe('v');
    // At or before the reloaded max time: must replace, not duplicate.
    await second.write([
      point({ usage: 10 }, T0, { host: 'a' }),
      point({ usage: 4 }, T0 + 2 * SECOND, { host: 'b' }),
    ]);
    const series = (await second.query(query())).series;
    expect(series.map((s) => [s.tags.host, s.time, s.value])).toEqual([
      ['a', [T0, T0 + SECOND], [10, 2]],
      ['b', [T0, T0 + 2 * SECOND], [3, 4]],
    ]);
    // Type of a field is remembered across restarts.
    const outcome = await second.write([point({ up: 1 }, T0 + 5 * SECOND, { host: 'a' })]);
    expect(outcome.refused.map((r) => r.code)).toEqual(['STO_FIELD_TYPE_CONFLICT']);
    // New catalog ids do not collide with reloaded ones.
    await second.write([point({ usage: 99 }, T0, { host: 'c' })]);
    expect((await second.query(query({ tags: { host: 'a' } }))).series[0]?.value).toEqual([10, 2]);
    expect((await second.query(query({ tags: { host: 'c' } }))).series[0]?.value).toEqual([99]);
    expect(second.stats()).toEqual({ series: 4, samples: 6, deadLetters: 1 });
  });

  it('compacts closed hours in series order without changing a value, once, across a restart', async () => {
    const hosts = ['a', 'b', 'c'];
    const points: Point[] = [];
    for (let i = 0; i < 4 * 60; i++) {
      for (const host of hosts)
        points.push(point({ usage: i + host.charCodeAt(0) }, T0 + i * 60 * SECOND, { host }));
    }
    const first = await startStore();
    await first.write(points);
    await first.appendDeadLetters([letter({})]);
    const all = query({ aggregate: 'raw' });
    const before = await first.query(all);
    const lastBefore = await first.query(query({ aggregate: 'last' }));
    // At T0 + 5 h the hours ending by T0 + 4 h are closed: all four.
    expect(await first.compact(T0 + 5 * HOUR)).toBe(4);
    expect(await first.query(all)).toEqual(before);
    expect(await first.query(query({ aggregate: 'last' }))).toEqual(lastBefore);
    expect(first.stats()).toEqual({ series: 3, samples: 4 * 60 * 3, deadLetters: 1 });
    // Same-point merge into a compacted slice still replaces instead of duplicating.
    await first.write([point({ usage: -1 }, T0 + 60 * SECOND, { host: 'b' })]);
    const b = (await first.query(query({ tags: { host: 'b' }, from: T0, to: T0 + 2 * 60 * SECOND })))
      .series[0];
    expect(b?.value).toEqual([98, -1]);
    // A backfill into a compacted hour: rewritten again once enough rows have landed there.
    const backfill = Array.from({ length: 1000 }, (_, i) =>
      point({ usage: i }, T0 + HOUR + i * SECOND, { host: 'd' }),
    );
    await first.write(backfill);
    expect(await first.compact(T0 + 5 * HOUR)).toBe(1);
    expect((await first.query(query({ tags: { host: 'd' } }))).series[0]?.value).toEqual(
      backfill.map((p) => p.fields.usage),
    );
    await first.stop();
    const second = await startStore();
    expect(await second.compact(T0 + 5 * HOUR)).toBe(0);
    expect(second.stats()).toEqual({ series: 4, samples: 4 * 60 * 3 + 1000, deadLetters: 1 });
    expect(await second.countDeadLetters({})).toBe(1);
  });

  it('clusters whole rolled-up days of a level in series order, once, without changing a value', async () => {
    const DAY = 24 * HOUR;
    const day = Math.floor(T0 / DAY) * DAY;
    const levels = [{ interval: 60 * SECOND, keep: 1000 * DAY }];
    const hosts = ['a', 'b', 'c'];
    const points: Point[] = [];
    // Two whole days of one point a minute per host: both days end before the level's watermark.
    for (let i = 0; i < 2 * 24 * 60; i++) {
      for (const host of hosts)
        points.push(point({ usage: ((i * 7) % 50) + host.charCodeAt(0) }, day + i * 60 * SECOND, { host }));
    }
    const now = day + 2 * DAY + 2 * HOUR;
    const first = await startStore({ rollups: levels });
    await first.write(points);
    await first.maintainRollups(now);
    const bucketed = query({ from: day, to: day + 2 * DAY, aggregate: 'mean', interval: 60 * SECOND });
    const raw = await (await startPlain(points)).query(bucketed);
    const before = await first.query(bucketed);
    expect(before).toEqual(raw);
    // 48 hours of samples (24 per call) and both days of the level.
    let rewritten = 0;
    for (let n = await first.compact(now); n > 0; n = await first.compact(now)) rewritten += n;
    expect(rewritten).toBe(48 + 2);
    expect(await first.query(bucketed)).toEqual(raw);
    // Late writes into the first day: its re-rolled buckets are appended, then the day is clustered again.
    const late = points
      .filter((p) => p.time < day + 400 * 60 * SECOND)
      .map((p) => ({ ...p, fields: { usage: (p.fields.usage as number) + 0.5 } }));
    await first.write(late);
    await first.maintainRollups(now);
    // The pass that re-rolled them leaves the day alone (late data may still be coming, as in a backfill);
    // the next one, with nothing late, clusters it again.
    expect(await first.compact(now)).toBe(0);
    await first.maintainRollups(now);
    expect(await first.compact(now)).toBe(1);
    const rawAfter = await (await startPlain([...points, ...late])).query(bucketed);
    expect(await first.query(bucketed)).toEqual(rawAfter);
    await first.stop();
    // In the file: each day's rollup rows are in (sid, bucket) order, every row kept.
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const rows = (
      await conn.runAndReadAll('SELECT sid::INTEGER, bucket::DOUBLE FROM rollup_60000000 ORDER BY rowid')
    ).getRows() as Array<[number, number]>;
    conn.closeSync();
    instance.closeSync();
    expect(rows).toHaveLength(2 * 24 * 60 * hosts.length);
    // Each day is one contiguous run of rows (wherever it is), sorted by (sid, bucket).
    const dayOf = (b: number) => Math.floor(b / DAY);
    const runs: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const [sb, bb] = rows[i] as [number, number];
      const previous = rows[i - 1];
      if (previous === undefined || dayOf(previous[1]) !== dayOf(bb)) {
        runs.push(dayOf(bb));
        continue;
      }
      const [sa, ba] = previous;
      expect(sa < sb || (sa === sb && ba < bb)).toBe(true);
    }
    expect(runs.sort()).toEqual([dayOf(day), dayOf(day) + 1]);
    const second = await startStore({ rollups: levels });
    expect(await second.compact(now)).toBe(0);
    expect(await second.query(bucketed)).toEqual(rawAfter);
  });

  it('answers a few series (no join) and many (joined) alike, from raw points and from rollups', async () => {
    const DAY = 24 * HOUR;
    const day = Math.floor(T0 / DAY) * DAY;
    const levels = [{ interval: 60 * SECOND, keep: 1000 * DAY }];
    const points: Point[] = [];
    for (let h = 0; h < 40; h++) {
      for (let i = 0; i < 3 * 60; i++)
        points.push(point({ usage: (i * 13 + h * 7) % 97 }, day + i * 20 * SECOND, { host: `h${h}` }));
    }
    const reference = new MemoryStore();
    await reference.start();
    await reference.write(points);
    const rolled = await startStore({ rollups: levels });
    await rolled.write(points);
    await rolled.maintainRollups(day + 2 * HOUR);
    const plain = await startPlain(points);
    const base = { from: day, to: day + HOUR, interval: 60 * SECOND };
    for (const q of [
      query({ ...base, aggregate: 'mean', tags: { host: 'h3' } }),
      query({ ...base, aggregate: 'max', tagPredicate: { op: 'match', key: 'host', source: '^h[1-3]$' } }),
      query({ ...base, aggregate: 'first' }),
      query({ ...base, aggregate: 'sum', groupBy: [] }),
      query({
        from: day,
        to: day + HOUR,
        aggregate: 'last',
        tagPredicate: { op: 'match', key: 'host', source: '^h1' },
      }),
    ]) {
      const expected = await reference.query(q);
      expect(expected.series.length).toBeGreaterThan(0);
      expect(await plain.query(q)).toEqual(expected);
      expect(await rolled.query(q)).toEqual(expected);
    }
    await reference.stop();
  });

  it('never lets a query planned before a prune read the level rows the prune deletes', async () => {
    const levels = [{ interval: 60 * SECOND, keep: 3 * HOUR }];
    const points: Point[] = [];
    for (let h = 0; h < 20; h++)
      for (let i = 0; i < 120; i++)
        points.push(point({ usage: i + h }, T0 + i * 60 * SECOND, { host: `h${h}` }));
    const store = await startStore({ rollups: levels });
    await store.write(points);
    await store.maintainRollups(T0 + 2 * HOUR + 60 * SECOND);
    const q = query({ from: T0, to: T0 + 2 * HOUR, aggregate: 'mean', interval: 60 * SECOND });
    const expected = await (await startPlain(points)).query(q);
    // Planned now, from the level (its reads queue up behind each other); then the level is pruned.
    const answers = Array.from({ length: 30 }, () => store.query(q));
    await store.maintainRollups(T0 + 6 * HOUR);
    for (const answer of await Promise.all(answers)) expect(answer).toEqual(expected);
    // Planned after the prune: raw points.
    expect(await store.query(q)).toEqual(expected);
  });

  it('rolls a failed batch back completely: samples, deletes, catalog and counters', async () => {
    let fail = false;
    const store = await startStore({
      beforeCommit: () => {
        if (fail) throw new Error('injected fault');
      },
    });
    await store.write([point({ usage: 1 }, T0), point({ usage: 2 }, T0 + SECOND)]);
    const statsBefore = store.stats();
    const seriesBefore = await store.listSeries({});

    fail = true;
    const err = await expectAppError(
      store.write([
        point({ usage: 100 }, T0), // replaces a stored sample: exercises the delete
        point({ usage: 3 }, T0 + 2 * SECOND),
        point({ usage: 5, idle: 1 }, T0, { host: 'new' }), // new catalog rows
      ]),
      'STO_WRITE_FAILED',
    );
    expect((err.cause as Error).message).toBe('injected fault');
    expect(store.isWritable()).toBe(false);
    expect(store.stats()).toEqual(statsBefore);
    expect(await store.listSeries({})).toEqual(seriesBefore);
    expect((await store.query(query())).series.map((s) => s.value)).toEqual([[1, 2]]);

    fail = false;
    await store.write([point({ usage: 7 }, T0, { host: 'new' })]);
    expect(store.isWritable()).toBe(true);
    expect((await store.query(query({ tags: { host: 'new' } }))).series[0]?.value).toEqual([7]);
    await store.stop();
    expect(await countRows(path)).toEqual({ series: 2, samples: 3 });
  });

  it('retention of one database never deletes another’s points, even a first write queued just before it', async () => {
    const store = await startStore();
    await store.write([point({ usage: 1 }, T0 - 10 * HOUR, { host: 'a' }, 'cpu', 'a')]);
    // The first write to "b" is queued before the delete of "a": the delete must filter by database.
    const write = store.write([point({ usage: 2 }, T0 - 10 * HOUR, { host: 'b' }, 'cpu', 'b')]);
    const deleted = store.deleteBefore('a', T0);
    await write;
    expect(await deleted).toBe(1);
    expect((await store.query(query({ database: 'b' }))).series.map((x) => x.value)).toEqual([[2]]);
  });

  it('remembers across a restart where retention cut raw data, whatever older points arrive later', async () => {
    const first = await startStore({ rollups: [{ interval: HOUR, keep: 1000 * HOUR }] });
    await first.write([point({ usage: 1 }, T0 - 5 * HOUR), point({ usage: 2 }, T0)]);
    await first.deleteBefore('db', T0 - 2 * HOUR);
    // An import of older data after the retention was lengthened: the oldest stored point moves back.
    await first.write([point({ usage: 3 }, T0 - 10 * HOUR)]);
    await first.stop();
    open.splice(open.indexOf(first), 1);
    const second = await startStore({ rollups: [{ interval: HOUR, keep: 1000 * HOUR }] });
    expect(await second.listMeta('storage.duckdb.raw_since:')).toEqual([
      ['storage.duckdb.raw_since:db', String(T0 - 2 * HOUR)],
    ]);
  });

  it('keeps the dirty mark of a late write made after a failed one, across a restart', async () => {
    let fail = false;
    const options = {
      rollups: [{ interval: HOUR, keep: 1000 * HOUR }],
      beforeCommit: () => {
        if (fail) throw new Error('injected fault');
      },
    };
    const first = await startStore(options);
    await first.write([point({ usage: 1 }, T0), point({ usage: 2 }, T0 + 10 * 60 * SECOND)]);
    await first.maintainRollups(T0 + 5 * HOUR);
    const sum = async (s: DuckDbStore) =>
      (await s.query(query({ aggregate: 'sum', interval: HOUR, from: T0, to: T0 + HOUR }))).series[0]?.value;
    expect(await sum(first)).toEqual([3]);
    fail = true;
    await expectAppError(first.write([point({ usage: 100 }, T0 + 20 * 60 * SECOND)]), 'STO_WRITE_FAILED');
    fail = false;
    await first.write([point({ usage: 5 }, T0 + 30 * 60 * SECOND)]);
    expect(await sum(first)).toEqual([8]);
    await first.stop();
    open.splice(open.indexOf(first), 1);
    const second = await startStore(options);
    expect(await sum(second)).toEqual([8]);
    await second.maintainRollups(T0 + 5 * HOUR);
    expect(await sum(second)).toEqual([8]);
  });

  it('refuses a second store on a file that is already open', async () => {
    await startStore();
    await expectAppError(new DuckDbStore({ path }).start(), 'STO_CLOSED');
  });

  it('serializes concurrent writes and lets stop wait for them', async () => {
    const store = await startStore();
    const writes = Array.from({ length: 20 }, (_, i) => store.write([point({ usage: i }, T0 + i * SECOND)]));
    const stopped = store.stop();
    await expect(Promise.all(writes)).resolves.toHaveLength(20);
    await stopped;
    const reopened = await startStore();
    expect((await reopened.query(query({ aggregate: 'count' }))).series[0]?.value).toEqual([20]);
  });

  it('writes a 200k-sample batch in one transaction', async () => {
    const store = await startStore();
    const points: Point[] = [];
    for (let i = 0; i < 100_000; i++) {
      points.push(
        point({ usage: i, up: i % 2 === 0 }, T0 + Math.floor(i / 1000) * SECOND, { host: `h${i % 1000}` }),
      );
    }
    expect(await store.write(points)).toEqual({ written: 100_000, refused: [] });
    expect(store.stats()).toEqual({ series: 2000, samples: 200_000, deadLetters: 0 });
    const r = await store.query(query({ aggregate: 'count', interval: HOUR }));
    expect(r.series).toHaveLength(1000);
    expect(r.series.reduce((n, s) => n + (s.value[0] as number), 0)).toBe(100_000);
  });
});

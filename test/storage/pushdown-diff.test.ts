import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../src/core/point.js';
import type { SelectStatement } from '../../src/query/influxql/ast.js';
import { rowsOf } from '../../src/query/influxql/column-rows.js';
import { parseInfluxQL } from '../../src/query/influxql/parser.js';
import { executeSelect, type ResultSeries } from '../../src/query/influxql/select.js';
import { DuckDbStore } from '../../src/storage/duckdb/duckdb-store.js';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import type { RollupLevel, TimeSeriesStore } from '../../src/storage/store.js';
import { type PostgresServer, postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { HOUR, MINUTE, SECOND, T0 } from './store-fixtures.js';

/**
 * Aggregates pushed down to the store (and read from rollups) must give what the InfluxQL executor
 * computes from raw points. The reference is the JS path over the memory store; every other combination
 * (memory or DuckDB, pushdown on, rollups on or off) must match it within float rounding.
 */

const LEVELS: RollupLevel[] = [
  { interval: MINUTE, keep: 10_000 * HOUR },
  { interval: 10 * MINUTE, keep: 10_000 * HOUR },
];

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      close(ka, kb) &&
      ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

const QUERIES = [
  'SELECT mean(v) FROM m GROUP BY time(1m)',
  'SELECT mean(v), count(v), sum(v) FROM m GROUP BY time(10m), host fill(0)',
  'SELECT min(v), max(v) FROM m GROUP BY time(1h) fill(none)',
  'SELECT first(v), last(v) FROM m GROUP BY time(20m, 5m), region',
  'SELECT first(v) FROM m',
  'SELECT last(v) FROM m GROUP BY host',
  'SELECT max(v) FROM m GROUP BY region',
  'SELECT min(v) FROM m',
  'SELECT count(v) FROM m WHERE host =~ /^h[12]$/ GROUP BY time(30m) fill(previous)',
  "SELECT sum(v) FROM m WHERE region != 'eu' OR host = 'h0' GROUP BY time(1m)",
  "SELECT mean(v) * 2 + 1 FROM m WHERE nosuch = '' GROUP BY time(5m) fill(linear)",
  'SELECT derivative(mean(v), 1m) FROM m GROUP BY time(10m), *',
  'SELECT count(up), first(up), last(up) FROM m GROUP BY time(1h)',
  "SELECT mean(v) FROM m WHERE host !~ /h3/ AND region = 'us' GROUP BY time(1m) fill(none)",
  'SELECT cumulative_sum(sum(v)) FROM m GROUP BY time(30m)',
  // Fills and shaping over columns the store filled whole (number columns) and value by value (booleans).
  'SELECT max(v) FROM m GROUP BY time(10m), host fill(previous)',
  'SELECT mean(v), min(v) FROM m GROUP BY time(5m) fill(linear)',
  'SELECT min(v), count(v) FROM m GROUP BY time(10m), host fill(-1) ORDER BY time DESC LIMIT 5 OFFSET 2',
  'SELECT last(up), count(v) FROM m GROUP BY time(20m) fill(previous) LIMIT 4',
  // One series per group in the levels' own buckets, over whole rolled buckets: a level's rows read as
  // they are (no regrouping).
  `SELECT mean(v), count(v), sum(v), min(v), max(v), first(v), last(v) FROM m WHERE time >= ${T0}u AND time < ${T0 + 2 * HOUR}u GROUP BY time(1m), *`,
  `SELECT mean(v), first(v), last(v) FROM m WHERE host = 'h1' AND time >= ${T0}u AND time < ${T0 + 2 * HOUR}u GROUP BY time(10m), * fill(none)`,
];

interface Sample {
  host: number;
  offset: number;
  value: number;
  on: boolean;
}

/** Points of a few hosts over 8 hours, with ties in time and value between series. */
const SAMPLE: fc.Arbitrary<Sample> = fc.record({
  host: fc.integer({ min: 0, max: 4 }),
  offset: fc.integer({ min: 0, max: 480 }),
  value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
  on: fc.boolean(),
});

function points(samples: readonly Sample[]): Point[] {
  return samples.map(
    (s): Point => ({
      database: 'db',
      measurement: 'm',
      tags: s.host === 4 ? {} : { host: `h${s.host}`, region: s.host % 2 === 0 ? 'eu' : 'us' },
      // Few distinct values and times, so that ties between series (same time, same value) happen.
      fields: { v: s.value, up: s.on },
      time: T0 + s.offset * 15 * SECOND,
    }),
  );
}

async function run(
  store: TimeSeriesStore,
  database: string,
  text: string,
  pushdown: boolean,
): Promise<ResultSeries[]> {
  const [parsed] = parseInfluxQL(text);
  const stmt = parsed?.statement as SelectStatement;
  const series = await executeSelect(stmt, {
    store,
    database,
    nowMicros: T0 + 3 * HOUR,
    maxPoints: 1_000_000,
    pushdown,
  });
  // Rows as arrays: GROUP BY time answers hold them as columns, whose layout may differ between paths.
  return series.map((s) => ({ ...s, values: rowsOf(s.values) }));
}

describe('aggregate pushdown and rollups give the JS path’s results', () => {
  const duck = new DuckDbStore({ path: ':memory:', rollups: LEVELS });
  const plainDuck = new DuckDbStore({ path: ':memory:' });
  beforeAll(async () => {
    await duck.start();
    await plainDuck.start();
  });
  afterAll(async () => {
    await duck.stop();
    await plainDuck.stop();
  });

  it('on random data, for every query, with and without rollups, in memory and DuckDB', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(SAMPLE, { minLength: 1, maxLength: 300 }),
        fc.array(SAMPLE, { maxLength: 40 }),
        async (first, late) => {
          round++;
          const db = `r${round}`;
          const write = (store: TimeSeriesStore, s: readonly Sample[]) =>
            store.write(points(s).map((p) => ({ ...p, database: db })));
          const reference = new MemoryStore();
          const rolled = new MemoryStore({ rollups: LEVELS });
          await reference.start();
          await rolled.start();
          for (const store of [reference, rolled, duck, plainDuck]) await write(store, first);
          // Rolled up, then late writes (some overwriting points) make buckets dirty.
          await rolled.maintainRollups(T0 + 3 * HOUR);
          await duck.maintainRollups(T0 + 3 * HOUR);
          // Compaction rewrites the closed hours in series order; late writes then land in compacted slices.
          await duck.compact(T0 + 3 * HOUR);
          await plainDuck.compact(T0 + 3 * HOUR);
          for (const store of [reference, rolled, duck, plainDuck]) await write(store, late);
          for (const text of QUERIES) {
            const q = text;
            const expected = await run(reference, db, q, false);
            for (const [name, store] of [
              ['memory', reference],
              ['memory+rollups', rolled],
              ['duckdb', plainDuck],
              ['duckdb+rollups', duck],
            ] as const) {
              const got = await run(store, db, q, true);
              if (!close(got, expected)) {
                expect({ store: name, query: q, got }).toEqual({ store: name, query: q, got: expected });
              }
            }
          }
          // After a second pass the dirty buckets come from the re-rolled rollups.
          await rolled.maintainRollups(T0 + 3 * HOUR);
          await duck.maintainRollups(T0 + 3 * HOUR);
          for (const text of QUERIES) {
            const expected = await run(reference, db, text, false);
            expect(
              close(await run(rolled, db, text, true), expected),
              `memory+rollups re-rolled: ${text}`,
            ).toBe(true);
            expect(
              close(await run(duck, db, text, true), expected),
              `duckdb+rollups re-rolled: ${text}`,
            ).toBe(true);
          }
          // Retention deletes the raw points: every query over v is now answered from rollups alone.
          await rolled.deleteBefore(db, T0 + 3 * HOUR);
          await duck.deleteBefore(db, T0 + 3 * HOUR);
          for (const text of QUERIES.filter((t) => !t.includes('(up)'))) {
            const expected = await run(reference, db, text, false);
            expect(close(await run(rolled, db, text, true), expected), `memory, rollups only: ${text}`).toBe(
              true,
            );
            expect(close(await run(duck, db, text, true), expected), `duckdb, rollups only: ${text}`).toBe(
              true,
            );
          }
          await reference.stop();
          await rolled.stop();
        },
      ),
      { numRuns: 10 },
    );
  }, 180_000);
});

/** The same property for the PostgreSQL driver, on a real server: pushdown, with and without rollups. */
describe.skipIf(postgresUnavailable() !== undefined)(
  'PostgreSQL pushdown and rollups give the JS path’s results',
  () => {
    let server: PostgresServer;
    let plain: PostgresStore;
    let rolled: PostgresStore;
    beforeAll(async () => {
      server = await startPostgres();
      const url = await server.createDatabase();
      plain = new PostgresStore({ url, password: server.password });
      rolled = new PostgresStore({ url, password: server.password, rollups: LEVELS, schema: 'rolled' });
      await plain.start();
      await rolled.start();
    }, 60_000);
    afterAll(async () => {
      await plain?.stop();
      await rolled?.stop();
      await server?.stop();
    });

    it('on random data, for every query, with and without rollups, after late writes and retention', async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(SAMPLE, { minLength: 1, maxLength: 300 }),
          fc.array(SAMPLE, { maxLength: 40 }),
          async (first, late) => {
            round++;
            const db = `r${round}`;
            const write = (store: TimeSeriesStore, s: readonly Sample[]) =>
              store.write(points(s).map((p) => ({ ...p, database: db })));
            const reference = new MemoryStore();
            await reference.start();
            const check = async (
              what: string,
              texts: readonly string[],
              stores: [string, TimeSeriesStore][],
            ) => {
              for (const text of texts) {
                const expected = await run(reference, db, text, false);
                for (const [name, store] of stores) {
                  const got = await run(store, db, text, true);
                  if (!close(got, expected)) {
                    expect({ store: `${name} ${what}`, query: text, got }).toEqual({
                      store: `${name} ${what}`,
                      query: text,
                      got: expected,
                    });
                  }
                }
              }
            };
            for (const store of [reference, plain, rolled]) await write(store, first);
            await rolled.maintainRollups(T0 + 3 * HOUR);
            for (const store of [reference, plain, rolled]) await write(store, late);
            await check('with dirty buckets', QUERIES, [
              ['postgres', plain],
              ['postgres+rollups', rolled],
            ]);
            await rolled.maintainRollups(T0 + 3 * HOUR);
            await check('re-rolled', QUERIES, [['postgres+rollups', rolled]]);
            await rolled.deleteBefore(db, T0 + 3 * HOUR);
            await check(
              'rollups only',
              QUERIES.filter((t) => !t.includes('(up)')),
              [['postgres+rollups', rolled]],
            );
            await reference.stop();
          },
        ),
        { numRuns: 20 },
      );
    }, 300_000);
  },
);

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TimeSeriesStore } from '../../src/storage/store.js';
import { expectAppError, HOUR, point, query, SECOND, type StoreFixture, T0 } from './store-fixtures.js';

const DAY = 24 * HOUR;

/** deleteBefore and databaseStats, part of the store contract (store-contract.ts runs it for every driver). */
export function retentionContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`${name} store contract: retention`, () => {
    let fixture: StoreFixture;
    let store: TimeSeriesStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      await store.start();
    });

    afterEach(async () => {
      await store.stop();
      await fixture.cleanup();
    });

    const times = async (database = 'db', field = 'usage') =>
      (await store.query(query({ database, field, from: T0 - 400 * DAY, to: T0 + 400 * DAY }))).series.map(
        (s) => s.time,
      );

    it('deletes the values of one database older than the cutoff, and counts them', async () => {
      await store.write([
        point({ usage: 1, idle: 9 }, T0 - 2 * HOUR),
        point({ usage: 2 }, T0 - HOUR),
        point({ usage: 3 }, T0),
        point({ usage: 4 }, T0 - 2 * HOUR, { host: 'b' }),
        point({ usage: 5 }, T0 - 2 * HOUR, { host: 'a' }, 'cpu', 'other'),
      ]);
      const before = store.stats().samples;
      // The cutoff is exclusive: a value exactly at it stays.
      expect(await store.deleteBefore('db', T0 - HOUR)).toBe(3);
      expect(store.stats().samples).toBe(before - 3);
      expect(await times()).toEqual([[T0 - HOUR, T0]]);
      expect(await times('db', 'idle')).toEqual([]);
      expect(await times('other')).toEqual([[T0 - 2 * HOUR]]);
      // Nothing left to delete; unknown databases are no error.
      expect(await store.deleteBefore('db', T0 - HOUR)).toBe(0);
      expect(await store.deleteBefore('nope', T0)).toBe(0);
    });

    it('keeps the series catalog and field types of emptied series', async () => {
      await store.write([point({ usage: 1 }, T0 - DAY), point({ on: true }, T0 - DAY, { host: 'b' })]);
      expect(await store.deleteBefore('db', T0)).toBe(2);
      expect((await store.listSeries({ database: 'db' })).map((s) => s.tags.host)).toEqual(['a', 'b']);
      expect(await store.listDatabases()).toEqual(['db']);
      // The field keeps its type: a float where a boolean was is still a conflict.
      const outcome = await store.write([point({ on: 1 }, T0, { host: 'b' })]);
      expect(outcome.refused.map((r) => r.code)).toEqual(['STO_FIELD_TYPE_CONFLICT']);
      // And the emptied series takes new values, also at times it held before.
      await store.write([point({ usage: 7 }, T0 - DAY), point({ usage: 8 }, T0 + SECOND)]);
      expect(await times()).toEqual([[T0 - DAY, T0 + SECOND]]);
    });

    it('spans months and years in one call', async () => {
      await store.write([
        point({ usage: 1 }, T0 - 400 * DAY),
        point({ usage: 2 }, T0 - 100 * DAY),
        point({ usage: 3 }, T0 - 40 * DAY),
        point({ usage: 4 }, T0 - DAY),
      ]);
      expect(await store.deleteBefore('db', T0 - 50 * DAY)).toBe(2);
      expect(await times()).toEqual([[T0 - 40 * DAY, T0 - DAY]]);
    });

    it('refuses a cutoff that is not an integer µs time', async () => {
      await expectAppError(store.deleteBefore('db', Number.NaN), 'QRY_BAD_PARAM');
      await expectAppError(store.deleteBefore('db', 1.5), 'QRY_BAD_PARAM');
    });

    it('reports per-database stats: series, values, oldest and newest', async () => {
      expect(await store.databaseStats()).toEqual([]);
      await store.write([
        point({ usage: 1, idle: 2 }, T0 - HOUR),
        point({ usage: 3 }, T0, { host: 'b' }),
        point({ usage: 4 }, T0 + HOUR, { host: 'a' }, 'mem', 'other'),
      ]);
      const stats = await store.databaseStats();
      expect(stats.map(({ bytes: _, ...s }) => s)).toEqual([
        { database: 'db', series: 3, samples: 3, oldest: T0 - HOUR, newest: T0 },
        { database: 'other', series: 1, samples: 1, oldest: T0 + HOUR, newest: T0 + HOUR },
      ]);
      for (const s of stats) if (s.bytes !== undefined) expect(s.bytes).toBeGreaterThanOrEqual(0);
      await store.deleteBefore('db', T0 + DAY);
      expect((await store.databaseStats())[0]).toMatchObject({
        database: 'db',
        series: 3,
        samples: 0,
        oldest: null,
        newest: null,
      });
    });
  });
}

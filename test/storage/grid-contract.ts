import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BucketGrid, QueryResult, SeriesQuery, TimeSeriesStore } from '../../src/storage/store.js';
import { expectAppError, HOUR, MINUTE, point, query, type StoreFixture, T0 } from './store-fixtures.js';

/**
 * queryGrid, for the drivers that have it: the dense form of query()'s sparse bucketed answer, with the
 * same series, bucket starts and values, raw and from rollups.
 */

/** query()'s answer laid out as the grid of `grid`'s shape: what queryGrid must equal. */
function densify(r: QueryResult, grid: BucketGrid): Omit<BucketGrid, 'values'> & { values: number[] } {
  const values: number[] = new Array(r.series.length * grid.buckets).fill(Number.NaN);
  r.series.forEach((s, row) => {
    s.time.forEach((t, i) => {
      const k = (t - grid.first) / grid.interval;
      if (!Number.isInteger(k) || k < 0 || k >= grid.buckets) throw new Error(`time ${t} outside the grid`);
      values[row * grid.buckets + k] = s.value[i] as number;
    });
  });
  return {
    series: r.series.map((s) => ({ measurement: s.measurement, tags: s.tags, field: s.field })),
    first: grid.first,
    interval: grid.interval,
    buckets: grid.buckets,
    values,
    truncated: r.truncated,
  };
}

export function gridContract(
  name: string,
  make: () => Promise<StoreFixture & { readonly store: Required<Pick<TimeSeriesStore, 'queryGrid'>> }>,
): void {
  describe(`${name} dense bucket grids`, () => {
    let fixture: StoreFixture;
    let store: TimeSeriesStore & Required<Pick<TimeSeriesStore, 'queryGrid'>>;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store as typeof store;
      await store.start();
      // Four hosts in two regions over three hours, some buckets empty, host d only in the first hour.
      const points = [];
      for (const [h, host] of ['a', 'b', 'c', 'd'].entries())
        for (let m = 0; m < (host === 'd' ? 60 : 180); m += 7 + h)
          points.push(
            point({ usage: (m * 37 + h * 11) % 23, on: m % 2 === 0 }, T0 + m * MINUTE + h, {
              host,
              region: h < 2 ? 'eu' : 'us',
            }),
          );
      await store.write(points);
    });

    afterEach(async () => {
      await store.stop();
      await fixture.cleanup();
    });

    const BUCKETED: Partial<SeriesQuery>[] = [
      { aggregate: 'mean', interval: MINUTE, groupBy: ['host'] },
      { aggregate: 'count', interval: 10 * MINUTE, groupBy: ['host'] },
      { aggregate: 'sum', interval: HOUR, groupBy: ['region'] },
      { aggregate: 'min', interval: 20 * MINUTE, offset: 5 * MINUTE, groupBy: [] },
      { aggregate: 'max', interval: 10 * MINUTE, groupBy: ['nosuch'] },
      { aggregate: 'first', interval: 10 * MINUTE, groupBy: ['region'] },
      {
        aggregate: 'last',
        interval: MINUTE,
        groupBy: ['host'],
        from: T0 + 30 * MINUTE,
        to: T0 + 90 * MINUTE,
      },
      // Host d has nothing in this range: its group is left out, as query() leaves it out.
      { aggregate: 'mean', interval: 10 * MINUTE, groupBy: ['host'], from: T0 + 2 * HOUR },
      { aggregate: 'count', field: 'on', interval: 30 * MINUTE, groupBy: ['host'] },
    ];

    const same = async (overrides: Partial<SeriesQuery>) => {
      const q = query(overrides);
      const grid = await store.queryGrid(q);
      expect(grid, JSON.stringify(overrides)).toBeDefined();
      const g = grid as BucketGrid;
      expect({ ...g, values: [...g.values] }, JSON.stringify(overrides)).toEqual(
        densify(await store.query(q), g),
      );
      return g;
    };

    it('equals query() laid out dense, raw and from rollups', async () => {
      for (const q of BUCKETED) await same(q);
      const host = await same({ aggregate: 'mean', interval: MINUTE, groupBy: ['host'] });
      expect(host.series.map((s) => s.tags.host)).toEqual(['a', 'b', 'c', 'd']);
      expect(host.values.filter((v) => !Number.isNaN(v)).length).toBeGreaterThan(60);
      await store.maintainRollups(T0 + 5 * HOUR);
      for (const q of BUCKETED) await same(q);
    });

    it('starts at the bucket of the query start, also before the first point', async () => {
      const g = await same({
        aggregate: 'count',
        interval: HOUR,
        groupBy: [],
        from: T0 - 2 * HOUR + 1,
        to: T0 + HOUR,
      });
      expect(g.first).toBe(T0 - 2 * HOUR);
      expect(g.buckets).toBe(3);
      expect([...g.values]).toEqual([Number.NaN, Number.NaN, expect.any(Number)]);
    });

    it('is empty for nothing to read, and truncated past the limit', async () => {
      const none = await same({ aggregate: 'mean', interval: MINUTE, measurement: 'nosuch' });
      expect(none.series).toEqual([]);
      const cut = await store.queryGrid(
        query({ aggregate: 'count', interval: MINUTE, groupBy: ['host'], limit: 5 }),
      );
      expect(cut).toMatchObject({ truncated: true, series: [] });
    });

    it('is undefined where query() must answer: non-number results, no interval, too many cells', async () => {
      expect(
        await store.queryGrid(query({ aggregate: 'first', field: 'on', interval: MINUTE })),
      ).toBeUndefined();
      expect(await store.queryGrid(query({ aggregate: 'mean' }))).toBeUndefined();
      expect(await store.queryGrid(query({ interval: MINUTE }))).toBeUndefined();
      expect(
        await store.queryGrid(query({ aggregate: 'mean', interval: 1, from: T0, to: T0 + 10 * HOUR })),
      ).toBeUndefined();
    });

    it('refuses what query() refuses', async () => {
      await expectAppError(store.queryGrid(query({ aggregate: 'mean', interval: 0 })), 'QRY_BAD_PARAM');
      await expectAppError(
        store.queryGrid(query({ aggregate: 'mean', field: 'on', interval: MINUTE })),
        'QRY_BAD_PARAM',
      );
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SeriesQuery, TimeSeriesStore } from '../../src/storage/store.js';
import { deadLetterContract } from './dead-letter-contract.js';
import { retentionContract } from './retention-contract.js';
import {
  expectAppError,
  HOUR,
  MINUTE,
  point,
  query,
  SECOND,
  type StoreFixture,
  T0,
} from './store-fixtures.js';

export type { StoreFixture } from './store-fixtures.js';

/**
 * The one suite every TimeSeriesStore driver must pass. `make` returns a store that is not started yet;
 * the suite starts and stops it.
 */
export function storeContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`${name} store contract`, () => {
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

    const raw = async (overrides: Partial<SeriesQuery> = {}) => (await store.query(query(overrides))).series;

    describe('lifecycle', () => {
      it('is writable only between start and stop', async () => {
        const other = await make();
        try {
          expect(other.store.isWritable()).toBe(false);
          await expectAppError(other.store.write([point({ usage: 1 }, T0)]), 'STO_CLOSED');
          await other.store.start();
          expect(other.store.isWritable()).toBe(true);
          await other.store.stop();
          expect(other.store.isWritable()).toBe(false);
          await expectAppError(other.store.write([point({ usage: 1 }, T0)]), 'STO_CLOSED');
          await expectAppError(other.store.query(query()), 'STO_CLOSED');
        } finally {
          await other.store.stop();
          await other.cleanup();
        }
      });

      it('accepts an empty batch', async () => {
        expect(await store.write([])).toEqual({ written: 0, refused: [] });
      });

      it('rejects a time that is not integer microseconds, storing nothing', async () => {
        await expectAppError(
          store.write([point({ usage: 1 }, T0), point({ usage: 2 }, T0 + 0.5)]),
          'STO_WRITE_FAILED',
        );
        expect(await raw()).toEqual([]);
        expect(store.stats().samples).toBe(0);
      });
    });

    describe('raw reads', () => {
      it('returns points ordered by time, whatever the write order', async () => {
        const outcome = await store.write([
          point({ usage: 3 }, T0 + 2 * SECOND),
          point({ usage: 1 }, T0),
          point({ usage: 2 }, T0 + SECOND),
        ]);
        expect(outcome).toEqual({ written: 3, refused: [] });
        expect(await raw()).toEqual([
          {
            measurement: 'cpu',
            tags: { host: 'a' },
            field: 'usage',
            time: [T0, T0 + SECOND, T0 + 2 * SECOND],
            value: [1, 2, 3],
          },
        ]);
      });

      it('treats from as inclusive and to as exclusive', async () => {
        await store.write([0, 1, 2, 3].map((i) => point({ usage: i }, T0 + i * SECOND)));
        const [s] = await raw({ from: T0 + SECOND, to: T0 + 3 * SECOND });
        expect(s?.time).toEqual([T0 + SECOND, T0 + 2 * SECOND]);
        expect(await raw({ from: T0 + 3 * SECOND, to: T0 + 3 * SECOND })).toEqual([]);
        expect(await raw({ from: T0 + 5 * SECOND, to: T0 })).toEqual([]);
      });

      it('keeps fractional, negative and pre-1970 values and times exactly', async () => {
        await store.write([
          point({ usage: -0.125 }, -5),
          point({ usage: 1e-9 }, 0),
          point({ usage: 123.456 }, T0),
        ]);
        const [s] = await raw({ from: -HOUR });
        expect(s?.time).toEqual([-5, 0, T0]);
        expect(s?.value).toEqual([-0.125, 1e-9, 123.456]);
      });

      it('returns each series separately, sorted by series key, and filters on tags', async () => {
        await store.write([
          point({ usage: 1 }, T0, { host: 'b', region: 'eu' }),
          point({ usage: 2 }, T0, { host: 'a', region: 'us' }),
          point({ usage: 3 }, T0, { host: 'a', region: 'eu' }),
          point({ usage: 4 }, T0, { host: 'a' }),
          point({ usage: 5 }, T0, { host: 'a' }, 'mem'),
          point({ usage: 6 }, T0, { host: 'a' }, 'cpu', 'other'),
        ]);
        const all = await raw();
        expect(all.map((s) => s.tags)).toEqual([
          { host: 'a' },
          { host: 'a', region: 'eu' },
          { host: 'a', region: 'us' },
          { host: 'b', region: 'eu' },
        ]);
        expect((await raw({ tags: { region: 'eu' } })).map((s) => s.value)).toEqual([[3], [1]]);
        expect((await raw({ tags: { host: 'a', region: 'us' } })).map((s) => s.value)).toEqual([[2]]);
        expect(await raw({ tags: { rack: '1' } })).toEqual([]);
        expect((await raw({ measurement: 'mem' })).map((s) => s.value)).toEqual([[5]]);
        expect((await raw({ database: 'other' })).map((s) => s.value)).toEqual([[6]]);
      });

      it('returns nothing for an unknown field, measurement or database', async () => {
        await store.write([point({ usage: 1 }, T0)]);
        expect(await raw({ field: 'nope' })).toEqual([]);
        expect(await raw({ measurement: 'nope' })).toEqual([]);
        expect(await raw({ database: 'nope' })).toEqual([]);
      });

      it('accepts the widest range a query can name', async () => {
        await store.write([point({ usage: 1 }, T0)]);
        const wide = { from: -Number.MAX_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };
        expect((await raw(wide))[0]?.value).toEqual([1]);
        expect((await raw({ ...wide, aggregate: 'count', interval: 365 * 24 * HOUR }))[0]?.value).toEqual([
          1,
        ]);
      });

      it('ignores an interval for raw', async () => {
        await store.write([point({ usage: 1 }, T0 + 1), point({ usage: 2 }, T0 + 2)]);
        expect((await raw({ interval: HOUR }))[0]?.time).toEqual([T0 + 1, T0 + 2]);
      });

      it('accepts a point without fields and stores nothing for it', async () => {
        expect(await store.write([point({}, T0)])).toEqual({ written: 1, refused: [] });
        expect(await store.listSeries({})).toEqual([]);
        expect(store.stats()).toEqual({ series: 0, samples: 0, deadLetters: 0 });
      });

      it('reads booleans and strings back with their types', async () => {
        await store.write([
          point({ up: true, state: 'ok' }, T0),
          point({ up: false, state: 'degraded' }, T0 + SECOND),
        ]);
        expect((await raw({ field: 'up' }))[0]?.value).toEqual([true, false]);
        expect((await raw({ field: 'state' }))[0]?.value).toEqual(['ok', 'degraded']);
      });
    });

    describe('aggregates', () => {
      // Ties on purpose: min 3 and max 9 both occur twice; the earliest point is the selected one.
      const values = [5, 3, 9, 3, 9];
      const at = (i: number) => T0 + 10 * MINUTE + i * MINUTE;
      beforeEach(async () => {
        await store.write(values.map((v, i) => point({ usage: v }, at(i))));
      });

      const agg = async (aggregate: SeriesQuery['aggregate'], overrides: Partial<SeriesQuery> = {}) => {
        const [s, ...rest] = await raw({ aggregate, ...overrides });
        expect(rest).toEqual([]);
        return { time: s?.time, value: s?.value };
      };

      it('over the whole range: selectors give the selected point time, the others the range start', async () => {
        const from = T0 - HOUR;
        expect(await agg('first', { from })).toEqual({ time: [at(0)], value: [5] });
        expect(await agg('last', { from })).toEqual({ time: [at(4)], value: [9] });
        expect(await agg('min', { from })).toEqual({ time: [at(1)], value: [3] });
        expect(await agg('max', { from })).toEqual({ time: [at(2)], value: [9] });
        expect(await agg('count', { from })).toEqual({ time: [from], value: [5] });
        expect(await agg('sum', { from })).toEqual({ time: [from], value: [29] });
        const mean = await agg('mean', { from });
        expect(mean.time).toEqual([from]);
        expect(mean.value?.[0]).toBeCloseTo(5.8, 12);
      });

      it('per interval: one row per non-empty bucket, stamped with the bucket start', async () => {
        await store.write([
          point({ usage: 100 }, T0 + 2 * HOUR + 59 * MINUTE),
          point({ usage: 50 }, T0 + 2 * HOUR),
        ]);
        const interval = HOUR;
        const buckets = [T0, T0 + 2 * HOUR];
        expect(await agg('first', { interval })).toEqual({ time: buckets, value: [5, 50] });
        expect(await agg('last', { interval })).toEqual({ time: buckets, value: [9, 100] });
        expect(await agg('min', { interval })).toEqual({ time: buckets, value: [3, 50] });
        expect(await agg('max', { interval })).toEqual({ time: buckets, value: [9, 100] });
        expect(await agg('count', { interval })).toEqual({ time: buckets, value: [5, 2] });
        expect(await agg('sum', { interval })).toEqual({ time: buckets, value: [29, 150] });
        const mean = await agg('mean', { interval });
        expect(mean.time).toEqual(buckets);
        expect(mean.value?.[0]).toBeCloseTo(5.8, 12);
        expect(mean.value?.[1]).toBe(75);
      });

      it('aligns buckets to the epoch, not to the query start', async () => {
        // The range starts mid-bucket; the first bucket is still reported at its aligned start.
        const from = T0 + 12 * MINUTE;
        expect(await agg('count', { from, interval: HOUR })).toEqual({ time: [T0], value: [3] });
        expect(await agg('count', { interval: 7 * MINUTE })).toEqual({
          time: [
            Math.floor(at(0) / (7 * MINUTE)) * 7 * MINUTE,
            Math.floor(at(3) / (7 * MINUTE)) * 7 * MINUTE,
          ],
          value: [3, 2],
        });
      });

      it('floors bucket starts before the epoch', async () => {
        await store.write([
          point({ usage: 1 }, -1, { host: 'neg' }),
          point({ usage: 2 }, -HOUR - 1, { host: 'neg' }),
        ]);
        expect(await agg('count', { tags: { host: 'neg' }, from: -3 * HOUR, interval: HOUR })).toEqual({
          time: [-2 * HOUR, -HOUR],
          value: [1, 1],
        });
      });

      it('keeps series apart', async () => {
        await store.write([point({ usage: 1000 }, at(0), { host: 'b' })]);
        const series = await raw({ aggregate: 'sum' });
        expect(series.map((s) => [s.tags, s.value])).toEqual([
          [{ host: 'a' }, [29]],
          [{ host: 'b' }, [1000]],
        ]);
      });

      it('counts and selects booleans and strings, and refuses numeric aggregates on them', async () => {
        await store.write([
          point({ up: true, state: 'ok' }, T0),
          point({ up: false, state: 'down' }, T0 + SECOND),
          point({ up: true, state: 'ok' }, T0 + HOUR),
        ]);
        expect(await agg('count', { field: 'up' })).toMatchObject({ value: [3] });
        expect(await agg('first', { field: 'up' })).toEqual({ time: [T0], value: [true] });
        expect(await agg('last', { field: 'up', interval: HOUR })).toEqual({
          time: [T0, T0 + HOUR],
          value: [false, true],
        });
        expect(await agg('first', { field: 'state' })).toEqual({ time: [T0], value: ['ok'] });
        expect(await agg('last', { field: 'state', interval: HOUR })).toEqual({
          time: [T0, T0 + HOUR],
          value: ['down', 'ok'],
        });
        for (const aggregate of ['mean', 'sum', 'min', 'max'] as const) {
          await expectAppError(store.query(query({ field: 'up', aggregate })), 'QRY_BAD_PARAM');
          await expectAppError(store.query(query({ field: 'state', aggregate })), 'QRY_BAD_PARAM');
        }
      });
    });

    describe('grouped, shifted and filtered aggregates (InfluxQL pushdown)', () => {
      // Three series; a and b share a time with equal and different values, so ties between series occur.
      beforeEach(async () => {
        await store.write([
          point({ usage: 1 }, T0, { host: 'a', region: 'eu' }),
          point({ usage: 5 }, T0 + 40 * MINUTE, { host: 'a', region: 'eu' }),
          point({ usage: 7 }, T0, { host: 'b', region: 'eu' }),
          point({ usage: 5 }, T0 + 40 * MINUTE, { host: 'b', region: 'eu' }),
          point({ usage: 2 }, T0 + 70 * MINUTE, { host: 'b', region: 'eu' }),
          point({ usage: 3 }, T0 + 20 * MINUTE, { host: 'c' }),
        ]);
      });

      const rows = async (overrides: Partial<SeriesQuery>) =>
        (await raw(overrides)).map((s) => ({ tags: s.tags, time: s.time, value: s.value }));

      it('shifts buckets by the offset', async () => {
        expect(await rows({ aggregate: 'count', interval: HOUR, offset: 30 * MINUTE, groupBy: [] })).toEqual([
          { tags: {}, time: [T0 - 30 * MINUTE, T0 + 30 * MINUTE], value: [3, 3] },
        ]);
        await expectAppError(
          store.query(query({ aggregate: 'count', interval: HOUR, offset: HOUR })),
          'QRY_BAD_PARAM',
        );
        await expectAppError(store.query(query({ aggregate: 'count', offset: MINUTE })), 'QRY_BAD_PARAM');
      });

      it('groups series by tag keys, a missing tag counting as empty, in tag value order', async () => {
        expect(await rows({ aggregate: 'sum', groupBy: ['region'] })).toEqual([
          { tags: { region: '' }, time: [query().from], value: [3] },
          { tags: { region: 'eu' }, time: [query().from], value: [20] },
        ]);
        expect(await rows({ aggregate: 'mean', interval: HOUR, groupBy: [] })).toEqual([
          { tags: {}, time: [T0, T0 + HOUR], value: [21 / 5, 2] },
        ]);
      });

      it('breaks ties between series as InfluxQL does', async () => {
        // first/last: at the same time the larger value; min/max: the earliest of equal values.
        expect(await rows({ aggregate: 'first', groupBy: [] })).toEqual([
          { tags: {}, time: [T0], value: [7] },
        ]);
        expect(await rows({ aggregate: 'first', interval: HOUR, groupBy: [] })).toEqual([
          { tags: {}, time: [T0, T0 + HOUR], value: [7, 2] },
        ]);
        expect(await rows({ aggregate: 'last', to: T0 + HOUR, groupBy: [] })).toEqual([
          { tags: {}, time: [T0 + 40 * MINUTE], value: [5] },
        ]);
        expect(await rows({ aggregate: 'max', to: T0 + HOUR, groupBy: ['region'] })).toEqual([
          { tags: { region: '' }, time: [T0 + 20 * MINUTE], value: [3] },
          { tags: { region: 'eu' }, time: [T0], value: [7] },
        ]);
        expect(await rows({ aggregate: 'min', from: T0 + MINUTE, to: T0 + HOUR, groupBy: [] })).toEqual([
          { tags: {}, time: [T0 + 20 * MINUTE], value: [3] },
        ]);
      });

      it('selects series by a tag predicate (=, !=, regex, AND, OR; missing tags are empty)', async () => {
        const hosts = async (tagPredicate: SeriesQuery['tagPredicate']) =>
          (await raw({ aggregate: 'count', tagPredicate })).map((s) => s.tags.host);
        expect(await hosts({ op: 'eq', key: 'region', value: '' })).toEqual(['c']);
        expect(await hosts({ op: 'ne', key: 'region', value: 'eu' })).toEqual(['c']);
        expect(await hosts({ op: 'match', key: 'host', source: '^[ab]$' })).toEqual(['a', 'b']);
        expect(await hosts({ op: 'nomatch', key: 'nosuch', source: '.' })).toEqual(['a', 'b', 'c']);
        expect(
          await hosts({
            op: 'or',
            left: { op: 'eq', key: 'host', value: 'c' },
            right: {
              op: 'and',
              left: { op: 'eq', key: 'region', value: 'eu' },
              right: { op: 'ne', key: 'host', value: 'a' },
            },
          }),
        ).toEqual(['b', 'c']);
        await expectAppError(
          store.query(query({ aggregate: 'count', tagPredicate: { op: 'match', key: 'host', source: '(' } })),
          'QRY_BAD_PARAM',
        );
      });

      it('reads the same numbers after maintainRollups, whatever the driver keeps', async () => {
        const queries: Partial<SeriesQuery>[] = [
          { aggregate: 'mean', interval: HOUR, groupBy: [] },
          { aggregate: 'first', interval: HOUR, groupBy: [] },
          { aggregate: 'last', groupBy: ['region'] },
          { aggregate: 'count', interval: 10 * MINUTE },
        ];
        const before = await Promise.all(queries.map((q) => rows(q)));
        const report = await store.maintainRollups(T0 + 3 * HOUR);
        for (const l of report.levels) expect(l.watermark).toBeLessThanOrEqual(T0 + 3 * HOUR);
        expect(await Promise.all(queries.map((q) => rows(q)))).toEqual(before);
      });
    });

    it('refuses malformed queries with QRY_BAD_PARAM', async () => {
      await store.write([point({ usage: 1 }, T0)]);
      const bad: Partial<SeriesQuery>[] = [
        { interval: 0 },
        { interval: -HOUR },
        { interval: 1.5 },
        { limit: 0 },
        { from: 0.5 },
        { to: Number.POSITIVE_INFINITY },
        { aggregate: 'median' as SeriesQuery['aggregate'] },
      ];
      for (const overrides of bad) await expectAppError(store.query(query(overrides)), 'QRY_BAD_PARAM');
    });

    describe('limit', () => {
      beforeEach(async () => {
        await store.write([
          ...[0, 1, 2].map((i) => point({ usage: i }, T0 + i * HOUR, { host: 'a' })),
          ...[0, 1, 2].map((i) => point({ usage: 10 + i }, T0 + i * HOUR, { host: 'b' })),
        ]);
      });

      it('caps rows over all series, in result order, and reports truncation', async () => {
        const four = await store.query(query({ limit: 4 }));
        expect(four.truncated).toBe(true);
        expect(four.series.map((s) => s.value)).toEqual([[0, 1, 2], [10]]);
        const three = await store.query(query({ limit: 3 }));
        expect(three.truncated).toBe(true);
        expect(three.series.map((s) => s.value)).toEqual([[0, 1, 2]]);
        const six = await store.query(query({ limit: 6 }));
        expect(six.truncated).toBe(false);
        expect(six.series.map((s) => s.value)).toEqual([
          [0, 1, 2],
          [10, 11, 12],
        ]);
      });

      it('applies to aggregate rows too', async () => {
        const r = await store.query(query({ aggregate: 'count', interval: HOUR, limit: 5 }));
        expect(r.truncated).toBe(true);
        expect(r.series.map((s) => s.value)).toEqual([
          [1, 1, 1],
          [1, 1],
        ]);
        const whole = await store.query(query({ aggregate: 'count', limit: 2 }));
        expect(whole).toMatchObject({ truncated: false, series: [{ value: [3] }, { value: [3] }] });
      });
    });

    describe('same point written again', () => {
      it('merges fields: a field written again is replaced, the others are kept', async () => {
        await store.write([point({ usage: 1, idle: 99 }, T0)]);
        await store.write([point({ usage: 2, temp: 40 }, T0)]);
        expect((await raw({ field: 'usage' }))[0]?.value).toEqual([2]);
        expect((await raw({ field: 'idle' }))[0]?.value).toEqual([99]);
        expect((await raw({ field: 'temp' }))[0]?.value).toEqual([40]);
        expect((await raw({ field: 'usage', aggregate: 'count' }))[0]?.value).toEqual([1]);
        expect(store.stats().samples).toBe(3);
      });

      it('replaces an earlier point out of order, without double counting', async () => {
        await store.write([0, 1, 2].map((i) => point({ usage: i }, T0 + i * SECOND)));
        await store.write([point({ usage: 7 }, T0), point({ usage: 8 }, T0 + 3 * SECOND)]);
        const [s] = await raw();
        expect(s?.time).toEqual([T0, T0 + SECOND, T0 + 2 * SECOND, T0 + 3 * SECOND]);
        expect(s?.value).toEqual([7, 1, 2, 8]);
        expect((await raw({ aggregate: 'sum' }))[0]?.value).toEqual([18]);
        expect(store.stats().samples).toBe(4);
      });

      it('is idempotent for a re-delivered batch', async () => {
        const batch = [0, 1, 2].map((i) => point({ usage: i, idle: 10 - i }, T0 + i * SECOND));
        await store.write(batch);
        await store.write(batch);
        expect((await raw({ aggregate: 'count' }))[0]?.value).toEqual([3]);
        expect(store.stats().samples).toBe(6);
      });

      it('within one batch, lets the later point win, also over stored data', async () => {
        await store.write([point({ usage: 1 }, T0 + 5 * SECOND)]);
        await store.write([
          point({ usage: 2, idle: 1 }, T0),
          point({ usage: 3 }, T0),
          point({ usage: 4 }, T0 + 5 * SECOND),
          point({ usage: 5 }, T0 + 5 * SECOND),
          point({ usage: 6 }, T0 + 9 * SECOND),
        ]);
        const [s] = await raw();
        expect(s?.time).toEqual([T0, T0 + 5 * SECOND, T0 + 9 * SECOND]);
        expect(s?.value).toEqual([3, 5, 6]);
        expect((await raw({ field: 'idle' }))[0]?.value).toEqual([1]);
        expect(store.stats().samples).toBe(4);
      });

      it('keeps series apart: same time, different tags or database is another point', async () => {
        await store.write([
          point({ usage: 1 }, T0, { host: 'a' }),
          point({ usage: 2 }, T0, { host: 'b' }),
          point({ usage: 3 }, T0, { host: 'a' }, 'cpu', 'other'),
        ]);
        expect((await raw()).map((s) => s.value)).toEqual([[1], [2]]);
        expect(store.stats().samples).toBe(3);
      });

      it('treats the same tags given in another order as the same series', async () => {
        await store.write([point({ usage: 1 }, T0, { host: 'a', region: 'eu' })]);
        await store.write([point({ usage: 2 }, T0, { region: 'eu', host: 'a' })]);
        expect((await raw()).map((s) => s.value)).toEqual([[2]]);
        expect(store.stats()).toMatchObject({ series: 1, samples: 1 });
      });

      it('does not confuse tag sets that print to the same series key', async () => {
        await store.write([
          point({ usage: 1 }, T0, { a: '1,b=2' }),
          point({ usage: 2 }, T0, { a: '1', b: '2' }),
        ]);
        expect((await raw()).map((s) => s.value).sort()).toEqual([[1], [2]]);
        expect(store.stats().series).toBe(2);
      });
    });

    describe('field types', () => {
      it('refuses only the point whose field has another type; the rest commit', async () => {
        await store.write([point({ usage: 1 }, T0)]);
        const outcome = await store.write([
          point({ usage: 2 }, T0 + SECOND),
          point({ usage: 'high', idle: 5 }, T0 + 2 * SECOND),
          point({ usage: true }, T0 + 3 * SECOND, { host: 'b' }),
          point({ usage: 4 }, T0 + 4 * SECOND),
        ]);
        expect(outcome.written).toBe(2);
        expect(outcome.refused.map((r) => [r.index, r.code])).toEqual([
          [1, 'STO_FIELD_TYPE_CONFLICT'],
          [2, 'STO_FIELD_TYPE_CONFLICT'],
        ]);
        expect(outcome.refused[0]?.message).toContain('usage');
        expect((await raw())[0]?.value).toEqual([1, 2, 4]);
        // Nothing of a refused point is kept, not even its other fields or its series.
        expect(await raw({ field: 'idle' })).toEqual([]);
        expect((await store.listSeries({})).map((s) => s.tags)).toEqual([{ host: 'a' }]);
      });

      it('fixes a new field type by its first point in the batch', async () => {
        const outcome = await store.write([
          point({ mode: 'eco' }, T0 - SECOND),
          point({ mode: 1 }, T0),
          point({ mode: 'eco' }, T0 + SECOND),
          point({ mode: 2 }, T0 + 2 * SECOND, { host: 'b' }),
        ]);
        // Field types are per measurement, as in InfluxDB: host b may not make `mode` a number either.
        expect(outcome.refused.map((r) => r.index)).toEqual([1, 3]);
        expect((await raw({ field: 'mode' }))[0]?.value).toEqual(['eco', 'eco']);
      });

      it('does not let a refused point fix a type', async () => {
        await store.write([point({ usage: 1 }, T0)]);
        const outcome = await store.write([
          point({ usage: 'x', mode: 'eco' }, T0 + 1),
          point({ mode: 3 }, T0 + 2),
        ]);
        expect(outcome.refused.map((r) => r.index)).toEqual([0]);
        expect((await raw({ field: 'mode' }))[0]?.value).toEqual([3]);
      });
    });

    describe('catalog', () => {
      beforeEach(async () => {
        await store.write([
          point({ usage: 1, up: true }, T0, { host: 'b' }),
          point({ usage: 1, state: 'ok' }, T0, { host: 'a' }),
          point({ used: 5 }, T0, { host: 'a' }, 'mem'),
          point({ usage: 2 }, T0, {}, 'cpu', 'alpha'),
        ]);
      });

      it('lists series with their fields and types, sorted', async () => {
        expect(await store.listSeries({})).toEqual([
          { database: 'alpha', measurement: 'cpu', tags: {}, fields: { usage: 'float' } },
          {
            database: 'db',
            measurement: 'cpu',
            tags: { host: 'a' },
            fields: { state: 'string', usage: 'float' },
          },
          {
            database: 'db',
            measurement: 'cpu',
            tags: { host: 'b' },
            fields: { up: 'boolean', usage: 'float' },
          },
          { database: 'db', measurement: 'mem', tags: { host: 'a' }, fields: { used: 'float' } },
        ]);
      });

      it('filters series by database and measurement', async () => {
        expect((await store.listSeries({ database: 'alpha' })).length).toBe(1);
        expect(
          (await store.listSeries({ database: 'db', measurement: 'mem' })).map((s) => s.measurement),
        ).toEqual(['mem']);
        expect(await store.listSeries({ database: 'nope' })).toEqual([]);
      });

      it('lists databases', async () => {
        expect(await store.listDatabases()).toEqual(['alpha', 'db']);
      });

      it('counts series and samples', async () => {
        // A series here is one field of one tag set: cpu,host=a has two.
        expect(store.stats()).toEqual({ series: 6, samples: 6, deadLetters: 0 });
      });
    });

    describe('meta', () => {
      it('stores, replaces and reads values; unknown keys are undefined', async () => {
        expect(await store.getMeta('admin')).toBeUndefined();
        await store.setMeta('admin', 'hash-1');
        await store.setMeta('other', '');
        expect(await store.getMeta('admin')).toBe('hash-1');
        await store.setMeta('admin', 'hash-2');
        expect(await store.getMeta('admin')).toBe('hash-2');
        expect(await store.getMeta('other')).toBe('');
      });

      it('lists keys by prefix in key order and deletes them', async () => {
        await store.setMeta('auth.user.bob', 'b');
        await store.setMeta('auth.user.alice', 'a');
        await store.setMeta('auth.userx', 'no');
        await store.setMeta('other', 'o');
        expect(await store.listMeta('auth.user.')).toEqual([
          ['auth.user.alice', 'a'],
          ['auth.user.bob', 'b'],
        ]);
        expect(await store.listMeta("auth.user.' OR 1=1 --")).toEqual([]);
        expect(await store.deleteMeta('auth.user.bob')).toBe(true);
        expect(await store.deleteMeta('auth.user.bob')).toBe(false);
        expect(await store.listMeta('auth.user.')).toEqual([['auth.user.alice', 'a']]);
      });

      it('sets and deletes many keys in one batch', async () => {
        await store.setMeta('m.gone', 'x');
        await store.putMetaBatch([
          ['m.a', '1'],
          ['m.b', '2'],
          ['m.gone', null],
          ['m.a', '3'],
          ['m.never', null],
        ]);
        expect(await store.listMeta('m.')).toEqual([
          ['m.a', '3'],
          ['m.b', '2'],
        ]);
        await store.putMetaBatch([]);
      });
    });
  });

  deadLetterContract(name, make);
  retentionContract(name, make);
}

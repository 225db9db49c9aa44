import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_RECORD_OVERHEAD,
  type DeadLetter,
  type DeadLetterCountFilter,
  type DeadLetterFilter,
  type StoredDeadLetter,
  type TimeSeriesStore,
} from '../../src/storage/store.js';
import { expectAppError, letter, SECOND, type StoreFixture, T0 } from './store-fixtures.js';

/**
 * The dead-letter part of the store contract (run by storeContract for every driver). Expected results are
 * written out by hand, not computed by a second matcher, so that memory and DuckDB are held to the same
 * explicit answers.
 */

/** Topics chosen to trip LIKE (`%`, `_`), regex (`.*`, `(`, `|`, `\`), empty levels, `$` and non-ASCII. */
const TOPICS = [
  'a/b/c', // 0
  'a/x/c', // 1
  'a/b', // 2
  'a', // 3
  'a/b/c/d', // 4
  'b/b/c', // 5
  '$SYS/a/b', // 6
  'a/%/c', // 7
  'a/_/c', // 8
  'a%b', // 9
  'a_b', // 10
  'a/.*/c', // 11
  'a/(x)|y/c', // 12
  'a\\b/c', // 13
  'a/\n/c', // 14
  'a//c', // 15
  '/a', // 16
  'a/', // 17
  'ä/ü/c', // 18
  'a/b/c', // 19
] as const;
const N = TOPICS.length;
const CODES = ['ING_DECODE', 'ING_NO_FIELDS', 'ING_TOO_LARGE'] as const;

/** Letter i: times are a permutation of T0 + k s, so time order is not id order. */
function datasetLetter(i: number): DeadLetter {
  const payload = Buffer.alloc(i * 10, i);
  return letter({
    time: T0 + ((i * 7) % N) * SECOND,
    topic: TOPICS[i] as string,
    code: CODES[i % 3] as string,
    rule: `r${i % 2}`,
    clientId: `dev-${i % 4}`,
    source: i % 5 === 0 ? 'http' : 'mqtt',
    payload,
    payloadSize: payload.length + 100,
    message: `letter ${i}`,
  });
}
const DATASET: readonly DeadLetter[] = Array.from({ length: N }, (_, i) => datasetLetter(i));

/** Stored size of letter i as pruneDeadLetters counts it. */
const bytesOf = (i: number): number => i * 10 + DEAD_LETTER_RECORD_OVERHEAD;

export function deadLetterContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`${name} dead-letter contract`, () => {
    let fixture: StoreFixture;
    let store: TimeSeriesStore;
    /** Ids of DATASET[i], as assigned by the store. */
    let ids: number[];

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      await store.start();
      // Two calls: ids must keep increasing across appends.
      await store.appendDeadLetters(DATASET.slice(0, 8));
      await store.appendDeadLetters(DATASET.slice(8));
      ids = (await store.listDeadLetters({ limit: 1000, order: 'asc' })).map((l) => l.id);
    });

    afterEach(async () => {
      await store.stop();
      await fixture.cleanup();
    });

    /** Indexes into DATASET of what the filter lists (in the store's order). */
    const listed = async (filter: Partial<DeadLetterFilter>): Promise<number[]> =>
      (await store.listDeadLetters({ limit: 1000, ...filter })).map((l) => ids.indexOf(l.id));
    const ascending = (filter: Partial<DeadLetterFilter>) => listed({ order: 'asc', ...filter });
    const all = Array.from({ length: N }, (_, i) => i);
    const where = (pred: (l: DeadLetter, i: number) => boolean) =>
      all.filter((i) => pred(DATASET[i] as DeadLetter, i));

    describe('ids and listing', () => {
      it('gives positive ids increasing in insertion order, and lists every field intact', async () => {
        expect(ids).toHaveLength(N);
        expect(ids[0]).toBeGreaterThan(0);
        for (let i = 1; i < N; i++) expect(ids[i]).toBe((ids[i - 1] as number) + 1);
        const letters = await store.listDeadLetters({ limit: 1000, order: 'asc' });
        letters.forEach((l, i) => {
          expect(l).toEqual({ ...DATASET[i], id: ids[i] });
          expect(Buffer.isBuffer(l.payload)).toBe(true);
        });
        expect(letters[0]?.payload).toEqual(Buffer.alloc(0));
        expect(store.stats().deadLetters).toBe(N);
      });

      it('orders by id: newest first by default, oldest first with asc, whatever the times', async () => {
        expect(await listed({})).toEqual([...all].reverse());
        expect(await listed({ order: 'desc' })).toEqual([...all].reverse());
        expect(await ascending({})).toEqual(all);
        expect(await listed({ limit: 3 })).toEqual([19, 18, 17]);
        expect(await ascending({ limit: 3 })).toEqual([0, 1, 2]);
        expect(await listed({ limit: 0 })).toEqual([]);
      });

      it('does not let a caller change stored letters through a returned or appended Buffer', async () => {
        const mine = letter({ payload: Buffer.from('abc') });
        await store.appendDeadLetters([mine]);
        mine.payload[0] = 0x7a;
        const [got] = await store.listDeadLetters({ limit: 1 });
        expect(got?.payload.toString()).toBe('abc');
        if (got !== undefined) got.payload[0] = 0x79;
        expect((await store.listDeadLetters({ limit: 1 }))[0]?.payload.toString()).toBe('abc');
      });
    });

    describe('filters', () => {
      it('filters by each field alone', async () => {
        const at = (k: number) => T0 + k * SECOND;
        expect(await ascending({ since: at(10) })).toEqual(where((l) => l.time >= at(10)));
        expect(await ascending({ until: at(10) })).toEqual(where((l) => l.time < at(10)));
        expect(await ascending({ since: at(5), until: at(6) })).toEqual(where((l) => l.time === at(5)));
        expect(await ascending({ since: at(6), until: at(6) })).toEqual([]);
        expect(await ascending({ code: 'ING_NO_FIELDS' })).toEqual(where((_, i) => i % 3 === 1));
        expect(await ascending({ rule: 'r1' })).toEqual(where((_, i) => i % 2 === 1));
        expect(await ascending({ clientId: 'dev-2' })).toEqual(where((_, i) => i % 4 === 2));
        expect(await ascending({ source: 'http' })).toEqual([0, 5, 10, 15]);
        expect(await ascending({ topic: 'a/b/c' })).toEqual([0, 19]);
        expect(await ascending({ ids: [ids[3] as number, ids[1] as number, 999_999] })).toEqual([1, 3]);
        expect(await ascending({ ids: [] })).toEqual([]);
        expect(await ascending({ code: 'NOPE' })).toEqual([]);
        expect(await ascending({ topic: "a' OR 1=1 --" })).toEqual([]);
        expect(await ascending({ clientId: "' OR ''='" })).toEqual([]);
      });

      it('matches MQTT topic filters with + and #', async () => {
        const cases: Array<[string, number[]]> = [
          ['a/+/c', [0, 1, 7, 8, 11, 12, 14, 15, 19]],
          ['a/#', [0, 1, 2, 3, 4, 7, 8, 11, 12, 14, 15, 17, 19]],
          ['#', all.filter((i) => i !== 6)],
          ['+', [3, 9, 10]],
          ['+/+', [2, 13, 16, 17]],
          ['+/+/+', [0, 1, 5, 7, 8, 11, 12, 14, 15, 18, 19]],
          ['+/b/#', [0, 2, 4, 5, 19]],
          ['a/b/#', [0, 2, 4, 19]],
          ['a/b/c/#', [0, 4, 19]],
          ['a/+', [2, 17]],
          ['/#', [16]],
          ['/+', [16]],
          ['a/+/+/+', [4]],
          ['a/+/c/#', [0, 1, 4, 7, 8, 11, 12, 14, 15, 19]],
          ['b/+/c', [5]],
          ['ä/+/c', [18]],
          ['x/#', []],
        ];
        for (const [topic, expected] of cases)
          expect([topic, await ascending({ topic })]).toEqual([topic, expected]);
      });

      it('gives % _ . * ( ) | \\ and newlines no special meaning', async () => {
        const cases: Array<[string, number[]]> = [
          ['a/%/c', [7]],
          ['a/_/c', [8]],
          ['a%b', [9]],
          ['a_b', [10]],
          ['a/.*/c', [11]],
          ['a/(x)|y/c', [12]],
          ['a\\b/c', [13]],
          ['+/%/c', [7]],
          ['+/_/#', [8]],
          ['+/.*/c', [11]],
          ['+/(x)|y/+', [12]],
          ['a\\b/+', [13]],
          ['+/\n/c', [14]],
          ['%/#', []],
          ['_/+/c', []],
          ['a_b/#', [10]],
        ];
        for (const [topic, expected] of cases)
          expect([topic, await ascending({ topic })]).toEqual([topic, expected]);
      });

      it('keeps $ topics out of filters that start with a wildcard [MQTT-4.7.2-1]', async () => {
        expect(await ascending({ topic: '+/a/b' })).toEqual([]);
        expect(await ascending({ topic: '$SYS/#' })).toEqual([6]);
        expect(await ascending({ topic: '$SYS/+/b' })).toEqual([6]);
        expect(await ascending({ topic: '$SYS/a/b' })).toEqual([6]);
      });

      it('combines filters with AND', async () => {
        const inAPlusC = [0, 1, 7, 8, 11, 12, 14, 15, 19];
        expect(await ascending({ topic: 'a/+/c', code: 'ING_DECODE' })).toEqual(
          inAPlusC.filter((i) => i % 3 === 0),
        );
        expect(
          await ascending({
            topic: 'a/#',
            rule: 'r1',
            source: 'mqtt',
            since: T0 + 3 * SECOND,
            until: T0 + 17 * SECOND,
          }),
        ).toEqual(
          where(
            (l, i) =>
              [0, 1, 2, 3, 4, 7, 8, 11, 12, 14, 15, 17, 19].includes(i) &&
              i % 2 === 1 &&
              i % 5 !== 0 &&
              l.time >= T0 + 3 * SECOND &&
              l.time < T0 + 17 * SECOND,
          ),
        );
        const some = [0, 1, 5, 6, 19].map((i) => ids[i] as number);
        expect(await ascending({ ids: some, topic: '#', clientId: 'dev-1' })).toEqual([1, 5]);
        expect(await listed({ ids: some, limit: 2 })).toEqual([19, 6]);
      });

      it('refuses invalid filters with QRY_BAD_PARAM', async () => {
        const bad: Array<Partial<DeadLetterFilter>> = [
          { topic: 'a/#/b' },
          { topic: 'a/b#' },
          { topic: 'a+/b' },
          { topic: '#/a' },
          { topic: '' },
          { topic: 'a\u0000b' },
          { limit: -1 },
          { limit: 1.5 },
          { since: 0.5 },
          { until: Number.NaN },
          { ids: [0] },
          { ids: [1, -2] },
          { ids: [1.5] },
          { afterId: -1 },
          { beforeId: 0.5 },
          { order: 'sideways' as 'asc' },
        ];
        for (const f of bad) {
          const err = await expectAppError(store.listDeadLetters({ limit: 10, ...f }), 'QRY_BAD_PARAM');
          expect(err.message.length).toBeGreaterThan(10);
        }
        await expectAppError(store.countDeadLetters({ topic: 'a/#/b' }), 'QRY_BAD_PARAM');
        await expectAppError(store.countDeadLetters({ ids: [0] }), 'QRY_BAD_PARAM');
        const err = await expectAppError(
          store.listDeadLetters({ limit: 10, topic: 'a+/b' }),
          'QRY_BAD_PARAM',
        );
        expect(err.message).toContain('a+/b');
      });
    });

    describe('cursors and count', () => {
      it('pages through a filtered set with afterId (asc) and beforeId (desc), seeing each letter once', async () => {
        const expected = [0, 1, 2, 3, 4, 7, 8, 11, 12, 14, 15, 17, 19];
        const pageAsc: number[] = [];
        let afterId = 0;
        for (;;) {
          const page = await store.listDeadLetters({ topic: 'a/#', order: 'asc', afterId, limit: 4 });
          if (page.length === 0) break;
          pageAsc.push(...page.map((l) => ids.indexOf(l.id)));
          afterId = (page[page.length - 1] as StoredDeadLetter).id;
        }
        expect(pageAsc).toEqual(expected);

        const pageDesc: number[] = [];
        let beforeId: number | undefined;
        for (;;) {
          const page = await store.listDeadLetters({
            topic: 'a/#',
            limit: 4,
            ...(beforeId === undefined ? {} : { beforeId }),
          });
          if (page.length === 0) break;
          pageDesc.push(...page.map((l) => ids.indexOf(l.id)));
          beforeId = (page[page.length - 1] as StoredDeadLetter).id;
        }
        expect(pageDesc).toEqual([...expected].reverse());
      });

      it('applies afterId with the newest-first order too', async () => {
        expect(await listed({ afterId: ids[16] as number })).toEqual([19, 18, 17]);
        expect(await listed({ afterId: ids[16] as number, beforeId: ids[19] as number })).toEqual([18, 17]);
        expect(await listed({ afterId: ids[19] as number })).toEqual([]);
      });

      it('counts what a filter selects, without a limit', async () => {
        const counts: Array<[DeadLetterCountFilter, number]> = [
          [{}, N],
          [{ topic: 'a/#' }, 13],
          [{ topic: '#' }, N - 1],
          [{ topic: 'a/+/c', code: 'ING_DECODE' }, 3],
          [{ since: T0 + 10 * SECOND }, N - 10],
          [{ ids: [ids[0] as number, ids[0] as number, ids[2] as number, 12345678] }, 2],
          [{ ids: [] }, 0],
          [{ clientId: 'nobody' }, 0],
        ];
        for (const [filter, n] of counts)
          expect([filter, await store.countDeadLetters(filter)]).toEqual([filter, n]);
      });
    });

    describe('delete', () => {
      it('deletes by id, returns how many existed, and keeps stats exact', async () => {
        const doomed = [ids[0], ids[5], ids[5], ids[19], 999_999] as number[];
        expect(await store.deleteDeadLetters(doomed)).toBe(3);
        expect(store.stats().deadLetters).toBe(N - 3);
        expect(await store.countDeadLetters({})).toBe(N - 3);
        expect(await ascending({})).toEqual(all.filter((i) => i !== 0 && i !== 5 && i !== 19));
        expect(await ascending({ topic: 'a/b/c' })).toEqual([]);
        expect(await store.deleteDeadLetters(doomed)).toBe(0);
        expect(await store.deleteDeadLetters([])).toBe(0);
        expect(store.stats().deadLetters).toBe(N - 3);
      });

      it('refuses ids that are not positive integers, deleting nothing', async () => {
        for (const bad of [[0], [ids[1] as number, -1], [Number.NaN], [2 ** 60]]) {
          await expectAppError(store.deleteDeadLetters(bad), 'QRY_BAD_PARAM');
        }
        expect(store.stats().deadLetters).toBe(N);
      });

      it('never reuses an id, also after deleting the newest letters and after a restart', async () => {
        const newest = ids[N - 1] as number;
        expect(await store.deleteDeadLetters(ids.slice(N - 3))).toBe(3);
        await store.appendDeadLetters([letter({ topic: 'next/1' }), letter({ topic: 'next/2' })]);
        const next = await store.listDeadLetters({ topic: 'next/+', order: 'asc', limit: 10 });
        expect(next.map((l) => l.id)).toEqual([newest + 1, newest + 2]);
        await store.deleteDeadLetters(next.map((l) => l.id));
        expect(store.stats().deadLetters).toBe(N - 3);

        if (fixture.reopen === undefined) return; // DuckDB ':memory:' keeps nothing across a restart.
        await store.stop();
        store = fixture.reopen();
        await store.start();
        expect(store.stats().deadLetters).toBe(N - 3);
        await store.appendDeadLetters([letter({ topic: 'after/restart' })]);
        const [after] = await store.listDeadLetters({ limit: 1 });
        expect(after).toMatchObject({ id: newest + 3, topic: 'after/restart' });
        expect(await ascending({ limit: 3 })).toEqual([0, 1, 2]);
        expect(store.stats().deadLetters).toBe(N - 2);
      });
    });

    describe('prune', () => {
      it('deletes by age: time < before', async () => {
        const before = T0 + 8 * SECOND;
        expect(await store.pruneDeadLetters({ before })).toBe(8);
        expect(await ascending({})).toEqual(where((l) => l.time >= before));
        expect(store.stats().deadLetters).toBe(N - 8);
        expect(await store.pruneDeadLetters({ before })).toBe(0);
      });

      it('deletes the oldest ids beyond maxCount, whatever their times', async () => {
        expect(await store.pruneDeadLetters({ maxCount: N })).toBe(0);
        expect(await store.pruneDeadLetters({ maxCount: 5 })).toBe(N - 5);
        expect(await ascending({})).toEqual([15, 16, 17, 18, 19]);
        expect(store.stats().deadLetters).toBe(5);
        expect(await store.pruneDeadLetters({ maxCount: 0 })).toBe(5);
        expect(store.stats().deadLetters).toBe(0);
        expect(await ascending({})).toEqual([]);
      });

      it('deletes the oldest beyond maxBytes: payload bytes plus the per-record overhead', async () => {
        const newestThree = bytesOf(17) + bytesOf(18) + bytesOf(19);
        expect(await store.pruneDeadLetters({ maxBytes: newestThree })).toBe(N - 3);
        expect(await ascending({})).toEqual([17, 18, 19]);
        // One byte under: letter 17 must go too.
        expect(await store.pruneDeadLetters({ maxBytes: newestThree - 1 })).toBe(1);
        expect(await ascending({})).toEqual([18, 19]);
        expect(store.stats().deadLetters).toBe(2);
        expect(await store.pruneDeadLetters({ maxBytes: bytesOf(19) })).toBe(1);
        expect(await store.pruneDeadLetters({ maxBytes: 0 })).toBe(1);
        expect(store.stats().deadLetters).toBe(0);
      });

      it('counts a letter with an empty payload at the overhead alone', async () => {
        await store.pruneDeadLetters({ maxCount: 0 });
        await store.appendDeadLetters([
          letter({ payload: Buffer.alloc(0) }),
          letter({ payload: Buffer.alloc(0) }),
        ]);
        expect(await store.pruneDeadLetters({ maxBytes: 2 * DEAD_LETTER_RECORD_OVERHEAD })).toBe(0);
        expect(await store.pruneDeadLetters({ maxBytes: 2 * DEAD_LETTER_RECORD_OVERHEAD - 1 })).toBe(1);
      });

      it('applies age, count and bytes together, in one call', async () => {
        // Age removes the 8 oldest by time; of the rest the count cap keeps 6, the byte cap then fewer.
        const byAge = where((l) => l.time >= T0 + 8 * SECOND);
        const keptByCount = byAge.slice(-6);
        const lastTwo = keptByCount.slice(-2);
        const maxBytes = lastTwo.reduce((n, i) => n + bytesOf(i), 0);
        const deleted = await store.pruneDeadLetters({ before: T0 + 8 * SECOND, maxCount: 6, maxBytes });
        expect(deleted).toBe(N - 2);
        expect(await ascending({})).toEqual(lastTwo);
        expect(store.stats().deadLetters).toBe(2);
        // The count cap binds when it is the stricter one.
        await store.appendDeadLetters(DATASET.slice(0, 4));
        expect(await store.pruneDeadLetters({ maxCount: 1, maxBytes: 1_000_000 })).toBe(5);
        expect((await store.listDeadLetters({ limit: 10 })).map((l) => l.message)).toEqual(['letter 3']);
      });

      it('does nothing without limits, and refuses bad ones with QRY_BAD_PARAM', async () => {
        expect(await store.pruneDeadLetters({})).toBe(0);
        for (const bad of [{ before: 0.5 }, { maxCount: -1 }, { maxBytes: 1.5 }, { maxCount: Number.NaN }]) {
          await expectAppError(store.pruneDeadLetters(bad), 'QRY_BAD_PARAM');
        }
        expect(store.stats().deadLetters).toBe(N);
      });
    });

    it('refuses every dead-letter call before start with STO_CLOSED', async () => {
      const other = await make();
      try {
        await expectAppError(other.store.appendDeadLetters([letter({})]), 'STO_CLOSED');
        await expectAppError(other.store.listDeadLetters({ limit: 1 }), 'STO_CLOSED');
        await expectAppError(other.store.countDeadLetters({}), 'STO_CLOSED');
        await expectAppError(other.store.deleteDeadLetters([1]), 'STO_CLOSED');
        await expectAppError(other.store.pruneDeadLetters({ maxCount: 0 }), 'STO_CLOSED');
      } finally {
        await other.cleanup();
      }
    });
  });
}

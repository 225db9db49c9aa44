import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { MetricsRegistry } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import { WriteBatcher } from '../ingest/batcher.js';
import { MemoryStore } from './memory/memory-store.js';
import {
  CREATED_DATABASE_KEY,
  DEFAULT_KEY,
  formatGoDuration,
  makePolicy,
  POLICY_KEY,
  RetentionPolicies,
  shardGroupDurationFor,
} from './retention.js';
import { alignmentFor, RetentionJob } from './retention-job.js';

const S = 1_000_000;
const H = 3600 * S;
const D = 24 * H;
/** 2026-01-01T00:00:00Z */
const NOW = Date.UTC(2026, 0, 1) * 1000;

/** A clock the test moves. */
function fakeClock(startMicros: number): Clock & { advance(us: number): void } {
  let now = startMicros;
  return {
    nowMs: () => Math.floor(now / 1000),
    nowMicros: () => now,
    advance(us) {
      now += us;
    },
  };
}

const pt = (database: string, time: number, value: number | boolean = 1): Point => ({
  database,
  measurement: 'm',
  tags: {},
  fields: { v: value },
  time,
});

describe('formatGoDuration', () => {
  it('prints durations as Go (and so InfluxDB) does', () => {
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(7 * D)).toBe('168h0m0s');
    expect(formatGoDuration(H)).toBe('1h0m0s');
    expect(formatGoDuration(90 * S)).toBe('1m30s');
    expect(formatGoDuration(10 * S)).toBe('10s');
    expect(formatGoDuration(1.5 * S)).toBe('1.5s');
    expect(formatGoDuration(500_000)).toBe('500ms');
    expect(formatGoDuration(250)).toBe('250µs');
    expect(formatGoDuration(H + 500_000)).toBe('1h0m0.5s');
  });

  it('gives InfluxDB’s shard group durations', () => {
    expect(formatGoDuration(shardGroupDurationFor(0))).toBe('168h0m0s');
    expect(formatGoDuration(shardGroupDurationFor(200 * D))).toBe('168h0m0s');
    expect(formatGoDuration(shardGroupDurationFor(7 * D))).toBe('24h0m0s');
    expect(formatGoDuration(shardGroupDurationFor(10 * S))).toBe('1h0m0s');
  });
});

describe('RetentionPolicies', () => {
  let store: MemoryStore;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    store = new MemoryStore();
    await store.start();
    clock = fakeClock(NOW);
  });

  const policies = (defaultDuration = 7 * D, provisioned: Record<string, number> = {}) =>
    new RetentionPolicies({ store, defaultDuration, provisioned, clock, refreshMs: 1000 });

  it('records the default in force when a database is first seen; a later default leaves it', async () => {
    const a = policies(7 * D);
    await a.start();
    expect(await store.getMeta(DEFAULT_KEY)).toBe(String(7 * D));
    expect(await a.policyOf('sensors')).toEqual(makePolicy(7 * D));
    const b = policies(30 * D);
    await b.start();
    expect((await b.policyOf('sensors')).duration).toBe(7 * D);
    expect((await b.policyOf('new')).duration).toBe(30 * D);
  });

  it('records databases from before retention as INF on the first start, so an upgrade deletes nothing', async () => {
    await store.write([pt('old', NOW - 400 * D)]);
    await store.setMeta(`${CREATED_DATABASE_KEY}empty`, '{}');
    const p = policies(7 * D);
    await p.start();
    expect((await p.policyOf('old')).duration).toBe(0);
    expect((await p.policyOf('empty')).duration).toBe(0);
    expect((await p.policyOf('later')).duration).toBe(7 * D);
  });

  it('pins provisioned databases, refuses to change them, and frees them when unpinned', async () => {
    const p = policies(7 * D, { pinned: H });
    await p.start();
    expect(await p.policyOf('pinned')).toMatchObject({ duration: H, provisioned: true });
    await expect(p.setPolicy('pinned', makePolicy(D))).rejects.toMatchObject({
      code: 'QRY_RETENTION_POLICY',
      message: expect.stringContaining('storage.retention.databases'),
    });
    // The same policy is no change, so no error.
    await p.setPolicy('pinned', makePolicy(H));
    const q = policies(7 * D);
    await q.start();
    expect(await q.policyOf('pinned')).toMatchObject({ duration: H, provisioned: false });
    await q.setPolicy('pinned', makePolicy(D));
    expect((await q.policyOf('pinned')).duration).toBe(D);
  });

  it('keeps the data of a record it cannot read', async () => {
    await store.setMeta(`${POLICY_KEY}odd`, '{"name": 3}');
    const p = policies();
    await p.start();
    expect((await p.policyOf('odd')).duration).toBe(0);
  });

  it('refuses points older than now - duration with ING_BEYOND_RETENTION, per database', async () => {
    const p = policies(D);
    await p.start();
    await p.setPolicy('forever', makePolicy(0));
    const refused = await p.admit([
      pt('db', NOW - D),
      pt('db', NOW - D - 1),
      pt('forever', NOW - 1000 * D),
      pt('db', NOW + H),
      pt('db', NOW - 2 * D),
    ]);
    expect(refused.map((r) => [r.index, r.code])).toEqual([
      [1, 'ING_BEYOND_RETENTION'],
      [4, 'ING_BEYOND_RETENTION'],
    ]);
    expect(refused[0]?.message).toBe(
      'point time 2025-12-30T23:59:59.999Z is beyond the retention of database "db" (policy "autogen", 24h0m0s): the oldest time it accepts now is 2025-12-31T00:00:00.000Z',
    );
    // The window moves with the clock.
    clock.advance(H);
    expect((await p.admit([pt('db', NOW - D)])).map((r) => r.index)).toEqual([0]);
  });

  it('sees a change made through another instance (another process, or an InfluxQL statement)', async () => {
    const server = policies(D);
    await server.start();
    expect((await server.policyOf('db')).duration).toBe(D);
    const other = new RetentionPolicies({ store });
    await other.setPolicy('db', makePolicy(0));
    // Within refreshMs the server still uses its cache; after it, admit re-reads in the background.
    expect(await server.admit([pt('db', NOW - 2 * D)])).toHaveLength(1);
    clock.advance(1000 * 1000);
    await server.admit([]);
    await server.admit([pt('db', NOW)]);
    await vi.waitFor(async () => expect(await server.admit([pt('db', NOW - 2 * D)])).toEqual([]));
    // A database another instance created is found at once: a cache miss reads the store.
    await other.setPolicy('made-elsewhere', makePolicy(0));
    expect(await server.admit([pt('made-elsewhere', NOW - 9 * D)])).toEqual([]);
  });

  it('is what the batcher asks: refusals from retention and from the store both reach the submitter', async () => {
    const p = policies(D);
    await p.start();
    const batcher = new WriteBatcher({
      store,
      maxBatchPoints: 100,
      maxPendingPoints: 1000,
      logger: silentLogger,
      admit: (points) => p.admit(points),
    });
    await batcher.submit([pt('db', NOW, 1)]);
    const [first, second] = await Promise.all([
      batcher.submit([pt('db', NOW - 3 * D), pt('db', NOW + 1, true)]),
      batcher.submit([pt('db', NOW + 2, 2), pt('db', NOW - 5 * D), pt('db', NOW + 3, false)]),
    ]);
    expect(first?.map((r) => [r.index, r.code])).toEqual([
      [0, 'ING_BEYOND_RETENTION'],
      [1, 'STO_FIELD_TYPE_CONFLICT'],
    ]);
    expect(second?.map((r) => [r.index, r.code])).toEqual([
      [1, 'ING_BEYOND_RETENTION'],
      [2, 'STO_FIELD_TYPE_CONFLICT'],
    ]);
    expect(store.stats().samples).toBe(2);
    await batcher.stop();
  });
});

describe('alignmentFor (retention cutoffs in whole rollup buckets)', () => {
  const M = 60_000_000;
  const HOUR = 60 * M;
  it('picks the coarsest level at most 1/24 of the retention that the finer levels divide', () => {
    expect(alignmentFor(7 * 24 * HOUR, [M, HOUR])).toBe(HOUR);
    expect(alignmentFor(2 * HOUR, [M, HOUR])).toBe(M);
    expect(alignmentFor(10_000_000, [M, HOUR])).toBe(0);
    expect(alignmentFor(7 * 24 * HOUR, [])).toBe(0);
    expect(alignmentFor(30 * 24 * HOUR, [7 * M, HOUR])).toBe(7 * M);
  });

  it('deletes raw values only in whole buckets of that level', async () => {
    const store = new MemoryStore();
    await store.start();
    const clock = fakeClock(Date.UTC(2026, 0, 10, 12, 30) * 1000);
    const policies = new RetentionPolicies({ store, defaultDuration: 7 * 24 * HOUR, clock });
    await policies.start();
    const now = clock.nowMicros();
    // 7 days back is 12:30; the 1 h bucket 12:00–13:00 keeps all of its points.
    await store.write([pt('db', now - 7 * 24 * HOUR - 20 * M), pt('db', now - 7 * 24 * HOUR - 40 * M)]);
    const job = new RetentionJob({
      store,
      policies,
      clock,
      logger: silentLogger,
      intervalMs: 60_000,
      rollupIntervals: [M, HOUR],
    });
    const run = await job.runOnce();
    expect(run.deleted).toEqual([{ database: 'db', before: now - 7 * 24 * HOUR - 30 * M, samples: 1 }]);
  });
});

describe('RetentionJob', () => {
  let store: MemoryStore;
  let clock: ReturnType<typeof fakeClock>;
  let policies: RetentionPolicies;

  beforeEach(async () => {
    store = new MemoryStore();
    await store.start();
    clock = fakeClock(NOW);
    policies = new RetentionPolicies({ store, defaultDuration: D, clock });
    await policies.start();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('deletes each database’s values older than its retention, leaves INF alone, and reports stats', async () => {
    await policies.setPolicy('keep', makePolicy(0));
    await store.write([
      pt('db', NOW - 2 * D),
      pt('db', NOW - H),
      pt('keep', NOW - 900 * D),
      pt('week', NOW - 3 * D),
    ]);
    await policies.setPolicy('week', makePolicy(7 * D));
    const metrics = new MetricsRegistry();
    const job = new RetentionJob({
      store,
      policies,
      clock,
      logger: silentLogger,
      intervalMs: 60_000,
      metrics,
    });

    const first = await job.runOnce();
    expect(first.deleted).toEqual([
      { database: 'db', before: NOW - D, samples: 1 },
      { database: 'week', before: NOW - 7 * D, samples: 0 },
    ]);
    expect(first.failed).toEqual([]);
    expect(first.stats?.map((s) => [s.database, s.samples])).toEqual([
      ['db', 1],
      ['keep', 1],
      ['week', 1],
    ]);

    clock.advance(5 * D);
    const later = await job.runOnce();
    expect(later.deleted.map((d) => [d.database, d.samples])).toEqual([
      ['db', 1],
      ['week', 1],
    ]);
    const text = metrics.render();
    expect(text).toContain('sensorhub_retention_deleted_samples_total{database="db"} 2');
    expect(text).toContain('sensorhub_retention_deleted_samples_total{database="week"} 1');
    expect(text).toContain('sensorhub_database_samples{database="keep"} 1');
    expect(text).toContain('sensorhub_database_samples{database="db"} 0');
    expect(text).toContain('sensorhub_database_retention_seconds{database="week"} 604800');
    expect(text).toContain('sensorhub_database_retention_seconds{database="keep"} 0');
    expect(text).toContain('sensorhub_retention_runs_total{result="ok"} 2');
  });

  it('reports a failing delete and goes on with the other databases', async () => {
    await store.write([pt('a', NOW - 2 * D), pt('b', NOW - 2 * D)]);
    // Fault injection: the real store, with deleteBefore failing for one database (as a role without
    // DELETE would make it fail on PostgreSQL).
    const failing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'deleteBefore') {
          return async (database: string, before: number) => {
            if (database === 'a') throw new Error('permission denied for table samples');
            return target.deleteBefore(database, before);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const job = new RetentionJob({ store: failing, policies, clock, logger: silentLogger, intervalMs: 1000 });
    const run = await job.runOnce();
    expect(run.failed).toEqual([{ database: 'a', error: 'permission denied for table samples' }]);
    expect(run.deleted).toEqual([{ database: 'b', before: NOW - D, samples: 1 }]);
  });

  it('runs shortly after start, then every interval, and not after stop', async () => {
    vi.useFakeTimers();
    await store.write([pt('db', NOW - 2 * D)]);
    const job = new RetentionJob({
      store,
      policies,
      clock,
      logger: silentLogger,
      intervalMs: 60_000,
      firstRunMs: 500,
    });
    const runs: number[] = [];
    const original = job.runOnce.bind(job);
    job.runOnce = async () => {
      const r = await original();
      runs.push(r.at);
      return r;
    };
    job.start();
    await vi.advanceTimersByTimeAsync(499);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(store.stats().samples).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2);
    await job.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toHaveLength(2);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { Counter } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import type { TimeSeriesStore, WriteOutcome } from '../storage/store.js';
import { WriteBatcher } from './batcher.js';
import { DeadLetterWriter } from './dead-letters.js';
import { type IngestMessage, Ingestor } from './ingestor.js';
import { RuleSet } from './rules.js';

const T = 1_763_805_600_000_000;

function msg(topic: string, payload: string, receivedAt = T): IngestMessage {
  return { source: 'mqtt', clientId: 'c1', topic, payload: Buffer.from(payload), receivedAt };
}

function point(i: number): Point {
  return { database: 'db', measurement: 'm', tags: { d: String(i % 3) }, fields: { v: i }, time: T + i };
}

/** A store whose commits finish only when the test says so, to observe group commit. */
class GatedStore extends MemoryStore {
  readonly batches: number[] = [];
  gate: Promise<void> = Promise.resolve();
  override async write(points: readonly Point[]): Promise<WriteOutcome> {
    this.batches.push(points.length);
    await this.gate;
    return super.write(points);
  }
}

describe('WriteBatcher', () => {
  it('resolves a submission only after its batch is committed, and groups concurrent submissions', async () => {
    const store = new GatedStore();
    await store.start();
    let open!: () => void;
    store.gate = new Promise((r) => {
      open = r;
    });
    const batcher = new WriteBatcher({
      store,
      maxBatchPoints: 1000,
      maxPendingPoints: 10_000,
      logger: silentLogger,
    });
    let firstDone = false;
    const first = batcher.submit([point(1)]).then(() => {
      firstDone = true;
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // While the first commit is held, more arrive; they must wait and then go together.
    const rest = [batcher.submit([point(2)]), batcher.submit([point(3), point(4)])];
    expect(firstDone).toBe(false);
    expect((await store.query(q())).series).toEqual([]);
    open();
    await first;
    await Promise.all(rest);
    expect(store.batches).toEqual([1, 3]);
    expect(store.stats().samples).toBe(4);
    await batcher.stop();
  });

  it('hands a second batch to the store while one commits once half a batch waits, and commits in order', async () => {
    const store = new GatedStore();
    await store.start();
    let open!: () => void;
    store.gate = new Promise((r) => {
      open = r;
    });
    const batcher = new WriteBatcher({
      store,
      maxBatchPoints: 4,
      maxPendingPoints: 100,
      logger: silentLogger,
    });
    const done: string[] = [];
    const first = batcher.submit([point(1)]).then(() => done.push('first'));
    await new Promise((r) => setImmediate(r));
    // One point waiting is less than half a batch: it waits for the commit in progress, to group.
    const second = batcher.submit([point(2)]).then(() => done.push('second'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(store.batches).toEqual([1]);
    // A second point makes half a batch: handed over at once, queued behind the first in the store.
    const third = batcher.submit([point(3)]).then(() => done.push('third'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(store.batches).toEqual([1, 2]);
    expect(done).toEqual([]);
    open();
    await Promise.all([first, second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    const all = await store.query(q());
    expect(all.series.flatMap((x) => x.value).sort()).toEqual([1, 2, 3]);
  });

  it('applies back-pressure: a submit waits while maxPendingPoints are queued', async () => {
    const store = new GatedStore();
    await store.start();
    let open!: () => void;
    store.gate = new Promise((r) => {
      open = r;
    });
    const batcher = new WriteBatcher({ store, maxBatchPoints: 2, maxPendingPoints: 2, logger: silentLogger });
    const a = batcher.submit([point(1), point(2)]);
    let bQueued = false;
    const b = batcher.submit([point(3)]).then(() => {
      bQueued = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(batcher.pendingPoints).toBe(2);
    expect(bQueued).toBe(false);
    open();
    await Promise.all([a, b]);
    expect(store.stats().samples).toBe(3);
    await batcher.stop();
  });

  it('rejects every submission of a failed batch and keeps working afterwards', async () => {
    const store = new GatedStore();
    await store.start();
    store.gate = Promise.reject(new Error('disk full'));
    store.gate.catch(() => {});
    const batcher = new WriteBatcher({
      store,
      maxBatchPoints: 100,
      maxPendingPoints: 100,
      logger: silentLogger,
    });
    await expect(batcher.submit([point(1)])).rejects.toThrow('disk full');
    store.gate = Promise.resolve();
    await expect(batcher.submit([point(2)])).resolves.toEqual([]);
    await batcher.stop();
    await expect(batcher.submit([point(3)])).rejects.toMatchObject({ code: 'STO_CLOSED' });
  });
});

function q() {
  return {
    database: 'db',
    measurement: 'm',
    field: 'v',
    tags: {},
    from: 0,
    to: T * 2,
    aggregate: 'raw' as const,
    limit: 1000,
  };
}

describe('Ingestor with the default rules', () => {
  let store: TimeSeriesStore;
  let batcher: WriteBatcher;
  let deadLetters: DeadLetterWriter;
  let ingestor: Ingestor;
  let rejected: Counter;

  beforeEach(async () => {
    store = new MemoryStore();
    await store.start();
    batcher = new WriteBatcher({ store, maxBatchPoints: 100, maxPendingPoints: 1000, logger: silentLogger });
    deadLetters = new DeadLetterWriter(store, silentLogger);
    rejected = new Counter('r', 'r');
    ingestor = new Ingestor(ingestorOptions());
  });
  function ingestorOptions() {
    return {
      rules: RuleSet.compile([], true),
      batcher,
      deadLetters,
      database: 'sensorhub',
      maxPayloadSize: 64,
      deadLetterPayloadLimit: 16,
      logger: silentLogger,
      messages: new Counter('m', 'm'),
      rejected,
      points: new Counter('p', 'p'),
    };
  }

  afterEach(async () => {
    await batcher.stop();
    await deadLetters.stop();
    await store.stop();
  });

  it('maps seed 000 and seed 001 topics as documented', () => {
    expect(ingestor.decode(msg('sensors/bathroom/temperature', '21.5'))).toEqual({
      kind: 'points',
      rule: 'default-sensors',
      forward: [],
      points: [
        {
          database: 'sensorhub',
          measurement: 'temperature',
          tags: { device: 'bathroom' },
          fields: { value: 21.5 },
          time: T,
        },
      ],
    });
    expect(ingestor.decode(msg('/pot', '1023'))).toMatchObject({
      kind: 'points',
      points: [{ measurement: 'pot', tags: { topic: '/pot' }, fields: { value: 1023 } }],
    });
    expect(ingestor.decode(msg('/batteries/1/status', '{"soc":81,"temp":{"cell":30.5}}'))).toMatchObject({
      points: [
        {
          measurement: 'status',
          tags: { topic: '/batteries/1/status' },
          fields: { soc: 81, temp_cell: 30.5 },
        },
      ],
    });
  });

  it('rejects bad payloads on sensor topics and skips non-telemetry elsewhere', () => {
    expect(ingestor.decode(msg('sensors/a/b', 'hot'))).toMatchObject({ kind: 'reject', code: 'ING_DECODE' });
    expect(ingestor.decode(msg('sensors/a/b', 'x'.repeat(65)))).toMatchObject({
      kind: 'reject',
      code: 'ING_TOO_LARGE',
    });
    expect(ingestor.decode(msg('lights/porch/set', 'ON'))).toEqual({ kind: 'skip' });
    expect(ingestor.decode(msg('trailing/', '1'))).toEqual({ kind: 'skip' });
    expect(ingestor.decode(msg('$SYS/broker/uptime', '12'))).toEqual({ kind: 'skip' });
  });

  it('user rules come first and can name the database and tags from the topic', () => {
    const rules = RuleSet.compile(
      [
        {
          name: 'bess',
          topic: '/batteries/+id/status',
          format: 'json',
          database: 'bess',
          measurement: 'battery',
          tags: { id: '{id}', site: 'north' },
          field: 'value',
          precision: 'ns',
          onError: 'reject',
        },
      ],
      true,
    );
    expect(rules.match('sensors/a/b', 'gw')?.rule.name).toBe('default-sensors');
    const bess = new Ingestor({ ...ingestorOptions(), rules });
    expect(bess.decode(msg('/batteries/7/status', '{"soc":81}'))).toEqual({
      kind: 'points',
      rule: 'bess',
      forward: [],
      points: [
        {
          database: 'bess',
          measurement: 'battery',
          tags: { id: '7', site: 'north' },
          fields: { soc: 81 },
          time: T,
        },
      ],
    });
  });

  it('stores accepted points and keeps rejected ones as dead letters, payload cut to the limit', async () => {
    expect(await ingestor.ingest(msg('sensors/a/t', '1'))).toEqual({ kind: 'stored', points: 1 });
    expect(await ingestor.ingest(msg('sensors/a/t', 'not-a-number-and-longer-than-16'))).toMatchObject({
      kind: 'rejected',
      code: 'ING_DECODE',
    });
    await deadLetters.flush();
    const letters = await store.listDeadLetters({ limit: 10 });
    expect(letters).toHaveLength(1);
    expect(letters[0]?.payload.toString()).toBe('not-a-number-and');
    expect(letters[0]?.payloadSize).toBe(31);
    expect(rejected.get({ reason: 'ING_DECODE' })).toBe(1);
  });
});

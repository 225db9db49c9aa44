import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/core/point.js';
import { WorkerStore } from '../../src/storage/worker/worker-store.js';
import { gridContract } from './grid-contract.js';
import { storeContract } from './store-contract.js';
import { HOUR, MINUTE } from './store-fixtures.js';

storeContract('duckdb on a worker thread', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-worker-'));
  const path = join(dir, 'store.duckdb');
  return {
    store: new WorkerStore({ path }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    reopen: () => new WorkerStore({ path }),
  };
});

gridContract('duckdb on a worker thread', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-worker-'));
  return {
    store: new WorkerStore({
      path: join(dir, 'store.duckdb'),
      rollups: [{ interval: MINUTE, keep: 1000 * HOUR }],
    }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('WorkerStore', () => {
  it('keeps data across a restart and reports state synchronously', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensorhub-worker-'));
    const path = join(dir, 'store.duckdb');
    const points: Point[] = Array.from({ length: 5000 }, (_, i) => ({
      database: 'db',
      measurement: 'm',
      tags: { device: `d${i % 10}` },
      fields: { v: i, ok: i % 2 === 0, label: `x${i % 3}` },
      time: 1_700_000_000_000_000 + i,
    }));
    const first = new WorkerStore({ path });
    expect(first.isWritable()).toBe(false);
    await first.start();
    expect(first.isWritable()).toBe(true);
    expect(await first.write(points)).toEqual({ written: 5000, refused: [] });
    expect(first.stats()).toMatchObject({ series: 30, samples: 15_000 });
    await first.appendDeadLetters([
      {
        time: 1,
        source: 'mqtt',
        clientId: 'c',
        topic: 't',
        payload: Buffer.from([0, 1, 2]),
        payloadSize: 3,
        rule: 'r',
        code: 'ING_DECODE',
        message: 'm',
      },
    ]);
    await first.stop();
    expect(first.isWritable()).toBe(false);
    await expect(first.write(points)).rejects.toMatchObject({ code: 'STO_CLOSED' });

    const second = new WorkerStore({ path });
    await second.start();
    expect(second.stats()).toMatchObject({ series: 30, samples: 15_000, deadLetters: 1 });
    const letters = await second.listDeadLetters({ limit: 10 });
    expect(Buffer.isBuffer(letters[0]?.payload)).toBe(true);
    expect([...(letters[0]?.payload ?? [])]).toEqual([0, 1, 2]);
    const res = await second.query({
      database: 'db',
      measurement: 'm',
      field: 'label',
      tags: { device: 'd3' },
      from: 0,
      to: 2_000_000_000_000_000,
      aggregate: 'last',
      limit: 10,
    });
    expect(res.series[0]?.value).toEqual(['x1']); // last d3 point is i = 4993, 4993 % 3 = 1
    // Errors keep their code across the thread boundary.
    await expect(
      second.write([{ ...points[0], fields: { v: 'now a string' } } as Point]),
    ).resolves.toMatchObject({
      refused: [{ index: 0, code: 'STO_FIELD_TYPE_CONFLICT' }],
    });
    await expect(
      second.query({
        database: 'db',
        measurement: 'm',
        field: 'v',
        tags: {},
        from: 0,
        to: 1,
        aggregate: 'raw',
        limit: 0,
      }),
    ).rejects.toMatchObject({ code: 'QRY_BAD_PARAM' });
    await second.stop();
    await rm(dir, { recursive: true, force: true });
  });
});

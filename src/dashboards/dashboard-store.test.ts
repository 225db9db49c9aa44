import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { DashboardStore } from './dashboard-store.js';

describe('DashboardStore', () => {
  const dashboard = {
    uid: 'd',
    title: 'D',
    time: { from: 'now-1h', to: 'now' },
    refresh: 'off',
    variables: [],
    panels: [],
  };

  it('creates, saves with a version check, lists and deletes', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const meta = new MemoryStore();
    await meta.start();
    const tick = () => {
      now += 1000;
      return new Date(now);
    };
    const store = new DashboardStore(meta, silentLogger, tick);
    const created = await store.create(dashboard);
    expect(created).toMatchObject({ source: 'api', version: 1, updatedAt: '2026-01-01T00:00:01.000Z' });
    await expect(store.create(dashboard)).rejects.toMatchObject({ code: 'DASH_EXISTS' });

    const saved = await store.save({ ...dashboard, title: 'D2' }, 1);
    expect(saved).toMatchObject({ title: 'D2', version: 2 });
    const stale = await store.save({ ...dashboard, title: 'D3' }, 1).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 'DASH_VERSION_CONFLICT', details: { version: 2 } });
    expect((stale as Error).message).toMatch(
      /saved by someone else since version 1 was loaded \(it is at version 2/,
    );
    expect((await store.get('d'))?.title).toBe('D2');

    // Two saves based on the same version: exactly one wins.
    const results = await Promise.allSettled([store.save(dashboard, 2), store.save(dashboard, 2)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);

    await expect(store.save({ ...dashboard, uid: 'other' }, 1)).rejects.toMatchObject({
      code: 'DASH_NOT_FOUND',
    });
    expect((await store.list()).map((d) => [d.uid, d.version])).toEqual([['d', 3]]);
    expect(await store.delete('d')).toBe(true);
    expect(await store.delete('d')).toBe(false);
  });

  it('skips a stored value that no longer parses', async () => {
    const meta = new MemoryStore();
    await meta.start();
    await meta.setMeta('dashboard:broken', '{"dashboard": {"uid": "broken"}, "version": 1}');
    const store = new DashboardStore(meta, silentLogger);
    expect(await store.list()).toEqual([]);
    expect(await store.get('broken')).toBeUndefined();
  });
});

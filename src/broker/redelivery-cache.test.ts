import { describe, expect, it } from 'vitest';
import { RedeliveryCache } from './redelivery-cache.js';

const p = (s: string) => Buffer.from(s);

describe('RedeliveryCache', () => {
  it('gives a DUP re-delivery of the same message the original time', () => {
    const c = new RedeliveryCache();
    expect(c.timeFor('dev', 1, false, 't', p('21.5'), 100)).toBe(100);
    expect(c.timeFor('dev', 1, true, 't', p('21.5'), 200)).toBe(100);
  });

  it('treats a reused packet id with another payload, topic or client, or without DUP, as new', () => {
    const c = new RedeliveryCache();
    c.timeFor('dev', 1, false, 't', p('1'), 100);
    expect(c.timeFor('dev', 1, true, 't', p('2'), 200)).toBe(200);
    expect(c.timeFor('dev', 1, true, 'u', p('2'), 300)).toBe(300);
    expect(c.timeFor('other', 1, true, 'u', p('2'), 400)).toBe(400);
    expect(c.timeFor('dev', 1, false, 'u', p('2'), 500)).toBe(500);
  });

  it('stays bounded in clients and keeps the previous generation reachable', () => {
    const c = new RedeliveryCache(10);
    for (let i = 0; i < 15; i++) c.timeFor(`dev-${i}`, 1, false, 't', p('x'), i);
    expect(c.clients).toBe(15);
    expect(c.timeFor('dev-3', 1, true, 't', p('x'), 99)).toBe(3);
    for (let i = 100; i < 130; i++) c.timeFor(`dev-${i}`, 1, false, 't', p('x'), i);
    expect(c.clients).toBeLessThanOrEqual(20);
    expect(c.timeFor('dev-4', 1, true, 't', p('x'), 999)).toBe(999);
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { isTokenLike, TokenRegistry, tokenAllows } from './tokens.js';

function fakeClock() {
  let now = Date.parse('2026-11-22T06:00:00Z');
  return {
    clock: { nowMs: () => now, nowMicros: () => now * 1000 },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Counts the store's key lookups, to see what the cache saves. */
class CountingStore extends MemoryStore {
  reads = 0;
  override getMeta(key: string): Promise<string | undefined> {
    this.reads++;
    return super.getMeta(key);
  }
}

describe('TokenRegistry', () => {
  let store: CountingStore;
  let time: ReturnType<typeof fakeClock>;
  let tokens: TokenRegistry;

  beforeEach(async () => {
    store = new CountingStore();
    await store.start();
    time = fakeClock();
    tokens = new TokenRegistry(store, time.clock);
  });

  it('creates shk_<id>_<secret> tokens and keeps only a hash of the secret', async () => {
    const { info, token } = await tokens.create({
      name: 'telegraf',
      permissions: [{ action: 'write', database: 'farm' }],
    });
    expect(token).toMatch(/^shk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/);
    expect(token.slice(4, 12)).toBe(info.id);
    expect(info).toEqual({
      id: info.id,
      name: 'telegraf',
      permissions: [{ action: 'write', database: 'farm' }],
      createdAt: '2026-11-22T06:00:00.000Z',
      lastUsedAt: null,
    });
    const stored = (await store.listMeta('auth.token.')).map(([, v]) => v).join('');
    expect(stored).not.toContain(token.slice(13));
    expect(stored).toContain('secretHash');
    expect(await tokens.list()).toEqual([info]);
  });

  it('verifies the right secret only', async () => {
    const { info, token } = await tokens.create({ permissions: [{ action: 'read', database: '*' }] });
    expect(info.name).toBe(`token-${info.id}`);
    expect(await tokens.verify(token)).toEqual({
      id: info.id,
      name: info.name,
      permissions: info.permissions,
    });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(await tokens.verify(token.slice(0, -1) + last)).toBeNull();
    expect(await tokens.verify(`${token}x`)).toBeNull();
    expect(await tokens.verify('shk_aaaaaaaa_short')).toBeNull();
    expect(await tokens.verify('not-a-token')).toBeNull();
  });

  it('revokes at once, even with the token cached', async () => {
    const { info, token } = await tokens.create({ permissions: [{ action: 'write', database: 'a' }] });
    expect(await tokens.verify(token)).not.toBeNull();
    await tokens.revoke(info.id);
    expect(await tokens.verify(token)).toBeNull();
    expect(await tokens.list()).toEqual([]);
    await expect(tokens.revoke(info.id)).rejects.toMatchObject({ code: 'AUTH_TOKEN_NOT_FOUND' });
    await expect(tokens.revoke('../../x')).rejects.toMatchObject({ code: 'AUTH_TOKEN_NOT_FOUND' });
  });

  it('answers repeated verifications from the cache, unknown ids included', async () => {
    const { token } = await tokens.create({ permissions: [{ action: 'write', database: 'a' }] });
    const unknown = `shk_aaaaaaaa_${'A'.repeat(43)}`;
    await tokens.verify(token);
    await tokens.verify(unknown);
    const reads = store.reads;
    for (let i = 0; i < 100; i++) {
      await tokens.verify(token);
      await tokens.verify(unknown);
    }
    // Only the first use's last-used update reads the record again (inside the write queue).
    await tokens.settle();
    expect(store.reads - reads).toBeLessThanOrEqual(1);
  });

  it('records the last-used time at most once a minute', async () => {
    const { info, token } = await tokens.create({ permissions: [{ action: 'write', database: 'a' }] });
    await tokens.verify(token);
    await tokens.settle();
    expect((await tokens.list())[0]?.lastUsedAt).toBe('2026-11-22T06:00:00.000Z');
    time.advance(30_000);
    await tokens.verify(token);
    await tokens.settle();
    expect((await tokens.list())[0]?.lastUsedAt).toBe('2026-11-22T06:00:00.000Z');
    time.advance(31_000);
    await tokens.verify(token);
    await tokens.settle();
    expect((await tokens.list())[0]?.lastUsedAt).toBe('2026-11-22T06:01:01.000Z');
    // A last-used update never brings a revoked token back.
    time.advance(61_000);
    await tokens.verify(token);
    await tokens.revoke(info.id);
    await tokens.settle();
    expect(await tokens.list()).toEqual([]);
  });

  it('refuses bad specs with every problem named', async () => {
    const err = await tokens
      .create({
        name: 'bad\nname',
        permissions: [
          { action: 'delete' as 'read', database: '' },
          { action: 'write', database: 'ok' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('AUTH_BAD_TOKEN');
    expect((err as AppError).message).toMatch(/name "bad\nname"/);
    expect((err as AppError).message).toMatch(/action "delete"/);
    expect((err as AppError).message).toMatch(/database ""/);
    await expect(tokens.create({ permissions: [] })).rejects.toMatchObject({ code: 'AUTH_BAD_TOKEN' });
  });
});

describe('tokenAllows', () => {
  const token = {
    id: 'abcdefgh',
    name: 't',
    permissions: [
      { action: 'write', database: 'farm' },
      { action: 'read', database: '*' },
    ] as const,
  };

  it('grants exactly what is listed, * meaning every database', () => {
    expect(tokenAllows(token, 'write', 'farm')).toBe(true);
    expect(tokenAllows(token, 'write', 'other')).toBe(false);
    expect(tokenAllows(token, 'read', 'farm')).toBe(true);
    expect(tokenAllows(token, 'read', 'anything')).toBe(true);
    expect(tokenAllows({ ...token, permissions: [{ action: 'read', database: 'a' }] }, 'write', 'a')).toBe(
      false,
    );
  });

  it('tells tokens from passwords by their prefix', () => {
    expect(isTokenLike('shk_abcdefgh_x')).toBe(true);
    expect(isTokenLike('hunter22')).toBe(false);
  });
});

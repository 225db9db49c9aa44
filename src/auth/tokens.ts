import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';

/**
 * API tokens: credentials for writers that should not hold a user's password (Telegraf, scripts, InfluxDB 2
 * clients). A token is `shk_<id>_<secret>`; only the SHA-256 of the secret is stored. The secret is 256
 * random bits, so a fast hash is enough: there is no dictionary to run against it, unlike a password, which
 * is why passwords get scrypt and tokens do not.
 */
export type TokenAction = 'read' | 'write';
export const TOKEN_ACTIONS: readonly TokenAction[] = ['read', 'write'];

/** `database` is a database name or `*` (every database, including ones created later). */
export interface TokenPermission {
  readonly action: TokenAction;
  readonly database: string;
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly TokenPermission[];
  readonly createdAt: string;
  /** Updated at most once a minute; null until first used. */
  readonly lastUsedAt: string | null;
}

interface TokenRecord extends TokenInfo {
  /** Hex SHA-256 of the secret part; never leaves the server. */
  readonly secretHash: string;
}

export interface NewToken {
  /** Omitted: `token-<id>`. */
  readonly name?: string;
  readonly permissions: readonly TokenPermission[];
}

/** Who a request acts as when it carried a token. */
export interface TokenPrincipal {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly TokenPermission[];
}

const PREFIX = 'auth.token.';
const TOKEN_PREFIX = 'shk_';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_FORMAT = /^shk_([a-z2-7]{8})_([A-Za-z0-9_-]{43})$/;
const ID_FORMAT = /^[a-z2-7]{8}$/;
// Printable, no control characters: the name shows up in logs, dead letters and `token list`.
const NAME_FORMAT = /^[^\p{Cc}]{1,64}$/u;
const MAX_DATABASE_LENGTH = 255;

/** A looked-up record (or its absence) is trusted this long; revocation through this registry is immediate. */
const CACHE_TTL_MS = 5 * 60_000;
/** Unknown ids are remembered briefly, so a client retrying a deleted token costs no store read. */
const MISS_TTL_MS = 30_000;
const CACHE_MAX = 10_000;
const LAST_USED_EVERY_MS = 60_000;

interface CacheEntry {
  readonly record: TokenRecord | null;
  readonly until: number;
}

/** Whether a string has the shape of a sensorhub token (and so is not a password). */
export function isTokenLike(text: string): boolean {
  return text.startsWith(TOKEN_PREFIX);
}

/** May this token do `action` on `database`? Only what it lists: no implied permissions. */
export function tokenAllows(token: TokenPrincipal, action: TokenAction, database: string): boolean {
  for (const p of token.permissions) {
    if (p.action === action && (p.database === '*' || p.database === database)) return true;
  }
  return false;
}

/** Tokens kept in the store's key/value table (`auth.token.<id>`), with a small lookup cache. */
export class TokenRegistry {
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<TokenRecord | null>>();
  /** Every write goes through here, so a last-used update can never resurrect a revoked token. */
  #writes: Promise<unknown> = Promise.resolve();
  /** Bumped by every create and revoke: a read that started before one must not fill the cache. */
  #generation = 0;

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /** Creates a token; the returned `token` string is shown only now (only its hash is kept). */
  create(spec: NewToken): Promise<{ info: TokenInfo; token: string }> {
    const errors = validate(spec);
    if (errors.length > 0) {
      return Promise.reject(new AppError('AUTH_BAD_TOKEN', errors.join('; '), { details: { errors } }));
    }
    return this.#serial(async () => {
      let id = newId();
      // 40 random bits: a collision is unlikely, but checking costs one read.
      while ((await this.store.getMeta(PREFIX + id)) !== undefined) id = newId();
      const secret = randomBytes(32).toString('base64url');
      const record: TokenRecord = {
        id,
        name: spec.name?.trim() || `token-${id}`,
        permissions: dedupe(spec.permissions),
        createdAt: new Date(this.clock.nowMs()).toISOString(),
        lastUsedAt: null,
        secretHash: hashSecret(secret).toString('hex'),
      };
      await this.store.setMeta(PREFIX + id, JSON.stringify(record));
      this.#generation++;
      this.#cache.delete(id);
      return { info: infoOf(record), token: `${TOKEN_PREFIX}${id}_${secret}` };
    });
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.store.listMeta(PREFIX);
    return rows.map(([, raw]) => infoOf(JSON.parse(raw) as TokenRecord));
  }

  /** Deletes a token; requests carrying it are refused from the moment this resolves. */
  revoke(id: string): Promise<void> {
    return this.#serial(async () => {
      const existed = ID_FORMAT.test(id) && (await this.store.deleteMeta(PREFIX + id));
      this.#generation++;
      this.#cache.delete(id);
      this.#inflight.delete(id);
      if (!existed) throw new AppError('AUTH_TOKEN_NOT_FOUND', `no token with id "${id}"`);
    });
  }

  /** The token's principal, or null when it is malformed, unknown, revoked or its secret is wrong. */
  async verify(token: string): Promise<TokenPrincipal | null> {
    const m = TOKEN_FORMAT.exec(token);
    if (!m) return null;
    const id = m[1] as string;
    const record = await this.#lookup(id);
    if (!record) return null;
    const expected = Buffer.from(record.secretHash, 'hex');
    const got = hashSecret(m[2] as string);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return null;
    this.#noteUse(record);
    return { id: record.id, name: record.name, permissions: record.permissions };
  }

  /** Waits for pending writes (last-used times); for shutdown and tests. */
  async settle(): Promise<void> {
    await this.#writes.catch(() => {});
  }

  async #lookup(id: string): Promise<TokenRecord | null> {
    const now = this.clock.nowMs();
    const hit = this.#cache.get(id);
    if (hit && hit.until > now) return hit.record;
    let pending = this.#inflight.get(id);
    if (!pending) {
      pending = this.#read(id).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, pending);
    }
    return pending;
  }

  async #read(id: string): Promise<TokenRecord | null> {
    const generation = this.#generation;
    const raw = await this.store.getMeta(PREFIX + id);
    const record = raw === undefined ? null : (JSON.parse(raw) as TokenRecord);
    if (generation === this.#generation) this.#remember(id, record);
    return record;
  }

  #remember(id: string, record: TokenRecord | null): void {
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    const ttl = record ? CACHE_TTL_MS : MISS_TTL_MS;
    this.#cache.set(id, { record, until: this.clock.nowMs() + ttl });
  }

  /** Records the last-used time at most once a minute per token, off the request path. */
  #noteUse(record: TokenRecord): void {
    const now = this.clock.nowMs();
    const last = record.lastUsedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(record.lastUsedAt);
    if (now - last < LAST_USED_EVERY_MS) return;
    const lastUsedAt = new Date(now).toISOString();
    const cached = this.#cache.get(record.id);
    if (cached?.record) {
      this.#cache.set(record.id, { record: { ...cached.record, lastUsedAt }, until: cached.until });
    }
    this.#serial(async () => {
      // Re-read inside the write queue: a token revoked meanwhile stays deleted.
      const raw = await this.store.getMeta(PREFIX + record.id);
      if (raw === undefined) return;
      const current = JSON.parse(raw) as TokenRecord;
      if (current.lastUsedAt !== null && current.lastUsedAt >= lastUsedAt) return;
      await this.store.setMeta(PREFIX + record.id, JSON.stringify({ ...current, lastUsedAt }));
    }).catch((err: unknown) => {
      this.logger?.warn({ err, token: record.id }, 'could not record a token’s last-used time');
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(work, work);
    this.#writes = run.catch(() => {});
    return run;
  }
}

function newId(): string {
  const bytes = randomBytes(5);
  let bits = 0;
  let value = 0;
  let id = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      id += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return id;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function infoOf(r: TokenRecord): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    permissions: r.permissions,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
  };
}

function dedupe(permissions: readonly TokenPermission[]): TokenPermission[] {
  const seen = new Set<string>();
  const out: TokenPermission[] = [];
  for (const p of permissions) {
    const key = `${p.action}\u0000${p.database}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ action: p.action, database: p.database });
  }
  return out;
}

function validate(spec: NewToken): string[] {
  const errors: string[] = [];
  if (spec.name !== undefined && !NAME_FORMAT.test(spec.name.trim())) {
    errors.push(`name "${spec.name}" must be 1-64 characters without control characters`);
  }
  if (!Array.isArray(spec.permissions) || spec.permissions.length === 0) {
    errors.push('a token needs at least one permission (--write DB or --read DB)');
    return errors;
  }
  for (const p of spec.permissions) {
    if (!TOKEN_ACTIONS.includes(p.action)) {
      errors.push(`permission action "${String(p.action)}" is not read or write`);
    }
    if (
      typeof p.database !== 'string' ||
      p.database === '' ||
      p.database.length > MAX_DATABASE_LENGTH ||
      /\p{Cc}/u.test(p.database)
    ) {
      errors.push(
        `permission database "${String(p.database)}" must be a database name (1-${MAX_DATABASE_LENGTH} characters) or *`,
      );
    }
  }
  return errors;
}

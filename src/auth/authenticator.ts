import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { TopicAcl } from './acl.js';
import { LoginGuard } from './login-guard.js';
import { generatePassword, hashPassword, sha256, verifyPassword } from './passwords.js';
import { passwordFingerprint, SessionRegistry } from './sessions.js';
import { TokenRegistry } from './tokens.js';
import { type Role, type UserRecord, UserRegistry } from './users.js';

/** Who a request or an MQTT connection acts as. `null` where anonymous access is on and none was given. */
export interface Principal {
  readonly username: string;
  readonly role: Role;
  readonly publish: TopicAcl;
  readonly subscribe: TopicAcl;
}

export const ADMIN_USERNAME = 'admin';
/** Successful verifications are remembered this long, so HTTP basic auth does not run scrypt per request. */
const CACHE_TTL_MS = 5 * 60_000;
/** A wrong password is remembered this long: a misconfigured device retrying every second costs no scrypt. */
const FAILURE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;
/** scrypt runs on libuv's pool (4 threads, shared with file I/O); keep room for everything else. */
const MAX_CONCURRENT_HASHES = 2;
const MAX_QUEUED_HASHES = 256;

export interface AuthenticatorOptions {
  readonly store: TimeSeriesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly allowAnonymous: boolean;
  /** SENSORHUB_ADMIN_PASSWORD (or the content of SENSORHUB_ADMIN_PASSWORD_FILE), if set. */
  readonly adminPassword: string | undefined;
  /** Where the generated first-start password is shown, once. */
  readonly announce: (text: string) => void;
  /** Per-address blocking after repeated failures. */
  readonly failures: { readonly maxFailures: number; readonly windowMs: number; readonly blockMs: number };
}

interface CacheEntry {
  readonly principal: Principal | null;
  readonly until: number;
}

/**
 * Checks credentials for MQTT CONNECT and HTTP against the users in the store, and answers what a principal
 * may do. Verifications are cached (both ways) and rate-limited, so neither a reconnect storm nor a password
 * guesser can tie up the thread pool.
 */
export class Authenticator {
  readonly users: UserRegistry;
  /** API tokens (HTTP only: InfluxDB-style writes, read-only queries). */
  readonly tokens: TokenRegistry;
  /** Web app logins (session cookies). */
  readonly sessions: SessionRegistry;
  /** In-process users (the --demo devices): random tokens held only in memory, gone at exit. */
  readonly #ephemeral = new Map<string, { hash: string; principal: Principal }>();
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<Principal | null>>();
  readonly #queue: Array<() => void> = [];
  #hashing = 0;
  readonly #refusalLog = new LogThrottle(10_000);
  readonly #credentialListeners = new Set<(name: string) => void>();

  readonly #guard: LoginGuard;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.users = new UserRegistry(opts.store, (name) => this.#forget(name));
    this.tokens = new TokenRegistry(opts.store, opts.clock, opts.logger);
    this.sessions = new SessionRegistry(opts.store, opts.clock, opts.logger);
    this.#guard = new LoginGuard({ ...opts.failures, clock: opts.clock });
  }

  get allowAnonymous(): boolean {
    return this.opts.allowAnonymous;
  }

  /** Ensures the admin exists: from the env password, else the stored one, else a generated password. */
  async start(): Promise<void> {
    const { adminPassword, logger } = this.opts;
    // Sessions first: an admin password changed through the env below ends the admin's sessions.
    await this.sessions.start();
    const stored = await this.users.get(ADMIN_USERNAME);
    if (adminPassword !== undefined) {
      if (stored === undefined || !(await verifyPassword(adminPassword, stored.passwordHash))) {
        await this.users.put(adminRecord(await hashPassword(adminPassword), stored));
        logger.info(
          { user: ADMIN_USERNAME },
          stored === undefined
            ? 'admin user created with the password from the environment'
            : 'admin password updated from the environment',
        );
      }
    } else if (stored === undefined) {
      const password = generatePassword();
      await this.users.put(adminRecord(await hashPassword(password), undefined));
      this.opts.announce(
        [
          '',
          '  sensorhub created the admin user. This password is shown only once; only its hash is stored:',
          '',
          `      user:     ${ADMIN_USERNAME}`,
          `      password: ${password}`,
          '',
          '  Set SENSORHUB_ADMIN_PASSWORD (or SENSORHUB_ADMIN_PASSWORD_FILE) to choose it yourself.',
          '',
        ].join('\n'),
      );
    }
    if (this.opts.allowAnonymous) {
      logger.warn('anonymous access is ON (--allow-anonymous): any client can publish, subscribe and query');
    }
  }

  /** Adds an in-memory client with a random password and the given ACL; returns the password. */
  addEphemeralUser(username: string, publish: readonly string[], subscribe: readonly string[]): string {
    const password = generatePassword();
    const principal: Principal = {
      username,
      role: 'client',
      publish: new TopicAcl(publish),
      subscribe: new TopicAcl(subscribe),
    };
    this.#ephemeral.set(username, { hash: sha256(password), principal });
    return password;
  }

  /**
   * The principal for these credentials from this remote address, or null when they are wrong. Throws
   * AUTH_BLOCKED when the address failed too often lately, AUTH_THROTTLED when too many verifications wait.
   */
  async verify(
    username: string | undefined,
    password: string | undefined,
    address?: string,
  ): Promise<Principal | null> {
    const blockedMs = this.#guard.blockedFor(address);
    if (blockedMs > 0) {
      throw new AppError(
        'AUTH_BLOCKED',
        `too many failed logins from ${address}; retry in ${Math.ceil(blockedMs / 1000)} s`,
        {
          details: { retryAfterSeconds: Math.ceil(blockedMs / 1000) },
        },
      );
    }
    const { principal, repeated } = await this.#check(username, password);
    if (principal) {
      this.#guard.succeeded(address);
    } else if (!repeated && this.#guard.failed(address)) {
      // Only new wrong guesses count: a device retrying the same stale password is not guessing, and must
      // not get the other devices behind its NAT or load balancer blocked.
      this.opts.logger.warn(
        { remote: address, blockForMs: this.opts.failures.blockMs },
        'too many failed logins: address blocked (AUTH_BLOCKED)',
      );
    }
    return principal;
  }

  /** `repeated`: a failure already seen recently (answered from the cache). */
  async #check(
    username: string | undefined,
    password: string | undefined,
  ): Promise<{ principal: Principal | null; repeated: boolean }> {
    if (username === undefined || password === undefined) return { principal: null, repeated: false };
    const ephemeral = this.#ephemeral.get(username);
    if (ephemeral !== undefined) {
      return { principal: ephemeral.hash === sha256(password) ? ephemeral.principal : null, repeated: false };
    }
    const cacheKey = sha256(`${username}\u0000${password}`);
    const hit = this.#cache.get(cacheKey);
    if (hit && hit.until > this.opts.clock.nowMs())
      return { principal: hit.principal, repeated: hit.principal === null };
    // A reconnect storm of devices sharing a credential runs scrypt once, not once per CONNECT.
    let pending = this.#inflight.get(cacheKey);
    if (!pending) {
      pending = this.#verifySlow(username, password, cacheKey).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, pending);
    }
    return { principal: await pending, repeated: false };
  }

  /** Logs a refused login, at most once per 10 s with a count of the others. */
  logRefusal(fields: Record<string, unknown>, message: string): void {
    const suppressed = this.#refusalLog.allow();
    if (suppressed !== undefined)
      this.opts.logger.warn({ ...fields, similarSinceLastLog: suppressed }, message);
  }

  async #verifySlow(username: string, password: string, cacheKey: string): Promise<Principal | null> {
    const record = await this.users.get(username);
    // Unknown users cost a hash too, so response times do not reveal which names exist.
    const ok = await this.#limited(() => verifyPassword(password, record?.passwordHash ?? DUMMY_HASH));
    const principal = ok && record ? principalOf(record) : null;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    const ttl = principal ? CACHE_TTL_MS : FAILURE_TTL_MS;
    this.#cache.set(cacheKey, { principal, until: this.opts.clock.nowMs() + ttl });
    return principal;
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.#hashing >= MAX_CONCURRENT_HASHES) {
      if (this.#queue.length >= MAX_QUEUED_HASHES) {
        throw new AppError('AUTH_THROTTLED', 'too many logins being checked; retry in a few seconds');
      }
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    this.#hashing++;
    try {
      return await work();
    } finally {
      this.#hashing--;
      this.#queue.shift()?.();
    }
  }

  /**
   * The principal of a session cookie's user, or null when the session is unknown, expired or ended, or its
   * user was removed or has another password since (then the session is ended too).
   */
  async sessionPrincipal(secret: string): Promise<Principal | null> {
    const session = this.sessions.lookup(secret);
    if (session === undefined) return null;
    const record = await this.users.get(session.username);
    if (record === undefined || passwordFingerprint(record.passwordHash) !== session.pw) {
      this.sessions.endById(secret);
      return null;
    }
    return principalOf(record);
  }

  /**
   * A web login: the password is checked like any login (rate limits, blocking), then once more against the
   * stored hash the session is bound to, so a login racing a password change cannot open a session that
   * outlives it. Returns the new session's secret, or null for wrong credentials.
   */
  async openSession(
    username: string,
    password: string,
    address: string,
  ): Promise<{ principal: Principal; secret: string } | null> {
    const principal = await this.verify(username, password, address);
    if (!principal) return null;
    const record = await this.users.get(username);
    if (record === undefined) return null;
    if (!(await this.#limited(() => verifyPassword(password, record.passwordHash)))) return null;
    return { principal, secret: await this.sessions.create(username, record.passwordHash) };
  }

  /** Drops cached logins of a user whose password, role or ACL changed, or who was removed. */
  #forget(name: string): void {
    this.sessions
      .endAllOf(name)
      .catch((err: unknown) =>
        this.opts.logger.warn({ err, user: name }, 'could not end the user’s sessions'),
      );
    for (const [key, entry] of this.#cache) if (entry.principal?.username === name) this.#cache.delete(key);
    // Failed attempts of that name may now be right (a new password): forget them all, they are cheap.
    for (const [key, entry] of this.#cache) if (entry.principal === null) this.#cache.delete(key);
    for (const listener of this.#credentialListeners) listener(name);
  }

  /** Called with a user's name when its password, role or ACL changes or it is removed. */
  onCredentialsChanged(listener: (name: string) => void): () => void {
    this.#credentialListeners.add(listener);
    return () => this.#credentialListeners.delete(listener);
  }
}

// A valid hash of a random password, checked for unknown users.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function adminRecord(passwordHash: string, previous: UserRecord | undefined): UserRecord {
  return {
    name: ADMIN_USERNAME,
    role: 'admin',
    publish: ['#'],
    subscribe: ['#'],
    createdAt: previous?.createdAt ?? new Date().toISOString(),
    passwordHash,
  };
}

export function principalOf(record: UserRecord): Principal {
  return {
    username: record.name,
    role: record.role,
    publish: new TopicAcl(record.publish),
    subscribe: new TopicAcl(record.subscribe),
  };
}

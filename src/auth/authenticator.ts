import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { generatePassword, hashPassword, sha256, verifyPassword } from './passwords.js';

export interface Principal {
  readonly username: string;
  readonly role: 'admin';
}

export const ADMIN_USERNAME = 'admin';
const ADMIN_META_KEY = 'auth.admin.password';
/** Successful verifications are remembered this long, so HTTP basic auth does not run scrypt per request. */
const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 10_000;

export interface AuthenticatorOptions {
  readonly store: TimeSeriesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly allowAnonymous: boolean;
  /** SENSORHUB_ADMIN_PASSWORD (or the content of SENSORHUB_ADMIN_PASSWORD_FILE), if set. */
  readonly adminPassword: string | undefined;
  /** Where the generated first-start password is shown, once. */
  readonly announce: (text: string) => void;
}

/**
 * Checks credentials for MQTT CONNECT and HTTP. For now one user, the bootstrap admin; users, devices and
 * roles come with the broker issue and plug in behind `verify`.
 */
export class Authenticator {
  #adminHash: string | undefined;
  /** In-process users (the --demo devices): random tokens held only in memory, gone at exit. */
  readonly #ephemeral = new Map<string, string>();
  readonly #cache = new Map<string, { username: string; until: number }>();
  readonly #inflight = new Map<string, Promise<Principal | null>>();

  constructor(private readonly opts: AuthenticatorOptions) {}

  get allowAnonymous(): boolean {
    return this.opts.allowAnonymous;
  }

  /** Ensures the admin exists: from the env password, else the stored hash, else a generated password. */
  async start(): Promise<void> {
    const { store, adminPassword, logger } = this.opts;
    const stored = await store.getMeta(ADMIN_META_KEY);
    if (adminPassword !== undefined) {
      if (stored === undefined || !(await verifyPassword(adminPassword, stored))) {
        this.#adminHash = await hashPassword(adminPassword);
        await store.setMeta(ADMIN_META_KEY, this.#adminHash);
        logger.info(
          { user: ADMIN_USERNAME },
          stored === undefined
            ? 'admin user created with the password from the environment'
            : 'admin password updated from the environment',
        );
      } else {
        this.#adminHash = stored;
      }
    } else if (stored !== undefined) {
      this.#adminHash = stored;
    } else {
      const password = generatePassword();
      this.#adminHash = await hashPassword(password);
      await store.setMeta(ADMIN_META_KEY, this.#adminHash);
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

  /** Adds an in-memory user with a random password and returns the password. */
  addEphemeralUser(username: string): string {
    const password = generatePassword();
    this.#ephemeral.set(username, sha256(password));
    return password;
  }

  async verify(username: string | undefined, password: string | undefined): Promise<Principal | null> {
    if (username === undefined || password === undefined) return null;
    const ephemeral = this.#ephemeral.get(username);
    if (ephemeral !== undefined) return ephemeral === sha256(password) ? { username, role: 'admin' } : null;
    const cacheKey = sha256(`${username}\0${password}`);
    const now = this.opts.clock.nowMs();
    const hit = this.#cache.get(cacheKey);
    if (hit && hit.until > now) return { username: hit.username, role: 'admin' };
    // A reconnect storm of devices sharing a credential runs scrypt once, not once per CONNECT.
    let pending = this.#inflight.get(cacheKey);
    if (!pending) {
      pending = this.#verifySlow(username, password, cacheKey).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, pending);
    }
    return pending;
  }

  async #verifySlow(username: string, password: string, cacheKey: string): Promise<Principal | null> {
    if (username !== ADMIN_USERNAME || this.#adminHash === undefined) return null;
    if (!(await verifyPassword(password, this.#adminHash))) return null;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(cacheKey, { username, until: this.opts.clock.nowMs() + CACHE_TTL_MS });
    return { username, role: 'admin' };
  }
}

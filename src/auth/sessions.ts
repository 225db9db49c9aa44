import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { sha256 } from './passwords.js';

/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 7 * 24 * 3600_000;
/** …and after this long in any case: a stolen cookie does not live forever. */
export const SESSION_MAX_MS = 30 * 24 * 3600_000;
/** How stale a stored last-seen time may get: every request would otherwise be a store write. */
const TOUCH_EVERY_MS = 3600_000;
const META_PREFIX = 'session:';
/** Sessions per user; logging in once more drops the oldest. */
const MAX_PER_USER = 20;

interface SessionRecord {
  readonly username: string;
  /**
   * A fingerprint of the password hash the session was opened with: a session of a user whose password was
   * changed (also offline, with `sensorhub user passwd`) or who was removed and added again is refused.
   */
  readonly pw: string;
  readonly createdAt: number;
  lastSeen: number;
}

/** What a live session says about its user; the caller checks `pw` against the user's current hash. */
export interface SessionUser {
  readonly username: string;
  readonly pw: string;
}

/** The fingerprint a session keeps of a password hash. */
export const passwordFingerprint = (passwordHash: string): string => sha256(`session\u0000${passwordHash}`);

/**
 * Browser sessions of the web app. The cookie holds a random 256-bit secret; only its SHA-256 is kept (in
 * memory and in the store's meta table, so a restart logs nobody out). A session is checked against the
 * user registry on every request, so a removed user or a changed role takes effect at once, and a changed
 * password ends every session of that user.
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, SessionRecord>();

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const now = this.clock.nowMs();
    for (const [key, value] of await this.store.listMeta(META_PREFIX)) {
      try {
        const rec = JSON.parse(value) as SessionRecord;
        if (this.#alive(rec, now) && typeof rec.pw === 'string')
          this.#sessions.set(key.slice(META_PREFIX.length), rec);
        else await this.store.deleteMeta(key);
      } catch {
        await this.store.deleteMeta(key);
      }
    }
  }

  /** A new session for this user, bound to its current password hash; returns the secret for the cookie. */
  async create(username: string, passwordHash: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock.nowMs();
    const rec: SessionRecord = {
      username,
      pw: passwordFingerprint(passwordHash),
      createdAt: now,
      lastSeen: now,
    };
    const id = sha256(secret);
    this.#sessions.set(id, rec);
    await this.store.setMeta(META_PREFIX + id, JSON.stringify(rec));
    const mine = [...this.#sessions].filter(([, r]) => r.username === username);
    if (mine.length > MAX_PER_USER) {
      mine.sort((a, b) => a[1].lastSeen - b[1].lastSeen);
      await this.#drop(mine.slice(0, mine.length - MAX_PER_USER).map(([k]) => k));
    }
    return secret;
  }

  /** The user of a live session, or undefined (unknown, expired or ended). */
  lookup(secret: string): SessionUser | undefined {
    if (secret.length < 20 || secret.length > 100) return undefined;
    const id = sha256(secret);
    const rec = this.#sessions.get(id);
    if (rec === undefined) return undefined;
    const now = this.clock.nowMs();
    if (!this.#alive(rec, now)) {
      this.#dropLogged(id);
      return undefined;
    }
    if (now - rec.lastSeen > TOUCH_EVERY_MS) {
      rec.lastSeen = now;
      this.store
        .setMeta(META_PREFIX + id, JSON.stringify(rec))
        .catch((err: unknown) => this.logger.warn({ err }, 'could not save a session’s last-seen time'));
    } else {
      rec.lastSeen = now;
    }
    return { username: rec.username, pw: rec.pw };
  }

  /** Ends a session found stale (expired, or its user's password changed); a store error is only logged. */
  endById(secret: string): void {
    this.#dropLogged(sha256(secret));
  }

  #dropLogged(id: string): void {
    this.#drop([id]).catch((err: unknown) => this.logger.warn({ err }, 'could not delete an ended session'));
  }

  /** Ends one session (logout). */
  async end(secret: string): Promise<void> {
    await this.#drop([sha256(secret)]);
  }

  /** Ends every session of a user (password or role changed, user removed). */
  async endAllOf(username: string): Promise<void> {
    await this.#drop([...this.#sessions].filter(([, r]) => r.username === username).map(([k]) => k));
  }

  get size(): number {
    return this.#sessions.size;
  }

  #alive(rec: SessionRecord, now: number): boolean {
    return now - rec.lastSeen < SESSION_IDLE_MS && now - rec.createdAt < SESSION_MAX_MS;
  }

  async #drop(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.#sessions.delete(id);
    await this.store.putMetaBatch(ids.map((id) => [META_PREFIX + id, null] as const));
  }
}

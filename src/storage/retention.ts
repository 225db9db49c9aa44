import { type Clock, systemClock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { EpochMicros, Point } from '../core/point.js';
import type { RefusedPoint, TimeSeriesStore } from './store.js';

/**
 * Retention per database, as InfluxDB 1.x has it, with one simplification: a database has exactly one
 * retention policy (named `autogen` unless CREATE DATABASE … NAME chose another). Policies live in the
 * store's meta table, so that every process sharing a PostgreSQL database, and every InfluxQL statement,
 * sees the same ones; this class caches them for the write path (admit) and the retention job.
 *
 * A database gets its policy when it is first created (CREATE DATABASE) or written: the default then in
 * force (storage.retention.default). Changing the default later does not change existing databases;
 * storage.retention.databases pins some to the config file instead (provisioned).
 */

export const DEFAULT_POLICY_NAME = 'autogen';
/** Meta key prefix of each database's policy (JSON, see PolicyRecord). */
export const POLICY_KEY = 'retention.database.';
/** Meta key of the default duration (µs) of the server that last started on this store. */
export const DEFAULT_KEY = 'retention.default';
/** Meta key prefix of databases created empty with CREATE DATABASE (kept by the InfluxQL executor). */
export const CREATED_DATABASE_KEY = 'influxql.database.';

const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;

export interface RetentionPolicy {
  readonly name: string;
  /** µs; 0 keeps data forever (INF). */
  readonly duration: number;
  /** µs; InfluxDB's shard group duration, shown by SHOW RETENTION POLICIES (sensorhub has no shards). */
  readonly shardGroupDuration: number;
  readonly replicaN: number;
  /** Pinned by storage.retention.databases: changed only in the config file. */
  readonly provisioned: boolean;
}

export interface RetentionPoliciesOptions {
  readonly store: TimeSeriesStore;
  /**
   * storage.retention.default in µs (0: forever). Undefined: the default the server recorded in the store
   * (INF if none), for statements and tools that run without the server's config.
   */
  readonly defaultDuration?: number;
  /** storage.retention.databases in µs. */
  readonly provisioned?: Readonly<Record<string, number>>;
  readonly clock?: Clock;
  /**
   * How long admit() trusts its cached policies before re-reading them in the background: another process
   * sharing the store may change them. Default 1 s.
   */
  readonly refreshMs?: number;
  readonly logger?: Logger;
}

/** Every database: those holding data and those created empty with CREATE DATABASE. */
export async function listAllDatabases(store: TimeSeriesStore): Promise<string[]> {
  const created = (await store.listMeta(CREATED_DATABASE_KEY)).map(([k]) =>
    k.slice(CREATED_DATABASE_KEY.length),
  );
  return [...new Set([...(await store.listDatabases()), ...created])].sort();
}

/** InfluxDB's shard group duration for a retention duration (its meta.shardGroupDuration). */
export function shardGroupDurationFor(duration: number): number {
  if (duration === 0 || duration >= 180 * DAY) return 7 * DAY;
  if (duration >= 2 * DAY) return DAY;
  return HOUR;
}

/** InfluxDB's rule for a given SHARD DURATION: under an hour it becomes an hour's group. */
export function normalisedShardGroupDuration(given: number | undefined, duration: number): number {
  if (given === undefined || given === 0) return shardGroupDurationFor(duration);
  return given < HOUR ? shardGroupDurationFor(HOUR) : given;
}

/** A policy with InfluxDB's defaults for what was not given. */
export function makePolicy(
  duration: number,
  fields: { name?: string; shardGroupDuration?: number; replicaN?: number; provisioned?: boolean } = {},
): RetentionPolicy {
  return {
    name: fields.name ?? DEFAULT_POLICY_NAME,
    duration,
    shardGroupDuration: normalisedShardGroupDuration(fields.shardGroupDuration, duration),
    replicaN: fields.replicaN ?? 1,
    provisioned: fields.provisioned ?? false,
  };
}

/**
 * A duration as Go's time.Duration prints it, which is how InfluxDB shows retention: `168h0m0s`, `1h0m0s`,
 * `10s`, `1.5s`, `500ms`, `0s`.
 */
export function formatGoDuration(micros: number): string {
  if (micros === 0) return '0s';
  const sign = micros < 0 ? '-' : '';
  const us = Math.abs(Math.round(micros));
  if (us < 1000) return `${sign}${us}µs`;
  if (us < 1_000_000) return `${sign}${trimFraction(us / 1000)}ms`;
  const hours = Math.floor(us / HOUR);
  const minutes = Math.floor((us % HOUR) / 60_000_000);
  const seconds = trimFraction((us % 60_000_000) / 1_000_000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trimFraction(n: number): string {
  return n.toFixed(6).replace(/\.?0+$/, '');
}

/** An RFC 3339 time for messages. */
function iso(us: EpochMicros): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

interface PolicyRecord {
  name: string;
  duration: number;
  shardGroupDuration: number;
  replicaN: number;
  provisioned: boolean;
}

function encode(p: RetentionPolicy): string {
  const record: PolicyRecord = {
    name: p.name,
    duration: p.duration,
    shardGroupDuration: p.shardGroupDuration,
    replicaN: p.replicaN,
    provisioned: p.provisioned,
  };
  return JSON.stringify(record);
}

/** Undefined for a record this version cannot read (the caller decides what that means). */
function decode(text: string): RetentionPolicy | undefined {
  try {
    const r = JSON.parse(text) as Partial<PolicyRecord>;
    const ok =
      typeof r.name === 'string' &&
      Number.isSafeInteger(r.duration) &&
      (r.duration as number) >= 0 &&
      Number.isSafeInteger(r.shardGroupDuration) &&
      Number.isSafeInteger(r.replicaN);
    if (!ok) return undefined;
    return makePolicy(r.duration as number, {
      name: r.name as string,
      shardGroupDuration: r.shardGroupDuration as number,
      replicaN: r.replicaN as number,
      provisioned: r.provisioned === true,
    });
  } catch {
    return undefined;
  }
}

function samePolicy(a: RetentionPolicy, b: RetentionPolicy): boolean {
  return encode(a) === encode(b);
}

const NONE: RefusedPoint[] = [];

export class RetentionPolicies {
  readonly #store: TimeSeriesStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #refreshMs: number;
  readonly #provisioned: Readonly<Record<string, number>>;
  #default: number | undefined;
  #cache = new Map<string, RetentionPolicy>();
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(options: RetentionPoliciesOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#refreshMs = options.refreshMs ?? 1000;
    this.#provisioned = options.provisioned ?? {};
    this.#default = options.defaultDuration;
  }

  /**
   * The server's start: records its default and its pinned databases, in one meta transaction. On the
   * first start of a version with retention, the databases already there are recorded as INF: an upgrade
   * never deletes data nobody asked to delete.
   */
  async start(): Promise<void> {
    const store = this.#store;
    const writes: Array<[string, string | null]> = [];
    const stored = await this.#readAll();
    if (this.#default !== undefined) {
      const recordedDefault = await store.getMeta(DEFAULT_KEY);
      if (recordedDefault === undefined) {
        const existing = (await listAllDatabases(store)).filter(
          (db) => !stored.has(db) && this.#provisioned[db] === undefined,
        );
        for (const db of existing) writes.push([POLICY_KEY + db, encode(makePolicy(0))]);
        if (existing.length > 0) {
          this.#logger.info(
            { databases: existing },
            'databases from before retention existed keep their data (retention INF); change it with ALTER RETENTION POLICY',
          );
        }
      }
      if (recordedDefault !== String(this.#default)) writes.push([DEFAULT_KEY, String(this.#default)]);
    }
    for (const [db, duration] of Object.entries(this.#provisioned)) {
      const current = stored.get(db);
      const pinned = makePolicy(duration, {
        name: current?.name ?? DEFAULT_POLICY_NAME,
        replicaN: current?.replicaN ?? 1,
        provisioned: true,
      });
      if (current === undefined || !samePolicy(current, pinned))
        writes.push([POLICY_KEY + db, encode(pinned)]);
    }
    for (const [db, policy] of stored) {
      // No longer pinned: keeps its duration, and InfluxQL may change it again.
      if (policy.provisioned && this.#provisioned[db] === undefined) {
        writes.push([POLICY_KEY + db, encode({ ...policy, provisioned: false })]);
      }
    }
    await store.putMetaBatch(writes);
    await this.refresh();
  }

  /** Re-reads every policy from the store. */
  refresh(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** The default duration for new databases (µs, 0: forever). */
  async defaultDuration(): Promise<number> {
    if (this.#default !== undefined) return this.#default;
    const recorded = Number(await this.#store.getMeta(DEFAULT_KEY));
    return Number.isSafeInteger(recorded) && recorded >= 0 ? recorded : 0;
  }

  /** Every recorded policy, freshly read. */
  async list(): Promise<ReadonlyMap<string, RetentionPolicy>> {
    await this.refresh();
    return this.#cache;
  }

  /** The database's policy; a database that has none yet gets the default then in force, recorded. */
  async policyOf(database: string): Promise<RetentionPolicy> {
    const cached = this.#cache.get(database);
    if (cached !== undefined) return cached;
    // Another process (or an InfluxQL statement) may have recorded it since the last read.
    await this.refresh();
    const loaded = this.#cache.get(database);
    if (loaded !== undefined) return loaded;
    const pinned = this.#provisioned[database];
    const policy =
      pinned === undefined
        ? makePolicy(await this.defaultDuration())
        : makePolicy(pinned, { provisioned: true });
    await this.#store.setMeta(POLICY_KEY + database, encode(policy));
    this.#cache.set(database, policy);
    return policy;
  }

  /**
   * Replaces the database's policy (CREATE DATABASE … WITH, ALTER RETENTION POLICY). A pinned database is
   * refused with QRY_RETENTION_POLICY unless the policy stays the same.
   */
  async setPolicy(database: string, policy: RetentionPolicy): Promise<RetentionPolicy> {
    const current = this.#cache.get(database) ?? (await this.#reload(database));
    const next: RetentionPolicy = { ...policy, provisioned: current?.provisioned ?? false };
    if (current !== undefined && samePolicy(current, next)) return current;
    if (current?.provisioned) {
      throw new AppError(
        'QRY_RETENTION_POLICY',
        `the retention of database "${database}" is pinned to ${formatGoDuration(current.duration)} in the config file (storage.retention.databases); change it there`,
      );
    }
    await this.#store.setMeta(POLICY_KEY + database, encode(next));
    this.#cache.set(database, next);
    return next;
  }

  /** Removes a database's policy (DROP DATABASE of an empty database). */
  async forget(database: string): Promise<void> {
    await this.#store.deleteMeta(POLICY_KEY + database);
    this.#cache.delete(database);
  }

  /**
   * The write path's check: the points older than their database's retention window (time < now -
   * duration), which the next retention run would delete, are refused with ING_BEYOND_RETENTION, as
   * InfluxDB 1.x refuses them ("points beyond retention policy"). A database seen for the first time gets
   * its policy recorded here.
   */
  async admit(points: readonly Point[]): Promise<RefusedPoint[]> {
    if (points.length === 0) return NONE;
    if (this.#clock.nowMs() - this.#loadedAt >= this.#refreshMs) {
      this.refresh().catch((err: unknown) =>
        this.#logger.warn({ err }, 'could not re-read the retention policies; using the cached ones'),
      );
    }
    const now = this.#clock.nowMicros();
    let refused: RefusedPoint[] | undefined;
    let database: string | undefined;
    let policy = makePolicy(0);
    let oldest = Number.NEGATIVE_INFINITY;
    for (let index = 0; index < points.length; index++) {
      const p = points[index] as Point;
      if (p.database !== database) {
        database = p.database;
        policy = this.#cache.get(database) ?? (await this.policyOf(database));
        oldest = policy.duration === 0 ? Number.NEGATIVE_INFINITY : now - policy.duration;
      }
      if (p.time >= oldest) continue;
      refused ??= [];
      refused.push({
        index,
        code: 'ING_BEYOND_RETENTION',
        message: `point time ${iso(p.time)} is beyond the retention of database "${database}" (policy "${policy.name}", ${formatGoDuration(policy.duration)}): the oldest time it accepts now is ${iso(oldest)}`,
      });
    }
    return refused ?? NONE;
  }

  async #load(): Promise<void> {
    this.#cache = (await this.#readAll()) as Map<string, RetentionPolicy>;
    this.#loadedAt = this.#clock.nowMs();
  }

  async #reload(database: string): Promise<RetentionPolicy | undefined> {
    await this.refresh();
    return this.#cache.get(database);
  }

  /** A record this version cannot read keeps its data (INF) rather than losing it to a default. */
  async #readAll(): Promise<Map<string, RetentionPolicy>> {
    const policies = new Map<string, RetentionPolicy>();
    for (const [key, value] of await this.#store.listMeta(POLICY_KEY)) {
      const db = key.slice(POLICY_KEY.length);
      const policy = decode(value);
      if (policy === undefined) {
        this.#logger.warn({ database: db, record: value }, 'unreadable retention policy; keeping its data');
      }
      policies.set(db, policy ?? makePolicy(0));
    }
    return policies;
  }
}

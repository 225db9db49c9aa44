import type { EpochMicros, FieldType, FieldValue, Point } from '../core/point.js';

/** Aggregates the first query slice supports. `raw` returns every point. */
export type Aggregate = 'raw' | 'last' | 'first' | 'mean' | 'min' | 'max' | 'sum' | 'count';

/**
 * What the store is asked for: one field of one measurement, per series (tag set), over [from, to).
 * Syntax-independent: the REST API builds it from query parameters, InfluxQL (later) from text.
 */
export interface SeriesQuery {
  readonly database: string;
  readonly measurement: string;
  readonly field: string;
  /** Equality filters on tags; a series matches when every listed tag has exactly this value. */
  readonly tags: Readonly<Record<string, string>>;
  readonly from: EpochMicros;
  /** Exclusive. */
  readonly to: EpochMicros;
  readonly aggregate: Aggregate;
  /**
   * Bucket width in µs. Buckets are aligned to multiples of the width since the epoch (as InfluxDB's
   * GROUP BY time()). Undefined: one bucket spanning the whole range (for aggregates) or none (raw).
   */
  readonly interval?: number;
  /**
   * Shifts the buckets of `interval` (µs, 0 ≤ offset < interval): they start at multiples of the interval
   * plus the offset, as `GROUP BY time(interval, offset)`. Default 0.
   */
  readonly offset?: number;
  /**
   * Series must also match this predicate on their tags (evaluated once per series, never per point).
   * A tag a series lacks compares as the empty string, as in InfluxQL.
   */
  readonly tagPredicate?: TagPredicate;
  /**
   * Aggregates over groups of series instead of per series: series with the same values of these tag keys
   * (a missing tag counts as '') form one group, whose SeriesData carries exactly these keys as `tags`.
   * `[]` puts every series in one group. Undefined: one group per series (tags are the series' tags).
   * Groups are ordered by their tag values, in the order the keys are given. Ignored for raw.
   */
  readonly groupBy?: readonly string[];
  /** Upper bound on rows returned over all series; the store stops early and reports truncated. */
  readonly limit: number;
}

/**
 * A condition on a series' tags that a store can apply when it selects series: what an InfluxQL WHERE
 * clause says about tags, as data (it crosses to the store's thread). Regex sources are JavaScript
 * regular expressions, the same the InfluxQL executor evaluates.
 */
export type TagPredicate =
  | { readonly op: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly op: 'match' | 'nomatch'; readonly key: string; readonly source: string }
  | { readonly op: 'and' | 'or'; readonly left: TagPredicate; readonly right: TagPredicate };

/**
 * One rollup level: per series and bucket of `interval`, the count, sum, min, max, first and last (with
 * their times) of a float field, kept for `keep` after the bucket (both in µs).
 */
export interface RollupLevel {
  readonly interval: number;
  readonly keep: number;
}

/** What one maintainRollups() call did, per level (by interval). */
export interface RollupReport {
  readonly levels: ReadonlyArray<{
    readonly interval: number;
    /** Every bucket before this (µs) is rolled up, except dirty ones still waiting. */
    readonly watermark: EpochMicros;
    /** Buckets written (new or re-rolled after late writes). */
    readonly rolled: number;
    /** Buckets deleted because they are older than `keep`. */
    readonly pruned: number;
  }>;
}

export interface SeriesData {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly field: string;
  /**
   * Sorted ascending. For raw: point times. For bucketed aggregates: bucket start. For an aggregate with no
   * interval: `first`/`last`/`min`/`max` give the selected point's time, the others the range start.
   * Only buckets that hold data are present (sparse); fill() is the query layer's job.
   */
  readonly time: EpochMicros[];
  readonly value: FieldValue[];
}

export interface QueryResult {
  readonly series: SeriesData[];
  readonly truncated: boolean;
}

/**
 * A bucketed number aggregate's answer laid out dense (`queryGrid`): row r of `values` holds series r's
 * value in each bucket of the range, NaN where the bucket holds no point. The same content as query()'s
 * sparse series: the same series (those with at least one bucket, in the same order), the same bucket
 * starts (bucket k starts at `first + k * interval`, `first` being the bucket of the query's `from`) and
 * the same values; `truncated` as query() has it (past `limit` non-empty buckets there are no values).
 */
export interface BucketGrid {
  readonly series: ReadonlyArray<Omit<SeriesData, 'time' | 'value'>>;
  readonly first: EpochMicros;
  readonly interval: number;
  readonly buckets: number;
  /** series.length × buckets, row by row. */
  readonly values: Float64Array;
  readonly truncated: boolean;
}

/**
 * Series × buckets a grid may have: 32 MiB of values. A query whose range is longer (or that has no lower
 * time bound) gets a sparse answer from query().
 */
export const MAX_GRID_CELLS = 1 << 22;

export interface SeriesInfo {
  readonly database: string;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldType>>;
}

export interface SeriesFilter {
  readonly database?: string;
  readonly measurement?: string;
}

export interface DeadLetter {
  readonly time: EpochMicros;
  /** Where the message came from: `mqtt` or `http`. */
  readonly source: string;
  readonly clientId: string;
  readonly topic: string;
  /** The payload, cut to ingest.deadLetterPayloadLimit bytes. */
  readonly payload: Buffer;
  readonly payloadSize: number;
  readonly rule: string;
  readonly code: string;
  readonly message: string;
}

/** A dead letter as the store keeps it. */
export interface StoredDeadLetter extends DeadLetter {
  /**
   * Positive, increasing in insertion order, never reused: not after a delete, not after a restart. Letters
   * appended by one call get consecutive ids in the order given.
   */
  readonly id: number;
}

/**
 * Which dead letters to list. Every field given must match (AND); an absent field matches everything.
 * Invalid values are refused with QRY_BAD_PARAM.
 */
export interface DeadLetterFilter {
  /** time >= since. */
  readonly since?: EpochMicros;
  /** time < until. */
  readonly until?: EpochMicros;
  /**
   * An MQTT topic filter: an exact topic, or with `+` (exactly one level, possibly empty) and a final `#`
   * (the parent level and any below it: `a/#` matches `a`, `a/`, `a/b/c`). As in MQTT, a filter starting
   * with a wildcard does not match topics starting with `$` [MQTT-4.7.2-1]. `%` and `_` are plain characters.
   */
  readonly topic?: string;
  readonly code?: string;
  readonly rule?: string;
  readonly clientId?: string;
  readonly source?: string;
  /** Only these ids; an empty list matches nothing. */
  readonly ids?: readonly number[];
  /** Cursor: only ids > afterId. With order 'asc', pass the last id of a page to get the next one. */
  readonly afterId?: number;
  /** Cursor: only ids < beforeId. With order 'desc', pass the last id of a page to get the next one. */
  readonly beforeId?: number;
  /** Most letters returned; 0 returns none. */
  readonly limit: number;
  /** By id; default 'desc' (newest first, as the list API shows them). */
  readonly order?: 'asc' | 'desc';
}

/** The filter of countDeadLetters: what selects letters, without paging. */
export type DeadLetterCountFilter = Omit<DeadLetterFilter, 'limit' | 'order' | 'afterId' | 'beforeId'>;

/** Retention limits of pruneDeadLetters; each one given is enforced, absent ones are not. */
export interface DeadLetterLimits {
  /** Deletes letters with time < before. */
  readonly before?: EpochMicros;
  /** Keeps at most this many letters, deleting the oldest (lowest ids). */
  readonly maxCount?: number;
  /**
   * Keeps at most this many bytes, deleting the oldest (lowest ids); a letter counts its stored payload
   * bytes plus DEAD_LETTER_RECORD_OVERHEAD.
   */
  readonly maxBytes?: number;
}

/**
 * What a dead letter counts for pruneDeadLetters' maxBytes besides its stored payload: an estimate of its
 * other columns (id, times, source, client id, topic, rule, code, message) as stored. Fixed, so that a byte
 * cap does not depend on the driver, and so that a flood of empty payloads is still bounded by it.
 */
export const DEAD_LETTER_RECORD_OVERHEAD = 256;

export interface StoreStats {
  /** Distinct (database, measurement, tag set, field), as InfluxDB 2 counts series. */
  readonly series: number;
  /** Stored field values; a value replaced by a later write of the same point counts once. */
  readonly samples: number;
  readonly deadLetters: number;
}

/**
 * The time-series store. Drivers: memory (reference), duckdb (embedded default), postgres (later).
 * Every driver passes test/storage/store-contract.ts.
 *
 * `write` is atomic and durable: when its promise resolves, every point of the batch is committed and
 * survives a crash; when it rejects (AppError STO_*), none is. Same-point semantics follow InfluxDB: a point
 * with the same database, measurement, tag set and time as a stored one merges its fields over the stored
 * fields (a field written again is replaced, others are kept), so a re-delivered message never double-counts.
 * A field keeps the type of its first write (per database and measurement, as in InfluxDB: one field name has
 * one type across all series of a measurement); a point whose field has another type is refused with
 * STO_FIELD_TYPE_CONFLICT (and only that point: `write` returns the refused points, the rest commit).
 */
export interface TimeSeriesStore {
  start(): Promise<void>;
  /** Waits for in-flight writes, then closes. */
  stop(): Promise<void>;
  write(points: readonly Point[]): Promise<WriteOutcome>;
  query(q: SeriesQuery): Promise<QueryResult>;
  /**
   * Optional: query() of a bucketed aggregate with number results (float fields, or count) as a dense
   * grid, which a wide answer (a thousand series of a day in minutes) reaches the query layer in without a
   * row array per series. Undefined when the query is not of that kind or its grid would exceed
   * MAX_GRID_CELLS: ask query().
   */
  queryGrid?(q: SeriesQuery): Promise<BucketGrid | undefined>;
  listSeries(filter: SeriesFilter): Promise<readonly SeriesInfo[]>;
  listDatabases(): Promise<string[]>;

  /** Atomic and durable like `write`; the letters get consecutive new ids in the order given. */
  appendDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  listDeadLetters(filter: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  countDeadLetters(filter: DeadLetterCountFilter): Promise<number>;
  /** Deletes the letters with these ids (unknown ids are ignored); returns how many existed. */
  deleteDeadLetters(ids: readonly number[]): Promise<number>;
  /**
   * Retention, in one transaction: deletes letters older than `before`, then the oldest (lowest ids) beyond
   * `maxCount` and beyond `maxBytes`. Returns how many were deleted.
   */
  pruneDeadLetters(limits: DeadLetterLimits): Promise<number>;

  /** Small key/value table for server state (e.g. the bootstrap admin's password hash). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Removes a key; true when it existed. */
  deleteMeta(key: string): Promise<boolean>;
  /** Sets (or, for null, deletes) many keys in one transaction. */
  putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void>;
  /** Every key starting with `prefix`, with its value, sorted by key. */
  listMeta(prefix: string): Promise<Array<[string, string]>>;

  /**
   * Rolls up the closed buckets (bucket end ≤ now) of every rollup level since its watermark, re-rolls the
   * buckets that late writes touched, and deletes rollup buckets older than their level's `keep`. Queries
   * read rollups transparently (see docs/storage.md); a background job calls this.
   */
  maintainRollups(now: EpochMicros): Promise<RollupReport>;

  /**
   * Optional physical upkeep, run by the rollup job after maintainRollups: rewrites the samples of time
   * slices closed at `now` in series order (DuckDB: compaction.ts), so that one-series reads skip the
   * other series. Changes no stored value. Returns how many slices it rewrote.
   */
  compact?(now: EpochMicros): Promise<number>;

  /**
   * Writes a consistent copy of everything the store keeps to a new database file at `targetPath`, while
   * writes go on: every write committed before the call is in it, and no write half. The file must not
   * exist. STO_BACKUP_UNSUPPORTED from drivers that have no such file (memory, PostgreSQL: pg_dump);
   * STO_BACKUP_FAILED when the copy cannot be written (nothing is left at `targetPath` then).
   */
  backup(targetPath: string): Promise<StoreBackup>;

  /**
   * Retention: deletes every stored value of `database` with time < before, in one transaction, and
   * returns how many values (samples) it deleted. Series catalog entries stay, even with no values left
   * (InfluxDB, too, keeps a series until its shards are dropped); so do field types.
   */
  deleteBefore(database: string, before: EpochMicros): Promise<number>;
  /**
   * Per-database counts and times, sorted by database (every database with a catalog entry, including
   * those whose values retention deleted). Reads every stored time: callers cache it rather than calling
   * it per request of a hot path.
   */
  databaseStats(): Promise<DatabaseStats[]>;

  /** True when a write would be accepted now (for /readyz). */
  isWritable(): boolean;
  stats(): StoreStats;
}

/** What `backup` wrote. */
export interface StoreBackup {
  /** Size of the copy. */
  readonly bytes: number;
}

/** One database's share of the store (GET /api/v1/databases, the sensorhub_database_* gauges). */
export interface DatabaseStats {
  readonly database: string;
  /** Catalog entries (measurement, tag set, field), as StoreStats counts series. */
  readonly series: number;
  /** Stored field values. */
  readonly samples: number;
  /** Time of its oldest and newest stored value; null when it holds none. */
  readonly oldest: EpochMicros | null;
  readonly newest: EpochMicros | null;
  /**
   * Bytes on disk, estimated: the store's data size shared out by sample count (values of different
   * databases live in one table). Absent when the driver cannot tell (memory).
   */
  readonly bytes?: number;
}

export interface RefusedPoint {
  readonly index: number;
  /** ING_BEYOND_RETENTION: refused before the store by the retention check (src/storage/retention.ts). */
  readonly code: 'STO_FIELD_TYPE_CONFLICT' | 'ING_BEYOND_RETENTION';
  readonly message: string;
}

export interface WriteOutcome {
  readonly written: number;
  readonly refused: readonly RefusedPoint[];
}

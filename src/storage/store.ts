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
  /** Upper bound on rows returned over all series; the store stops early and reports truncated. */
  readonly limit: number;
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

export interface DeadLetterFilter {
  readonly since?: EpochMicros;
  readonly topic?: string;
  readonly code?: string;
  readonly limit: number;
}

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
  listSeries(filter: SeriesFilter): Promise<SeriesInfo[]>;
  listDatabases(): Promise<string[]>;

  appendDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]>;

  /** Small key/value table for server state (e.g. the bootstrap admin's password hash). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Removes a key; true when it existed. */
  deleteMeta(key: string): Promise<boolean>;
  /** Sets (or, for null, deletes) many keys in one transaction. */
  putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void>;
  /** Every key starting with `prefix`, with its value, sorted by key. */
  listMeta(prefix: string): Promise<Array<[string, string]>>;

  /** True when a write would be accepted now (for /readyz). */
  isWritable(): boolean;
  stats(): StoreStats;
}

export interface RefusedPoint {
  readonly index: number;
  readonly code: 'STO_FIELD_TYPE_CONFLICT';
  readonly message: string;
}

export interface WriteOutcome {
  readonly written: number;
  readonly refused: readonly RefusedPoint[];
}

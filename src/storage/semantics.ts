import { AppError } from '../core/errors.js';
import type { FieldType, Point } from '../core/point.js';
import type { Aggregate, SeriesQuery } from './store.js';

/**
 * Rules every driver applies the same way, kept in one place so that the memory reference and the DuckDB
 * driver cannot drift apart on them.
 */

/** How long a failed write keeps a store not ready (/readyz 503) unless a later write succeeds. */
export const WRITE_FAILURE_NOT_READY_MS = 10_000;

export const AGGREGATE_NAMES: readonly Aggregate[] = [
  'raw',
  'last',
  'first',
  'mean',
  'min',
  'max',
  'sum',
  'count',
];
const AGGREGATES: ReadonlySet<Aggregate> = new Set(AGGREGATE_NAMES);
const NUMERIC_AGGREGATES: ReadonlySet<Aggregate> = new Set(['mean', 'min', 'max', 'sum']);

/** Throws QRY_BAD_PARAM when the query cannot be answered as asked, whatever the data. */
export function validateQuery(q: SeriesQuery): void {
  if (!AGGREGATES.has(q.aggregate)) badParam(`unknown aggregate "${String(q.aggregate)}"`);
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) {
    badParam('from and to must be integer epoch microseconds');
  }
  if (q.interval !== undefined && (!Number.isSafeInteger(q.interval) || q.interval <= 0)) {
    badParam('interval must be a positive integer number of microseconds');
  }
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) badParam('limit must be a positive integer');
}

/** mean/sum/min/max need numbers; count, first, last and raw work on every type. */
export function validateAggregateType(q: SeriesQuery, type: FieldType): void {
  if (type !== 'float' && NUMERIC_AGGREGATES.has(q.aggregate)) {
    badParam(`${q.aggregate}() needs a numeric field; "${q.field}" is ${type}`);
  }
}

/**
 * Refuses a batch whose times a driver cannot store exactly. This is a caller bug rather than a store
 * failure, so it rejects the whole write without touching storage.
 */
export function validatePointTimes(points: readonly Point[]): void {
  for (let i = 0; i < points.length; i++) {
    const time = (points[i] as Point).time;
    if (!Number.isSafeInteger(time)) {
      throw new AppError('STO_WRITE_FAILED', `point ${i} has a time that is not integer microseconds`, {
        details: { index: i, time },
      });
    }
  }
}

/**
 * An unambiguous identity for (database, measurement, tag set). core's seriesKey() does not escape `,` or
 * `=`, so {a: "1,b=2"} and {a: "1", b: "2"} share a key there; length prefixes cannot collide.
 */
export function seriesIdentity(
  database: string,
  measurement: string,
  tags: Readonly<Record<string, string>>,
): string {
  let id = `${database.length}:${database}${measurement.length}:${measurement}`;
  const keys = Object.keys(tags);
  // Sources usually build tags in the same order every time; checking is cheaper than sorting.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i] as string) < (keys[i - 1] as string)) {
      keys.sort();
      break;
    }
  }
  for (const k of keys) {
    const v = tags[k] as string;
    id += `${k.length}:${k}${v.length}:${v}`;
  }
  return id;
}

/** Field types are per measurement, as in InfluxDB: one name means one type across all its series. */
export function fieldTypeIdentity(database: string, measurement: string, field: string): string {
  return `${database.length}:${database}${measurement.length}:${measurement}${field}`;
}

export function tagsMatch(
  tags: Readonly<Record<string, string>>,
  filter: Readonly<Record<string, string>>,
): boolean {
  for (const k in filter) {
    if (tags[k] !== filter[k]) return false;
  }
  return true;
}

export function sortedTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) out[k] = tags[k] as string;
  return out;
}

export function typeConflictMessage(field: string, stored: FieldType, got: FieldType): string {
  return `field "${field}" is ${stored}; this point has it as ${got}`;
}

/** Bucket start, aligned to multiples of the interval since the epoch (floor, also for negative times). */
export function bucketStart(time: number, interval: number): number {
  return time - (((time % interval) + interval) % interval);
}

function badParam(message: string): never {
  throw new AppError('QRY_BAD_PARAM', message);
}

/** Code-unit order, so that both drivers (and every locale) sort series the same way. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

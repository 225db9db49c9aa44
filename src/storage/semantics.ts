import { AppError } from '../core/errors.js';
import type { FieldType, Point } from '../core/point.js';
import type { Aggregate, SeriesQuery, TagPredicate } from './store.js';

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
  if (q.offset !== undefined) {
    if (q.interval === undefined) badParam('offset needs an interval');
    if (!Number.isSafeInteger(q.offset) || q.offset < 0 || q.offset >= q.interval) {
      badParam('offset must be an integer number of microseconds, 0 ≤ offset < interval');
    }
  }
  if (q.groupBy !== undefined && !q.groupBy.every((k) => typeof k === 'string')) {
    badParam('groupBy must list tag keys');
  }
  if (q.tagPredicate !== undefined) validateTagPredicate(q.tagPredicate);
}

function validateTagPredicate(p: TagPredicate): void {
  switch (p.op) {
    case 'and':
    case 'or':
      validateTagPredicate(p.left);
      validateTagPredicate(p.right);
      return;
    case 'eq':
    case 'ne':
      if (typeof p.value !== 'string') badParam(`tag predicate on "${p.key}" needs a string value`);
      return;
    case 'match':
    case 'nomatch':
      tagRegex(p.source);
      return;
    default:
      badParam(`unknown tag predicate "${String((p as { op: unknown }).op)}"`);
  }
}

const tagRegexes = new Map<string, RegExp>();
function tagRegex(source: string): RegExp {
  let re = tagRegexes.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source);
    } catch (err) {
      badParam(`invalid regular expression /${source}/: ${(err as Error).message}`);
    }
    if (tagRegexes.size > 1000) tagRegexes.clear();
    tagRegexes.set(source, re);
  }
  return re;
}

/** A missing tag is the empty string, as InfluxQL compares it. */
export function tagPredicateMatches(tags: Readonly<Record<string, string>>, p: TagPredicate): boolean {
  switch (p.op) {
    case 'and':
      return tagPredicateMatches(tags, p.left) && tagPredicateMatches(tags, p.right);
    case 'or':
      return tagPredicateMatches(tags, p.left) || tagPredicateMatches(tags, p.right);
    case 'eq':
      return (tags[p.key] ?? '') === p.value;
    case 'ne':
      return (tags[p.key] ?? '') !== p.value;
    case 'match':
      return tagRegex(p.source).test(tags[p.key] ?? '');
    case 'nomatch':
      return !tagRegex(p.source).test(tags[p.key] ?? '');
  }
}

/** The series a query reads: its equality filters and its tag predicate. */
export function seriesSelected(tags: Readonly<Record<string, string>>, q: SeriesQuery): boolean {
  return (
    tagsMatch(tags, q.tags) && (q.tagPredicate === undefined || tagPredicateMatches(tags, q.tagPredicate))
  );
}

/** Series a query aggregates together, and the tags their SeriesData carries. */
export interface SeriesGroup<S> {
  readonly tags: Record<string, string>;
  readonly members: S[];
}

/**
 * Groups series as `q.groupBy` says (see SeriesQuery), in result order. `series` must already be sorted
 * by series key: without groupBy each one is its own group, in that order.
 */
export function groupSeries<S extends { readonly tags: Readonly<Record<string, string>> }>(
  series: readonly S[],
  groupBy: readonly string[] | undefined,
): SeriesGroup<S>[] {
  if (groupBy === undefined) return series.map((s) => ({ tags: { ...s.tags }, members: [s] }));
  const groups = new Map<string, SeriesGroup<S>>();
  for (const s of series) {
    const values = groupBy.map((k) => s.tags[k] ?? '');
    const id = JSON.stringify(values);
    let g = groups.get(id);
    if (g === undefined) {
      const tags: Record<string, string> = {};
      groupBy.forEach((k, i) => {
        tags[k] = values[i] as string;
      });
      g = { tags, members: [] };
      groups.set(id, g);
    }
    g.members.push(s);
  }
  return [...groups.values()].sort((a, b) => {
    for (const k of groupBy) {
      const c = compareStrings(a.tags[k] as string, b.tags[k] as string);
      if (c !== 0) return c;
    }
    return 0;
  });
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

/**
 * Bucket start, aligned to multiples of the interval since the epoch plus the offset (floor, also for
 * negative times).
 */
export function bucketStart(time: number, interval: number, offset = 0): number {
  const t = time - offset;
  return time - (((t % interval) + interval) % interval);
}

function badParam(message: string): never {
  throw new AppError('QRY_BAD_PARAM', message);
}

/** Code-unit order, so that both drivers (and every locale) sort series the same way. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The series ids of query groups in one list and, alongside, the position of each one's group: how the
 * SQL drivers hand a query's selection to the database (two arrays, unnested together).
 */
export function memberPositions(
  groups: ReadonlyArray<{ readonly members: ReadonlyArray<{ readonly id: number }> }>,
): { ids: number[]; ords: number[] } {
  const ids: number[] = [];
  const ords: number[] = [];
  groups.forEach((g, ord) => {
    for (const s of g.members) {
      ids.push(s.id);
      ords.push(ord);
    }
  });
  return { ids, ords };
}

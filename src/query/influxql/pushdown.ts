import type { FieldType } from '../../core/point.js';
import type { Aggregate, SeriesQuery, TagPredicate, TimeSeriesStore } from '../../storage/store.js';
import { type BucketSource, bucketedValues, wholeRangeValues } from './aggregate.js';
import type { Expr, FillOption } from './ast.js';
import type { SeriesValues } from './column-rows.js';
import { queryError, type Value } from './evaluate.js';
import type { Reduced } from './functions.js';

/**
 * Aggregate pushdown: when every reducer of a SELECT is one the store computes (count, sum, mean, min,
 * max, first, last of one field) and the WHERE clause (time aside) only says things about tags, the store
 * is asked for one value per group and bucket instead of every point, and may read them from rollups.
 * Fill, math, transforms and shaping then run on those values exactly as on values reduced here
 * (aggregate.ts): the two paths differ only in who reduces.
 */

type Call = Expr & { kind: 'call' };
type Pushed = Exclude<Aggregate, 'raw'>;

const NUMERIC: ReadonlySet<string> = new Set(['sum', 'mean', 'min', 'max']);
const ANY_NUMBER_OR_BOOLEAN: ReadonlySet<string> = new Set(['first', 'last']);

/** The store aggregate a reducer call maps to, or undefined when it must be reduced here. */
function pushedCall(
  e: Call,
  fields: ReadonlyMap<string, FieldType>,
): { aggregate: Pushed; field: string } | undefined {
  const arg = e.args[0];
  if (e.args.length !== 1 || arg?.kind !== 'ref' || arg.cast === 'tag') return undefined;
  const type = fields.get(arg.name);
  if (type === undefined) return undefined;
  if (e.name === 'count') return { aggregate: 'count', field: arg.name };
  if (NUMERIC.has(e.name) && type === 'float') return { aggregate: e.name as Pushed, field: arg.name };
  // Strings stay on the JS path: their tie order between series is JavaScript's, not a collation's.
  if (ANY_NUMBER_OR_BOOLEAN.has(e.name) && type !== 'string')
    return { aggregate: e.name as Pushed, field: arg.name };
  return undefined;
}

/** Every reducer call of the columns, if all of them can be pushed down; else undefined. */
export function pushableCalls(
  exprs: readonly Expr[],
  fields: ReadonlyMap<string, FieldType>,
  isReducer: (name: string) => boolean,
): Map<string, { aggregate: Pushed; field: string }> | undefined {
  const out = new Map<string, { aggregate: Pushed; field: string }>();
  let ok = true;
  const visit = (e: Expr): void => {
    if (!ok) return;
    switch (e.kind) {
      case 'call':
        if (isReducer(e.name)) {
          const pushed = pushedCall(e, fields);
          if (pushed === undefined) ok = false;
          else out.set(callKey(e), pushed);
          return;
        }
        for (const a of e.args) visit(a);
        return;
      case 'binary':
        visit(e.left);
        visit(e.right);
        return;
      case 'paren':
        visit(e.expr);
        return;
      case 'ref':
        ok = false;
        return;
      default:
        return;
    }
  };
  for (const e of exprs) visit(e);
  return ok && out.size > 0 ? out : undefined;
}

function callKey(e: Call): string {
  const arg = e.args[0] as Expr & { kind: 'ref' };
  return `${e.name}(${arg.name})`;
}

/**
 * The WHERE clause (time bounds removed) as a tag predicate, or undefined when it says something the
 * store cannot decide per series (a field, another operator, a non-string operand). `null`: no condition.
 */
export function tagPredicateOf(
  cond: Expr | undefined,
  fields: ReadonlyMap<string, FieldType>,
): TagPredicate | null | undefined {
  if (cond === undefined) return null;
  const convert = (e: Expr): TagPredicate | undefined => {
    if (e.kind === 'paren') return convert(e.expr);
    if (e.kind !== 'binary') return undefined;
    if (e.op === 'and' || e.op === 'or') {
      const left = convert(e.left);
      const right = convert(e.right);
      return left && right ? { op: e.op, left, right } : undefined;
    }
    const ref = e.left;
    // A name that is a field is a field predicate, unless cast to a tag; other names are tags (a missing
    // one compares as ''), as the row-by-row evaluation reads them.
    if (ref.kind !== 'ref' || ref.cast === 'field' || (ref.cast !== 'tag' && fields.has(ref.name)))
      return undefined;
    if (ref.name.toLowerCase() === 'time') return undefined;
    if ((e.op === '=' || e.op === '!=' || e.op === '<>') && e.right.kind === 'string')
      return { op: e.op === '=' ? 'eq' : 'ne', key: ref.name, value: e.right.value };
    if ((e.op === '=~' || e.op === '!~') && e.right.kind === 'regex')
      return { op: e.op === '=~' ? 'match' : 'nomatch', key: ref.name, source: e.right.source };
    return undefined;
  };
  return convert(cond);
}

/**
 * One pushed call's answer for one group, as the store returned it: sparse rows (bucket times ascending),
 * or the group's row of a dense grid (bucket k starts at first + k × interval; NaN: no point).
 */
type CallValues =
  | { readonly time: readonly number[]; readonly value: readonly Value[] }
  | { readonly first: number; readonly interval: number; readonly row: Float64Array };

/** What the store returned for one group, per pushed call. */
interface GroupValues {
  readonly tags: Record<string, string>;
  readonly calls: Map<string, CallValues>;
}

/**
 * The store's answers laid over the query's buckets. Each call's rows are matched to bucket indexes once,
 * by walking both in time order, so a bucket lookup is an array read: with 1,000 series of 1,440 buckets
 * a Map per series and a key string per lookup cost more than the store's query. A grid row whose buckets
 * are the query's is handed to numbers() as it is.
 */
class PushedBuckets implements BucketSource {
  readonly starts: readonly number[];
  /** #rowsOf's answers, made when first asked (numbers() of a grid row needs none). */
  readonly #rows = new Map<string, Int32Array>();
  readonly #whole: boolean;
  readonly #values: ReadonlyMap<string, CallValues>;
  /** callKey per call node: computed once, not per bucket. */
  readonly #keys = new WeakMap<Call, string>();

  /**
   * `whole`: one bucket spanning the range, holding the store's one row (whose time is a selector's point
   * time, not the bucket's start); otherwise rows match the bucket starting at their time.
   */
  constructor(starts: readonly number[], values: ReadonlyMap<string, CallValues>, whole: boolean) {
    this.starts = starts;
    this.#values = values;
    this.#whole = whole;
  }

  /** Per call key: per bucket index, the row of the store's answer (or the grid cell), or -1. */
  #rowsOf(key: string): Int32Array | undefined {
    const known = this.#rows.get(key);
    if (known !== undefined) return known;
    const v = this.#values.get(key);
    if (v === undefined) return undefined;
    const { starts } = this;
    const rows = new Int32Array(starts.length).fill(-1);
    if ('row' in v) {
      for (let i = 0; i < starts.length; i++) {
        const k = ((starts[i] as number) - v.first) / v.interval;
        if (Number.isInteger(k) && k >= 0 && k < v.row.length && !Number.isNaN(v.row[k])) rows[i] = k;
      }
    } else if (this.#whole) {
      if (v.time.length > 0) rows[0] = 0;
    } else {
      let j = 0;
      for (let i = 0; i < starts.length && j < v.time.length; i++) {
        const start = starts[i] as number;
        while (j < v.time.length && (v.time[j] as number) < start) j++;
        if (v.time[j] === start) rows[i] = j;
      }
    }
    this.#rows.set(key, rows);
    return rows;
  }

  isEmpty(i: number): boolean {
    for (const key of this.#values.keys())
      if (((this.#rowsOf(key) as Int32Array)[i] as number) >= 0) return false;
    return true;
  }

  reduced(call: Call, i: number): Reduced | undefined {
    const key = this.#keyOf(call);
    const j = this.#rowsOf(key)?.[i] ?? -1;
    if (j < 0) return undefined;
    const v = this.#values.get(key) as CallValues;
    if ('row' in v) return { value: v.row[j] as number, time: this.starts[i] as number };
    return { value: v.value[j] as Value, time: v.time[j] as number };
  }

  numbers(call: Call): Float64Array | undefined {
    const key = this.#keyOf(call);
    const v = this.#values.get(key);
    const n = this.starts.length;
    if (v !== undefined && 'row' in v) {
      const k = ((this.starts[0] as number) - v.first) / v.interval;
      // The grid's buckets are the query's (the usual case): its row, copied (fill writes into it).
      if (n > 0 && k === 0 && v.row.length === n) return v.row.slice();
    }
    const out = new Float64Array(n).fill(Number.NaN);
    const rows = this.#rowsOf(key);
    if (rows === undefined || v === undefined) return out;
    for (let i = 0; i < rows.length; i++) {
      const j = rows[i] as number;
      if (j < 0) continue;
      const x = 'row' in v ? v.row[j] : v.value[j];
      if (typeof x !== 'number') return undefined;
      out[i] = x;
    }
    return out;
  }

  #keyOf(call: Call): string {
    let key = this.#keys.get(call);
    if (key === undefined) {
      key = callKey(call);
      this.#keys.set(call, key);
    }
    return key;
  }
}

export interface PushdownRequest {
  readonly store: TimeSeriesStore;
  readonly database: string;
  readonly measurement: string;
  readonly calls: ReadonlyMap<string, { aggregate: Pushed; field: string }>;
  readonly predicate: TagPredicate | null;
  readonly groupKeys: readonly string[];
  /** Inclusive bounds. */
  readonly min: number;
  readonly max: number;
  readonly time: { readonly interval: number; readonly offset: number } | undefined;
  readonly maxPoints: number;
}

/**
 * One store query per pushed call (in parallel), gathered per group. Bucketed calls ask for a dense grid
 * first (stores that have queryGrid), then for sparse rows.
 */
export async function fetchPushed(r: PushdownRequest): Promise<GroupValues[]> {
  const groups = new Map<string, GroupValues>();
  const group = (tags: Readonly<Record<string, string>>): GroupValues => {
    const id = JSON.stringify(r.groupKeys.map((t) => tags[t] ?? ''));
    let g = groups.get(id);
    if (g === undefined) {
      const own: Record<string, string> = {};
      for (const t of r.groupKeys) own[t] = tags[t] ?? '';
      g = { tags: own, calls: new Map() };
      groups.set(id, g);
    }
    return g;
  };
  const tooMany = () =>
    queryError(`the query makes more than query.maxPoints (${r.maxPoints}) buckets; narrow the time range`);
  const entries = [...r.calls];
  const results = await Promise.all(
    entries.map(async ([, c]) => {
      const q: SeriesQuery = {
        database: r.database,
        measurement: r.measurement,
        field: c.field,
        tags: {},
        ...(r.predicate === null ? {} : { tagPredicate: r.predicate }),
        groupBy: r.groupKeys,
        from: r.min,
        to: r.max + 1,
        aggregate: c.aggregate,
        ...(r.time === undefined
          ? {}
          : { interval: r.time.interval, ...(r.time.offset === 0 ? {} : { offset: r.time.offset }) }),
        limit: r.maxPoints,
      };
      const grid = r.time === undefined ? undefined : await r.store.queryGrid?.(q);
      return grid ?? r.store.query(q);
    }),
  );
  results.forEach((result, k) => {
    if (result.truncated) throw tooMany();
    const key = (entries[k] as [string, unknown])[0];
    if ('values' in result) {
      const { first, interval, buckets, values } = result;
      result.series.forEach((s, i) => {
        const row = values.subarray(i * buckets, (i + 1) * buckets);
        group(s.tags).calls.set(key, { first, interval, row });
      });
      return;
    }
    for (const s of result.series) group(s.tags).calls.set(key, { time: s.time, value: s.value as Value[] });
  });
  return [...groups.values()];
}

/** The first bucket's start when the range has no lower bound: the earliest any group reported. */
export function earliestBucket(groups: readonly GroupValues[]): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const g of groups)
    for (const v of g.calls.values()) {
      const t = 'row' in v ? firstCell(v) : v.time[0];
      if (t !== undefined && t < earliest) earliest = t;
    }
  return earliest;
}

/** The start of a grid row's first non-empty bucket. */
function firstCell(v: { readonly first: number; readonly interval: number; readonly row: Float64Array }) {
  for (let k = 0; k < v.row.length; k++) if (!Number.isNaN(v.row[k])) return v.first + k * v.interval;
  return undefined;
}

/** The buckets of a GROUP BY time query: their starts (shared by every group) and width. */
export interface Buckets {
  readonly starts: readonly number[];
  readonly interval: number;
}

/**
 * One group's rows, as aggregate.ts shapes them from values reduced in JS; without buckets, the one row of
 * the range starting at `from`.
 */
export function pushedRows(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  group: GroupValues,
  buckets: Buckets | undefined,
  from: number,
  fill: FillOption,
): SeriesValues {
  if (buckets === undefined) return wholeRangeValues(columns, new PushedBuckets([from], group.calls, true));
  return bucketedValues(
    columns,
    new PushedBuckets(buckets.starts, group.calls, false),
    fill,
    buckets.interval,
  );
}

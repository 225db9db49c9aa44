import type { TimeSeriesStore } from '../../storage/store.js';
import { bucketedRows, bucketStarts, numberArg, type Row, wholeRangeRow } from './aggregate.js';
import type { Dimension, Expr, SelectStatement } from './ast.js';
import { ColumnRows, type SeriesValues } from './column-rows.js';
import {
  applyBinary,
  evalScalar,
  type Lookup,
  matches,
  queryError,
  regexOf,
  splitTime,
  type Value,
} from './evaluate.js';
import { type Column, isReducer, MATH, mathFn, TRANSFORMS, transform } from './functions.js';
import { type Measurement, resolveSources } from './measurements.js';
import { earliestBucket, fetchPushed, pushableCalls, pushedRows, tagPredicateOf } from './pushdown.js';

export interface SelectContext {
  readonly store: TimeSeriesStore;
  /** The `db` parameter; a source may name its own. */
  readonly database: string | undefined;
  readonly nowMicros: number;
  readonly maxPoints: number;
  /** false: reduce every aggregate here from raw points, never in the store (for tests comparing the two). */
  readonly pushdown?: boolean;
}

/** One result series: the first column is `time` (µs); the response layer formats it. */
export interface ResultSeries {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  /** Rows; GROUP BY time gives them as columns (ColumnRows), rowsOf() makes arrays of them. */
  readonly values: SeriesValues;
}

/** Stored data before 1970 and after 2100 is not sensor data; unbounded ranges stop there. */
const MIN_TIME = 0;
const MAX_TIME = 4_102_444_800_000_000;

/** The field and tag names `*` expands to: of every measurement the statement reads. */
interface Universe {
  readonly fields: ReadonlySet<string>;
  readonly tags: ReadonlySet<string>;
}

/** SELECT: fetch the fields it needs per series, filter, group, aggregate, fill, transform, shape. */
export async function executeSelect(stmt: SelectStatement, ctx: SelectContext): Promise<ResultSeries[]> {
  if (stmt.into) throw queryError('SELECT … INTO is not supported');
  const measurements = await resolveSources(stmt.sources, ctx);
  const universe: Universe = {
    fields: new Set(measurements.flatMap((m) => [...m.fields.keys()])),
    tags: new Set(measurements.flatMap((m) => m.tagKeys)),
  };
  const out: ResultSeries[] = [];
  for (const m of measurements) out.push(...(await selectFrom(stmt, m, ctx, universe)));
  // SLIMIT/SOFFSET count series in ascending order; ORDER BY time DESC then lists them in reverse (InfluxDB).
  const soffset = stmt.soffset ?? 0;
  const page = out.slice(soffset, stmt.slimit === undefined ? undefined : soffset + stmt.slimit);
  return stmt.descending ? page.reverse() : page;
}

/** The column name InfluxDB gives an expression. */
function nameOf(e: Expr): string {
  switch (e.kind) {
    case 'ref':
      return e.name;
    case 'call':
      return e.name;
    case 'paren':
      return nameOf(e.expr);
    case 'binary':
      return [nameOf(e.left), nameOf(e.right)].filter((n) => n !== '').join('_');
    default:
      return '';
  }
}

function hasReducer(e: Expr): boolean {
  switch (e.kind) {
    case 'call':
      return isReducer(e.name) || e.args.some(hasReducer);
    case 'binary':
      return hasReducer(e.left) || hasReducer(e.right);
    case 'paren':
      return hasReducer(e.expr);
    default:
      return false;
  }
}

function refsOf(e: Expr, out: Set<string>): Set<string> {
  switch (e.kind) {
    case 'ref':
      if (e.name.toLowerCase() !== 'time') out.add(e.name);
      break;
    case 'call':
      for (const a of e.args) refsOf(a, out);
      break;
    case 'binary':
      refsOf(e.left, out);
      refsOf(e.right, out);
      break;
    case 'paren':
      refsOf(e.expr, out);
      break;
    default:
      break;
  }
  return out;
}

/** `mean(*)` → one `mean_<field>` column per numeric field (and `count(*)` per field of any type). */
function expandFields(
  stmt: SelectStatement,
  m: Measurement,
  groupTags: ReadonlySet<string>,
  universe: Universe,
): Array<{ expr: Expr; name: string }> {
  const out: Array<{ expr: Expr; name: string }> = [];
  for (const f of stmt.fields) {
    const e = f.expr;
    if (e.kind === 'wildcard' || e.kind === 'regex') {
      // Over several measurements, `*` stands for the fields and tags of them all (InfluxDB); a regex
      // picks fields by name.
      const names =
        e.kind === 'wildcard'
          ? [...universe.fields, ...[...universe.tags].filter((t) => !groupTags.has(t))]
          : [...universe.fields].filter((n) => regexOf(e.source).test(n));
      for (const n of [...new Set(names)].sort()) out.push({ expr: { kind: 'ref', name: n }, name: n });
      continue;
    }
    if (e.kind === 'call' && e.args[0]?.kind === 'wildcard') {
      const numeric = e.name !== 'count' && e.name !== 'first' && e.name !== 'last' && e.name !== 'mode';
      for (const [field, type] of [...m.fields].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (numeric && type !== 'float') continue;
        out.push({
          expr: { ...e, args: [{ kind: 'ref', name: field }, ...e.args.slice(1)] },
          name: `${f.alias ?? e.name}_${field}`,
        });
      }
      continue;
    }
    out.push({ expr: e, name: f.alias ?? nameOf(e) });
  }
  // Duplicate names get _1, _2, … as in InfluxDB.
  const seen = new Map<string, number>();
  return out.map((c) => {
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    return n === 0 ? c : { ...c, name: `${c.name}_${n}` };
  });
}

function groupKeysOf(dimensions: readonly Dimension[], m: Measurement): string[] {
  const keys = new Set<string>();
  for (const d of dimensions) {
    if (d.kind === 'tag') keys.add(d.name);
    else if (d.kind === 'wildcard') for (const k of m.tagKeys) keys.add(k);
    else if (d.kind === 'regex') for (const k of m.tagKeys) if (regexOf(d.source).test(k)) keys.add(k);
  }
  return [...keys].sort();
}

/** Simple `tag = 'v'` conditions in top-level ANDs: pushed down to the store as series filters. */
function tagEqualities(cond: Expr | undefined, tagKeys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (e: Expr): void => {
    if (e.kind === 'paren') {
      visit(e.expr);
      return;
    }
    if (e.kind !== 'binary') return;
    if (e.op === 'and') {
      visit(e.left);
      visit(e.right);
      return;
    }
    if (
      e.op === '=' &&
      e.left.kind === 'ref' &&
      e.left.cast !== 'field' &&
      tagKeys.includes(e.left.name) &&
      e.right.kind === 'string' &&
      e.right.value !== ''
    )
      out[e.left.name] = e.right.value;
  };
  if (cond) visit(cond);
  return out;
}

async function selectFrom(
  stmt: SelectStatement,
  m: Measurement,
  ctx: SelectContext,
  universe: Universe,
): Promise<ResultSeries[]> {
  const groupKeys = groupKeysOf(stmt.dimensions, m);
  const columns = expandFields(stmt, m, new Set(groupKeys), universe);
  if (columns.length === 0) return [];
  const timeDim = stmt.dimensions.find((d) => d.kind === 'time');
  const aggregate = columns.some((c) => hasReducer(c.expr));
  if (aggregate) {
    for (const c of columns) {
      if (!hasReducer(c.expr) && refsOf(c.expr, new Set()).size > 0)
        throw queryError('mixing aggregate and non-aggregate queries is not supported');
    }
  } else if (timeDim) {
    throw queryError('GROUP BY requires at least one aggregate function');
  }

  const { range, rest } = splitTime(stmt.condition, ctx.nowMicros);
  const max = range.max ?? (timeDim ? ctx.nowMicros : MAX_TIME);
  const min = range.min ?? MIN_TIME;
  if (max < min) return [];

  // What to fetch: the fields the columns and the condition use (tags come with the series).
  const wanted = new Set<string>();
  for (const c of columns) refsOf(c.expr, wanted);
  if (rest) refsOf(rest, wanted);
  const fieldNames = [...wanted].filter((n) => m.fields.has(n));
  if (fieldNames.length === 0) return [];

  if (aggregate && ctx.pushdown !== false) {
    const calls = pushableCalls(
      columns.map((c) => c.expr),
      m.fields,
      isReducer,
    );
    const predicate = calls && tagPredicateOf(rest, m.fields);
    if (calls !== undefined && predicate !== undefined) {
      const time =
        timeDim?.kind === 'time'
          ? {
              interval: timeDim.intervalMicros,
              offset:
                ((timeDim.offsetMicros % timeDim.intervalMicros) + timeDim.intervalMicros) %
                timeDim.intervalMicros,
            }
          : undefined;
      const groups = await fetchPushed({
        store: ctx.store,
        database: m.database,
        measurement: m.name,
        calls,
        predicate,
        groupKeys,
        min,
        max,
        time,
        maxPoints: ctx.maxPoints,
      });
      const from = time === undefined ? (range.min ?? 0) : (range.min ?? earliestBucket(groups));
      const fill = stmt.fill ?? { kind: 'null' };
      // One array of bucket starts for all groups (the JSON writer formats each start once).
      const buckets =
        time === undefined || groups.length === 0
          ? undefined
          : {
              starts: bucketStarts(from, max, time.interval, time.offset, ctx.maxPoints),
              interval: time.interval,
            };
      const out: ResultSeries[] = [];
      for (const g of groups.sort((a, b) => compareTags(a.tags, b.tags, groupKeys))) {
        const values = pushedRows(columns, g, buckets, from, fill);
        pushSeries(out, stmt, m, groupKeys, g.tags, columns, values);
      }
      return out;
    }
  }

  const filters = tagEqualities(rest, m.tagKeys);
  const bySeries = new Map<
    string,
    { tags: Readonly<Record<string, string>>; rows: Map<number, Record<string, Value>> }
  >();
  let fetched = 0;
  for (const field of fieldNames) {
    const result = await ctx.store.query({
      database: m.database,
      measurement: m.name,
      field,
      tags: filters,
      from: min,
      to: max + 1,
      aggregate: 'raw',
      limit: ctx.maxPoints,
    });
    if (result.truncated)
      throw queryError(
        `the query reads more than query.maxPoints (${ctx.maxPoints}) values; narrow the time range`,
      );
    for (const s of result.series) {
      const key = JSON.stringify(Object.entries(s.tags).sort());
      let entry = bySeries.get(key);
      if (!entry) {
        entry = { tags: s.tags, rows: new Map() };
        bySeries.set(key, entry);
      }
      for (let i = 0; i < s.time.length; i++) {
        const t = s.time[i] as number;
        let row = entry.rows.get(t);
        if (!row) {
          row = {};
          entry.rows.set(t, row);
        }
        row[field] = s.value[i] as Value;
      }
      fetched += s.time.length;
      if (fetched > ctx.maxPoints)
        throw queryError(
          `the query reads more than query.maxPoints (${ctx.maxPoints}) values; narrow the time range`,
        );
    }
  }

  // Rows per group, filtered by the condition.
  const groups = new Map<string, { tags: Record<string, string>; rows: Row[] }>();
  for (const { tags, rows } of bySeries.values()) {
    const groupTags: Record<string, string> = {};
    for (const k of groupKeys) groupTags[k] = tags[k] ?? '';
    const gk = JSON.stringify(groupKeys.map((k) => groupTags[k]));
    let g = groups.get(gk);
    if (!g) {
      g = { tags: groupTags, rows: [] };
      groups.set(gk, g);
    }
    for (const [time, fields] of rows) {
      const row: Row = { time, fields, tags };
      if (rest && !matches(rest, lookupOf(row, m))) continue;
      g.rows.push(row);
    }
  }

  const fill = stmt.fill ?? { kind: 'null' };
  let earliest = Number.POSITIVE_INFINITY;
  if (timeDim && range.min === undefined)
    for (const g of groups.values()) for (const r of g.rows) earliest = Math.min(earliest, r.time);

  const out: ResultSeries[] = [];
  const sortedGroups = [...groups.values()].sort((a, b) => compareTags(a.tags, b.tags, groupKeys));
  for (const g of sortedGroups) {
    g.rows.sort((a, b) => a.time - b.time);
    let values: SeriesValues;
    if (!aggregate) values = rawRows(columns, g.rows, m);
    else if (timeDim && timeDim.kind === 'time') {
      // A series none of whose points match has no buckets at all, whatever the fill (InfluxDB).
      if (g.rows.length === 0) continue;
      const from = range.min ?? (Number.isFinite(earliest) ? earliest : min);
      values = bucketedRows(
        columns,
        g.rows,
        from,
        max,
        timeDim.intervalMicros,
        timeDim.offsetMicros,
        fill,
        ctx.maxPoints,
      );
    } else {
      if (g.rows.length === 0) continue;
      values = wholeRangeRow(columns, g.rows, range.min ?? 0);
    }
    pushSeries(out, stmt, m, groupKeys, g.tags, columns, values);
  }
  return out;
}

/** ORDER BY time DESC, OFFSET and LIMIT on one group's rows, then the series if any row is left. */
function pushSeries(
  out: ResultSeries[],
  stmt: SelectStatement,
  m: Measurement,
  groupKeys: readonly string[],
  tags: Record<string, string>,
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  rows: SeriesValues,
): void {
  let values = rows;
  if (values.length === 0) return;
  if (stmt.descending) values = values instanceof ColumnRows ? values.reversed() : values.reverse();
  const offset = stmt.offset ?? 0;
  const end = stmt.limit === undefined ? undefined : offset + stmt.limit;
  if (offset > 0 || end !== undefined) values = values.slice(offset, end);
  if (values.length === 0) return;
  out.push({
    name: m.name,
    ...(groupKeys.length > 0 ? { tags } : {}),
    columns: ['time', ...columns.map((c) => c.name)],
    values,
  });
}

function compareTags(a: Record<string, string>, b: Record<string, string>, keys: readonly string[]): number {
  for (const k of keys) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function lookupOf(row: Row, m: Measurement): Lookup {
  return (name, cast) => {
    if (cast === 'tag') return row.tags[name];
    if (cast === 'field' || m.fields.has(name)) {
      const v = row.fields[name];
      if (v !== undefined || cast === 'field') return v;
    }
    return row.tags[name];
  };
}

/** Raw SELECT: one row per point time (rows whose selected values are all null are left out). */
function rawRows(
  columns: ReadonlyArray<{ expr: Expr; name: string }>,
  rows: readonly Row[],
  m: Measurement,
): Value[][] {
  const transforms = columns.filter((c) => c.expr.kind === 'call' && TRANSFORMS.has(c.expr.name));
  if (transforms.length > 0) {
    if (columns.length !== 1) throw queryError('a transform over raw values must be the only field');
    const c = columns[0] as { expr: Expr & { kind: 'call' } };
    const inner = c.expr.args[0];
    if (!inner) throw queryError(`${c.expr.name}() needs an argument`);
    const col: Column = { time: [], value: [] };
    for (const r of rows) {
      col.time.push(r.time);
      col.value.push(evalScalar(inner, lookupOf(r, m)));
    }
    const t = transform(c.expr.name, col, numberArg(c.expr.args[1]), undefined);
    return t.time.map((time, i) => [time, t.value[i] ?? null]);
  }
  const out: Value[][] = [];
  for (const r of rows) {
    const lookup = lookupOf(r, m);
    const vals = columns.map((c) => evalRaw(c.expr, lookup));
    if (vals.every((v) => v === null)) continue;
    out.push([r.time, ...vals]);
  }
  return out;
}

function evalRaw(e: Expr, row: Lookup): Value {
  if (e.kind === 'call' && MATH.has(e.name)) {
    return mathFn(e.name, e.args[0] ? evalRaw(e.args[0], row) : null, numberArg(e.args[1]));
  }
  if (e.kind === 'binary' && !['and', 'or', '=~', '!~'].includes(e.op)) {
    return applyBinary(e.op, evalRaw(e.left, row), evalRaw(e.right, row));
  }
  if (e.kind === 'paren') return evalRaw(e.expr, row);
  return evalScalar(e, row);
}

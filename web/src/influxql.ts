import type { PanelQuery, Variable } from '../../src/dashboards/model';
import type { InfluxSeries } from './api';
import { durationLiteral, parseDurationMs, type ResolvedRange } from './time';

/** The current values of a dashboard's variables; several (or "All") when a variable allows it. */
export type VarValues = Readonly<Record<string, readonly string[]>>;

export const ALL = '$__all';

export const quoteIdent = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
export const quoteString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What a query needs besides itself: the time range, the bucket width, the variables' values. */
export interface QueryContext {
  readonly range: ResolvedRange;
  readonly intervalMs: number;
  readonly vars: VarValues;
}

export const timeFilter = (r: ResolvedRange) =>
  `time >= ${Math.floor(r.from)}ms AND time <= ${Math.ceil(r.to)}ms`;

/** The bucket width of a query: its own interval when set, else the automatic one. */
export function queryIntervalMs(q: PanelQuery, auto: number): number {
  if (q.interval && q.interval !== 'auto') return parseDurationMs(q.interval) ?? auto;
  return auto;
}

/**
 * Replaces Grafana's macros and `$var` / `${var}` / `[[var]]`. Inside a regex (`/…/`) a variable becomes
 * an escaped alternation of its values, as Grafana does; elsewhere its (first) value.
 */
export function substitute(text: string, ctx: QueryContext): string {
  let out = text
    .replace(/\$timeFilter\b/g, timeFilter(ctx.range))
    .replace(/\$__interval\b|\$interval\b/g, durationLiteral(ctx.intervalMs))
    .replace(/\$__from\b/g, `${Math.floor(ctx.range.from)}ms`)
    .replace(/\$__to\b/g, `${Math.ceil(ctx.range.to)}ms`);
  out = out.replace(/\/((?:[^/\\\n]|\\.)*)\//g, (whole, body: string) => {
    if (!/\$\{?\w|\[\[/.test(body)) return whole;
    return `/${replaceVars(body, ctx.vars, (vals) => (vals.length === 1 ? escapeRegex(vals[0] ?? '') : `(${vals.map(escapeRegex).join('|')})`))}/`;
  });
  // Outside a regex a value usually sits in a string literal or an identifier: quotes and backslashes are
  // escaped, so a tag value (a device chooses its own) or a URL parameter cannot end the literal and add
  // InfluxQL of its own.
  return replaceVars(out, ctx.vars, (vals) => escapeLiteral(vals[0] ?? ''));
}

const escapeLiteral = (s: string) => s.replace(/[\\'"]/g, '\\$&');

function replaceVars(text: string, vars: VarValues, format: (vals: readonly string[]) => string): string {
  return text.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const vals = vars[name];
    return vals === undefined ? whole : format(vals);
  });
}

/** A tag filter value: `$var` (its values), `/regex/`, or an exact value. */
function tagCondition(key: string, value: string, vars: VarValues): string {
  const v = /^\$\{?(\w+)\}?$/.exec(value);
  if (v) {
    const vals = vars[v[1] ?? ''];
    if (vals !== undefined) {
      if (vals.length === 1) return `${quoteIdent(key)} = ${quoteString(vals[0] ?? '')}`;
      return `${quoteIdent(key)} =~ /^(${vals.map(escapeRegex).join('|')})$/`;
    }
  }
  if (value.length >= 2 && value.startsWith('/') && value.endsWith('/'))
    return `${quoteIdent(key)} =~ ${value}`;
  return `${quoteIdent(key)} = ${quoteString(value)}`;
}

/** The InfluxQL of a panel query (builder or text), ready to send. */
export function panelQueryText(q: PanelQuery, ctx: QueryContext): string {
  if (q.influxql !== undefined) return substitute(q.influxql, ctx);
  return builderQuery(q, ctx, ctx.range, q.aggregate ?? 'mean');
}

/** A builder query over `range`; `aggregate` raw selects the field itself. */
export function builderQuery(
  q: PanelQuery,
  ctx: QueryContext,
  range: ResolvedRange,
  aggregate: string,
): string {
  const field = quoteIdent(q.field ?? 'value');
  const select = aggregate === 'raw' ? `${field}` : `${aggregate}(${field}) AS ${field}`;
  const where = [
    ...Object.entries(q.tags ?? {}).map(([k, v]) => tagCondition(k, v, ctx.vars)),
    timeFilter(range),
  ].join(' AND ');
  const groups = (q.groupBy ?? []).map((g) => (g === '*' ? '*' : quoteIdent(g)));
  const groupBy =
    aggregate === 'raw'
      ? groups.length > 0
        ? ` GROUP BY ${groups.join(', ')}`
        : ''
      : ` GROUP BY ${[`time(${durationLiteral(ctx.intervalMs)})`, ...groups].join(', ')} fill(none)`;
  return `SELECT ${select} FROM ${quoteIdent(q.measurement ?? '')} WHERE ${where}${groupBy}`;
}

/**
 * The values a variable can take: from the answer to its query (SHOW TAG VALUES … → the last column of
 * every series), or its fixed list when it has no query.
 */
export function variableValues(v: Variable, series: readonly InfluxSeries[] | undefined): string[] {
  if (series === undefined) return [...(v.values ?? [])];
  const out = new Set<string>();
  for (const s of series) {
    for (const r of s.values) {
      const last = r[r.length - 1];
      if (last !== null && last !== undefined) out.add(String(last));
    }
  }
  return [...out].sort();
}

/** The value a variable starts with: its saved current value, All, or its first value. */
export function firstValue(v: Variable, options: readonly string[] | undefined): string {
  return v.current ?? (v.includeAll ? ALL : (options?.[0] ?? v.values?.[0] ?? ''));
}

/** Each variable's values for queries: the selected one, or all of them for "All". */
export function resolveVars(
  variables: readonly Variable[],
  options: Readonly<Record<string, string[]>>,
  current: Readonly<Record<string, string>>,
): VarValues {
  const out: Record<string, string[]> = {};
  for (const v of variables) {
    const all = options[v.name] ?? v.values ?? [];
    let cur = current[v.name] ?? firstValue(v, all);
    // A value from the URL must be one of the variable's values (when they are known): a link cannot put
    // arbitrary text into the queries.
    if (cur !== ALL && all.length > 0 && !all.includes(cur)) cur = firstValue(v, all);
    out[v.name] = cur === ALL ? (all.length > 0 ? all : ['']) : [cur];
  }
  return out;
}

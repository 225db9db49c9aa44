import { BUILDER_AGGREGATES, type BuilderAggregate, type PanelQuery } from './model.js';

/**
 * Grafana's InfluxQL targets → sensorhub panel queries. A target from Grafana's query builder becomes a
 * builder query when the builder says the same thing (one field, at most one aggregate, AND-ed `=` or
 * `=~` tag filters, `fill(null)`); anything else is rendered to InfluxQL text the way Grafana renders it,
 * so the query runs exactly as it did in Grafana. Pure: no I/O.
 */

export type Json = Record<string, unknown>;

export function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A number, or a number in a string (pre-5.0 dashboards keep axis limits as strings). */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Grafana macros sensorhub replaces itself; every other `$__name` is reported. */
const KNOWN_MACROS = new Set(['$__interval', '$timeFilter']);

/**
 * Rewrites Grafana's variable syntaxes to the one sensorhub substitutes: `[[var]]`, `${var}` and
 * `${var:format}` → `$var`, `$interval` → `$__interval`, `$__timeFilter` → `$timeFilter`. Returns notes for
 * what has no equivalent (format specifiers, `$__from`, `$__interval_ms`, …).
 */
export function normaliseMacros(text: string): { text: string; notes: string[] } {
  const notes: string[] = [];
  let out = text
    .replace(/\[\[([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\]\]/g, (_m, name: string) => `$${name}`)
    .replace(/\$\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}/g, (_m, name: string, format?: string) => {
      if (format !== undefined) notes.push(`the format ":${format}" of $${name} is ignored`);
      return `$${name}`;
    })
    .replace(/\$interval\b/g, '$__interval')
    .replace(/\$__timeFilter\b/g, '$timeFilter');
  for (const m of new Set(out.match(/\$__[A-Za-z0-9_]+/g) ?? [])) {
    if (!KNOWN_MACROS.has(m)) notes.push(`the macro ${m} is not supported`);
  }
  out = out.trim();
  return { text: out, notes };
}

/**
 * Grafana legend patterns → sensorhub's: `[[tag_x]]`/`$tag_x` stay `$tag_x`, `$col` is `$field`, `$m` and
 * `$measurement` become the measurement's name when it is known.
 */
function convertAlias(alias: string, measurement: string | undefined, notes: string[]): string {
  let out = alias.replace(/\[\[([A-Za-z0-9_]+)\]\]/g, (_m, name: string) => `$${name}`);
  out = out.replace(/\$col\b/g, '$field');
  if (measurement !== undefined) out = out.replace(/\$(?:measurement|m)\b/g, measurement);
  if (/\$(?:measurement|m|\d)\b/.test(out)) {
    notes.push(`the legend "${alias}" uses the measurement name, which sensorhub cannot fill in here`);
  }
  return out;
}

interface Part {
  readonly type: string;
  readonly params: readonly string[];
}

function partsOf(select: unknown): Part[] {
  return asArray(select).flatMap((p) => {
    const o = asObject(p);
    const type = asString(o?.type);
    if (!o || type === undefined) return [];
    return [{ type, params: asArray(o.params).map((x) => String(x)) }];
  });
}

interface TagFilter {
  readonly key: string;
  readonly operator: string;
  readonly value: string;
  readonly condition: string;
}

function tagsOf(target: Json): TagFilter[] {
  return asArray(target.tags).flatMap((t, i) => {
    const o = asObject(t);
    const key = asString(o?.key);
    if (!o || key === undefined) return [];
    return [
      {
        key,
        operator: asString(o.operator) ?? '=',
        value: String(o.value ?? ''),
        condition: i === 0 ? 'AND' : (asString(o.condition) ?? 'AND').toUpperCase(),
      },
    ];
  });
}

const quoteIdent = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const quoteString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `id::tag` → `"id"::tag`, as Grafana renders a key with a type hint. */
function renderKey(key: string): string {
  const m = /^(.*)::(tag|field)$/.exec(key);
  return m ? `${quoteIdent(m[1] as string)}::${m[2]}` : quoteIdent(key);
}

function renderTag(tag: TagFilter, index: number): string {
  let value: string;
  if (tag.operator === '=~' || tag.operator === '!~') value = tag.value;
  else if ((tag.operator === '<' || tag.operator === '>') && asNumber(tag.value) !== undefined)
    value = tag.value;
  else value = quoteString(tag.value);
  return `${index > 0 ? `${tag.condition} ` : ''}${renderKey(tag.key)} ${tag.operator} ${value}`;
}

function renderSelect(parts: readonly Part[]): string {
  let expr = '';
  for (const part of parts) {
    switch (part.type) {
      case 'field':
        expr = part.params[0] === '*' ? '*' : quoteIdent(part.params[0] ?? 'value');
        break;
      case 'math':
        expr = `${expr}${part.params[0] ?? ''}`;
        break;
      case 'alias':
        expr = `${expr} AS ${quoteIdent(part.params[0] ?? '')}`;
        break;
      default:
        // Aggregations, selectors and transformations all wrap what came before, then their params.
        expr = `${part.type}(${[expr, ...part.params].join(', ')})`;
    }
  }
  return expr;
}

/** The InfluxQL Grafana's query builder sends for a target (its `InfluxQueryModel.render`). */
export function renderBuilderTarget(target: Json): string {
  const measurement = asString(target.measurement) ?? '';
  const policy = asString(target.policy);
  const selects = asArray(target.select).map((s) => renderSelect(partsOf(s)));
  const from = measurement.startsWith('/')
    ? measurement
    : `${policy !== undefined && policy !== 'default' ? `${quoteIdent(policy)}.` : ''}${quoteIdent(measurement)}`;
  const tags = tagsOf(target).map(renderTag);
  let q = `SELECT ${selects.length > 0 ? selects.join(', ') : '"value"'} FROM ${from} WHERE `;
  if (tags.length > 0) q += `(${tags.join(' ')}) AND `;
  q += '$timeFilter';
  const groups: string[] = [];
  let fill = '';
  for (const g of asArray(target.groupBy)) {
    const o = asObject(g);
    const param = String(asArray(o?.params)[0] ?? '');
    if (o?.type === 'time') groups.push(`time(${param})`);
    else if (o?.type === 'tag') groups.push(param === '*' ? '*' : quoteIdent(param));
    else if (o?.type === 'fill') fill = ` fill(${param})`;
  }
  if (groups.length > 0) q += ` GROUP BY ${groups.join(', ')}`;
  q += fill;
  if (target.orderByTime === 'DESC') q += ' ORDER BY time DESC';
  if (asNumber(target.limit) !== undefined) q += ` LIMIT ${asNumber(target.limit)}`;
  if (asNumber(target.slimit) !== undefined) q += ` SLIMIT ${asNumber(target.slimit)}`;
  if (typeof target.tz === 'string' && target.tz !== '') q += ` tz(${quoteString(target.tz)})`;
  return q;
}

const AGGREGATES: ReadonlySet<string> = new Set(BUILDER_AGGREGATES.filter((a) => a !== 'raw'));
const AUTO_INTERVALS = new Set(['$__interval', '$interval', 'auto', '[[interval]]']);

/** The builder query a target is, or undefined when only InfluxQL text says the same. */
function asBuilderQuery(target: Json): PanelQuery | undefined {
  const measurement = asString(target.measurement);
  const policy = asString(target.policy);
  const selects = asArray(target.select);
  if (measurement === undefined || measurement.startsWith('/') || selects.length > 1) return undefined;
  if (policy !== undefined && policy !== 'default' && policy !== '') return undefined;
  if (target.orderByTime === 'DESC' || target.limit || target.slimit || target.tz) return undefined;

  const parts = partsOf(selects[0] ?? [{ type: 'field', params: ['value'] }]);
  const [first, ...rest] = parts;
  if (first?.type !== 'field' || first.params[0] === undefined || first.params[0] === '*') return undefined;
  let aggregate: BuilderAggregate | undefined;
  let selectAlias: string | undefined;
  for (const part of rest) {
    if (AGGREGATES.has(part.type) && aggregate === undefined && selectAlias === undefined) {
      aggregate = part.type as BuilderAggregate;
    } else if (part.type === 'alias' && selectAlias === undefined) {
      selectAlias = part.params[0];
    } else return undefined;
  }

  const tags: Record<string, string> = {};
  for (const tag of tagsOf(target)) {
    const key = tag.key.replace(/::tag$/, '');
    if (tag.condition !== 'AND' || key.endsWith('::field') || Object.hasOwn(tags, key)) return undefined;
    if (tag.operator === '=') {
      // A literal that looks like a regex would be read as one by the builder.
      if (/^\/.*\/$/.test(tag.value)) return undefined;
      tags[key] = tag.value;
    } else if (tag.operator === '=~' && /^\/.*\/$/.test(tag.value)) {
      // Grafana writes a variable filter as /^$var$/ so multi-value and All work; the builder's `$var` does both.
      const variable = /^\/\^\$([A-Za-z_][A-Za-z0-9_]*)\$\/$/.exec(tag.value);
      tags[key] = variable ? `$${variable[1]}` : tag.value;
    } else return undefined;
  }

  let interval: string | undefined;
  const groupBy: string[] = [];
  for (const g of asArray(target.groupBy)) {
    const o = asObject(g);
    const param = String(asArray(o?.params)[0] ?? '');
    if (o?.type === 'time') {
      if (interval !== undefined) return undefined;
      interval = AUTO_INTERVALS.has(param) ? 'auto' : param;
    } else if (o?.type === 'tag') groupBy.push(param);
    else if (o?.type === 'fill') {
      // The builder leaves empty buckets empty: fill(null), InfluxQL's default.
      if (param !== 'null') return undefined;
    } else return undefined;
  }
  // An aggregate without time buckets is one value over the range; buckets without one do not run.
  if ((aggregate === undefined) !== (interval === undefined)) return undefined;

  const alias = asString(target.alias) || selectAlias;
  return {
    measurement,
    field: first.params[0],
    aggregate: aggregate ?? 'raw',
    ...(interval !== undefined && interval !== 'auto' ? { interval } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(groupBy.length > 0 ? { groupBy } : {}),
    ...(alias ? { alias: convertAlias(alias, measurement, []) } : {}),
  };
}

export interface TargetResult {
  /** Undefined when the target cannot be carried over (the notes say why). */
  readonly query: PanelQuery | undefined;
  readonly notes: string[];
}

const FLUX = /\|>|\bfrom\s*\(\s*bucket\s*:/;

/**
 * One Grafana target → one sensorhub query. Notes are phrased to follow `query <refId>: `; the caller
 * prefixes the panel.
 */
export function convertTarget(target: Json, database: string | undefined): TargetResult {
  const notes: string[] = [];
  const ds = asObject(target.datasource);
  const dsType = asString(ds?.type);
  if (target.hide === true) return { query: undefined, notes: ['is hidden in Grafana; left out'] };
  if (dsType === '__expr__')
    return { query: undefined, notes: ['server-side expressions are not supported; left out'] };
  if (dsType !== undefined && dsType !== 'influxdb' && !dsType.startsWith('-- ') && !dsType.startsWith('$')) {
    return { query: undefined, notes: [`data source type "${dsType}" is not InfluxDB; left out`] };
  }
  const rawText = asString(target.query);
  const raw = target.rawQuery === true || (rawText !== undefined && target.measurement === undefined);
  if (raw && rawText !== undefined && (FLUX.test(rawText) || target.queryType === 'Flux')) {
    return { query: undefined, notes: ['Flux queries are not supported (only InfluxQL); left out'] };
  }
  const db = database === undefined ? {} : { database };

  if (raw) {
    if (rawText === undefined || rawText.trim() === '') {
      return { query: undefined, notes: ['has no query text; left out'] };
    }
    const { text, notes: macroNotes } = normaliseMacros(rawText);
    notes.push(...macroNotes);
    const alias = asString(target.alias);
    return {
      query: { ...db, influxql: text, ...(alias ? { alias: convertAlias(alias, undefined, notes) } : {}) },
      notes,
    };
  }

  if (asString(target.measurement) === undefined || target.measurement === '') {
    return { query: undefined, notes: ['has no measurement; left out'] };
  }
  const builder = asBuilderQuery(target);
  if (builder !== undefined) {
    const tags = builder.tags;
    if (tags) {
      for (const [k, v] of Object.entries(tags)) {
        const n = normaliseMacros(v);
        tags[k] = n.text;
        notes.push(...n.notes);
      }
    }
    return { query: { ...db, ...builder }, notes };
  }
  const { text, notes: macroNotes } = normaliseMacros(renderBuilderTarget(target));
  notes.push(...macroNotes);
  const alias = asString(target.alias);
  return {
    query: {
      ...db,
      influxql: text,
      ...(alias ? { alias: convertAlias(alias, asString(target.measurement), notes) } : {}),
    },
    notes,
  };
}

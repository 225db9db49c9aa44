/**
 * AST → canonical InfluxQL: keywords upper-case, names quoted only when they must be, durations in their
 * largest exact unit, no redundant parentheses. Parsing the output gives back the same AST (the round-trip
 * tests hold the printer to that), so it is also how a query is shown normalized.
 */
import type {
  AdminStatement,
  BinaryOp,
  Dimension,
  Expr,
  FillOption,
  RetentionPolicyOptions,
  SelectStatement,
  ShowStatement,
  Source,
  Statement,
} from './ast.js';
import { formatDuration } from './duration.js';
import { binaryPrecedence } from './parse-expr.js';
import { formatIdent, quoteString } from './tokens.js';

export function printQuery(statements: readonly Statement[]): string {
  return statements.map(printStatement).join('; ');
}

export function printStatement(s: Statement): string {
  switch (s.kind) {
    case 'select':
      return printSelect(s);
    case 'show_databases':
    case 'show_retention_policies':
    case 'show_measurements':
    case 'show_tag_keys':
    case 'show_tag_values':
    case 'show_field_keys':
    case 'show_series':
      return printShow(s);
    default:
      return printAdmin(s);
  }
}

const OP_TEXT: Partial<Record<BinaryOp, string>> = { and: 'AND', or: 'OR' };

/**
 * `-x` and `+x` parse as `-1 * x` / `1 * x` and bind like a single term, so they print back in that form; a
 * tree the parser built never needs other parentheses than its own `paren` nodes.
 */
function signedTerm(e: Expr): string | undefined {
  if (e.kind !== 'binary' || e.op !== '*' || e.left.kind !== 'number' || !e.left.integer) return undefined;
  if (e.left.value !== 1 && e.left.value !== -1) return undefined;
  const r = e.right;
  if (r.kind !== 'ref' && r.kind !== 'call' && r.kind !== 'paren') return undefined;
  return `${e.left.value < 0 ? '-' : '+'}${printExpr(r)}`;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return formatNumber(e.value, e.integer);
    case 'string':
      return quoteString(e.value);
    case 'boolean':
      return e.value ? 'true' : 'false';
    case 'duration':
      return formatDuration(e.micros);
    case 'regex':
      return formatRegex(e.source);
    case 'ref':
      return e.cast === undefined ? formatIdent(e.name) : `${formatIdent(e.name)}::${e.cast}`;
    case 'wildcard':
      return '*';
    case 'call': {
      const name = e.name === 'distinct' ? 'distinct' : formatIdent(e.name);
      return `${name}(${e.args.map(printExpr).join(', ')})`;
    }
    case 'paren':
      return `(${printExpr(e.expr)})`;
    case 'binary': {
      const signed = signedTerm(e);
      if (signed !== undefined) return signed;
      const prec = binaryPrecedence(e.op);
      const side = (child: Expr, right: boolean): string => {
        const text = printExpr(child);
        if (child.kind !== 'binary' || signedTerm(child) !== undefined) return text;
        const p = binaryPrecedence(child.op);
        return (right ? p <= prec : p < prec) ? `(${text})` : text;
      };
      return `${side(e.left, false)} ${OP_TEXT[e.op] ?? e.op} ${side(e.right, true)}`;
    }
  }
}

/** A number in plain decimal notation (InfluxQL has no exponents); floats keep a `.` so they stay floats. */
export function formatNumber(value: number, integer: boolean): string {
  if (Object.is(value, -0)) return '-0.0';
  if (integer) {
    if (Number.isSafeInteger(value)) return String(value);
    // The largest double below 2^64 reads back; 2^64 itself is out of InfluxQL's range.
    if (value >= 2 ** 64) return '18446744073709551615';
    return BigInt(value).toString();
  }
  const sign = value < 0 ? '-' : '';
  const text = String(Math.abs(value));
  const m = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return sign + (text.includes('.') ? text : `${text}.0`);
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const point = (m[1] ?? '').length + Number(m[3]);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function formatRegex(source: string): string {
  return `/${source.replace(/\//g, '\\/')}/`;
}

/** `db.rp.m`, `db..m`, `rp.m`, `m`, `db.rp./re/`; an empty INTO name is `:MEASUREMENT`. */
function printSource(s: Source, into = false): string {
  const prefix: string[] = [];
  if (s.database !== undefined)
    prefix.push(
      formatIdent(s.database),
      s.retentionPolicy === undefined ? '' : formatIdent(s.retentionPolicy),
    );
  else if (s.retentionPolicy !== undefined) prefix.push(formatIdent(s.retentionPolicy));
  const backReference = into && s.kind === 'measurement' && s.name === '' && prefix.length > 0;
  const last =
    s.kind === 'regex' ? formatRegex(s.source) : backReference ? ':MEASUREMENT' : formatIdent(s.name);
  return [...prefix, last].join('.');
}

const sources = (list: readonly Source[]) => list.map((s) => printSource(s)).join(', ');

function printDimension(d: Dimension): string {
  switch (d.kind) {
    case 'time':
      return d.offsetMicros === 0
        ? `time(${formatDuration(d.intervalMicros)})`
        : `time(${formatDuration(d.intervalMicros)}, ${formatDuration(d.offsetMicros)})`;
    case 'tag':
      return formatIdent(d.name);
    case 'regex':
      return formatRegex(d.source);
    case 'wildcard':
      return '*';
  }
}

function printFill(f: FillOption): string {
  if (f.kind !== 'value') return `fill(${f.kind})`;
  return `fill(${formatNumber(f.value, Number.isInteger(f.value) && !Object.is(f.value, -0))})`;
}

/** ` LIMIT n OFFSET n` for the ones that are set. */
function limits(s: { limit?: number; offset?: number; slimit?: number; soffset?: number }): string {
  let out = '';
  if (s.limit !== undefined) out += ` LIMIT ${formatNumber(s.limit, true)}`;
  if (s.offset !== undefined) out += ` OFFSET ${formatNumber(s.offset, true)}`;
  if (s.slimit !== undefined) out += ` SLIMIT ${formatNumber(s.slimit, true)}`;
  if (s.soffset !== undefined) out += ` SOFFSET ${formatNumber(s.soffset, true)}`;
  return out;
}

const where = (condition: Expr | undefined) =>
  condition === undefined ? '' : ` WHERE ${printExpr(condition)}`;
const on = (database: string | undefined) => (database === undefined ? '' : ` ON ${formatIdent(database)}`);
const from = (list: readonly Source[]) => (list.length === 0 ? '' : ` FROM ${sources(list)}`);

function printSelect(s: SelectStatement): string {
  const fields = s.fields
    .map((f) =>
      f.alias === undefined ? printExpr(f.expr) : `${printExpr(f.expr)} AS ${formatIdent(f.alias)}`,
    )
    .join(', ');
  let out = `SELECT ${fields}`;
  if (s.into !== undefined) out += ` INTO ${printSource(s.into, true)}`;
  out += ` FROM ${sources(s.sources)}${where(s.condition)}`;
  if (s.dimensions.length > 0) out += ` GROUP BY ${s.dimensions.map(printDimension).join(', ')}`;
  if (s.fill !== undefined) out += ` ${printFill(s.fill)}`;
  if (s.descending) out += ' ORDER BY time DESC';
  out += limits(s);
  if (s.timezone !== undefined) out += ` tz(${quoteString(s.timezone)})`;
  return out;
}

function printShow(s: ShowStatement): string {
  switch (s.kind) {
    case 'show_databases':
      return 'SHOW DATABASES';
    case 'show_retention_policies':
      return `SHOW RETENTION POLICIES${on(s.database)}`;
    case 'show_measurements': {
      const m = s.measurement;
      const withClause =
        m === undefined
          ? ''
          : ` WITH MEASUREMENT ${m.op} ${m.op === '=~' || m.op === '!~' ? formatRegex(m.value) : formatIdent(m.value)}`;
      return `SHOW MEASUREMENTS${on(s.database)}${withClause}${where(s.condition)}${limits(s)}`;
    }
    case 'show_tag_keys':
      return `SHOW TAG KEYS${on(s.database)}${from(s.sources)}${where(s.condition)}${limits(s)}`;
    case 'show_tag_values': {
      const { op, values } = s.key;
      const key =
        op === 'in'
          ? `IN (${values.map(formatIdent).join(', ')})`
          : `${op} ${op === '=~' || op === '!~' ? formatRegex(values[0] ?? '') : formatIdent(values[0] ?? '')}`;
      return `SHOW TAG VALUES${on(s.database)}${from(s.sources)} WITH KEY ${key}${where(s.condition)}${limits(s)}`;
    }
    case 'show_field_keys':
      return `SHOW FIELD KEYS${on(s.database)}${from(s.sources)}${limits(s)}`;
    case 'show_series':
      return `SHOW SERIES${on(s.database)}${from(s.sources)}${where(s.condition)}${limits(s)}`;
  }
}

/** A retention policy's duration: 0 is INF (keep forever). */
const keep = (micros: number) => (micros === 0 ? 'INF' : formatDuration(micros));

function rpOptions(o: RetentionPolicyOptions): string {
  let out = '';
  if (o.durationMicros !== undefined) out += ` DURATION ${keep(o.durationMicros)}`;
  if (o.replication !== undefined) out += ` REPLICATION ${o.replication}`;
  if (o.shardDurationMicros !== undefined) out += ` SHARD DURATION ${formatDuration(o.shardDurationMicros)}`;
  if (o.isDefault === true) out += ' DEFAULT';
  return out;
}

function printAdmin(s: AdminStatement): string {
  switch (s.kind) {
    case 'create_database': {
      if (s.retention === undefined) return `CREATE DATABASE ${formatIdent(s.name)}`;
      const { name, isDefault: _default, ...options } = s.retention;
      const rpName = name === undefined ? '' : ` NAME ${formatIdent(name)}`;
      return `CREATE DATABASE ${formatIdent(s.name)} WITH${rpOptions(options)}${rpName}`;
    }
    case 'drop_database':
      return `DROP DATABASE ${formatIdent(s.name)}`;
    case 'create_retention_policy':
      return `CREATE RETENTION POLICY ${formatIdent(s.name)} ON ${formatIdent(s.database)}${rpOptions(s.options)}`;
    case 'alter_retention_policy':
      return `ALTER RETENTION POLICY ${formatIdent(s.name)} ON ${formatIdent(s.database)}${rpOptions(s.options)}`;
    case 'drop_retention_policy':
      return `DROP RETENTION POLICY ${formatIdent(s.name)} ON ${formatIdent(s.database)}`;
    case 'drop_measurement':
      return `DROP MEASUREMENT ${formatIdent(s.name)}`;
    case 'drop_series':
      return `DROP SERIES${from(s.sources)}${where(s.condition)}`;
    case 'delete':
      return `DELETE${from(s.sources)}${where(s.condition)}`;
  }
}

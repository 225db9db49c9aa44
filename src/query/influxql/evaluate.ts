import { AppError } from '../../core/errors.js';
import type { FieldValue } from '../../core/point.js';
import { parseRfc3339 } from '../../ingest/mapping/coerce.js';
import type { Expr } from './ast.js';

/** Values an InfluxQL expression works with. */
export type Value = FieldValue | null;

export function queryError(message: string): AppError {
  return new AppError('QRY_INFLUXQL', message);
}

/**
 * A constant expression as epoch µs: `now()`, `now() - 5m`, `'2024-01-01T00:00:00Z'`, an integer (ns,
 * as InfluxDB reads it), a duration literal (`1700000000000ms`: that long since the epoch), and sums of
 * these with durations.
 */
export function timeValue(e: Expr, nowMicros: number): number {
  switch (e.kind) {
    case 'paren':
      return timeValue(e.expr, nowMicros);
    case 'call':
      if (e.name === 'now' && e.args.length === 0) return nowMicros;
      throw queryError(`${e.name}() is not a time`);
    case 'string': {
      const t = parseRfc3339(e.value);
      if (typeof t === 'string') throw queryError(`invalid time '${e.value}': ${t}`);
      return t;
    }
    case 'number':
      // InfluxDB reads a bare number compared with time as nanoseconds.
      return Math.floor(e.value / 1000);
    case 'duration':
      return e.micros;
    case 'binary': {
      if (e.op !== '+' && e.op !== '-') break;
      const l = timeValue(e.left, nowMicros);
      const r = timeValue(e.right, nowMicros);
      return e.op === '+' ? l + r : l - r;
    }
    default:
      break;
  }
  throw queryError('invalid time expression: use now(), durations, RFC 3339 strings or epoch numbers');
}

export interface TimeRange {
  /** Inclusive, or undefined for no lower bound. */
  readonly min: number | undefined;
  /** Inclusive, or undefined for no upper bound. */
  readonly max: number | undefined;
}

const isTime = (e: Expr): boolean => e.kind === 'ref' && e.name.toLowerCase() === 'time';

/**
 * Splits a WHERE condition into its time bounds (only in top-level ANDs, as InfluxDB requires) and the
 * rest, which is evaluated per point.
 */
export function splitTime(
  cond: Expr | undefined,
  nowMicros: number,
): { range: TimeRange; rest: Expr | undefined } {
  let min: number | undefined;
  let max: number | undefined;
  const rest: Expr[] = [];
  const visit = (e: Expr): void => {
    if (e.kind === 'paren') {
      visit(e.expr);
      return;
    }
    if (e.kind === 'binary' && e.op === 'and') {
      visit(e.left);
      visit(e.right);
      return;
    }
    if (e.kind === 'binary' && (isTime(e.left) || isTime(e.right))) {
      const flipped = isTime(e.right);
      const value = timeValue(flipped ? e.left : e.right, nowMicros);
      const op = flipped ? flip(e.op) : e.op;
      switch (op) {
        case '>':
          min = Math.max(min ?? -Infinity, value + 1);
          return;
        case '>=':
          min = Math.max(min ?? -Infinity, value);
          return;
        case '<':
          max = Math.min(max ?? Infinity, value - 1);
          return;
        case '<=':
          max = Math.min(max ?? Infinity, value);
          return;
        case '=':
          min = Math.max(min ?? -Infinity, value);
          max = Math.min(max ?? Infinity, value);
          return;
        default:
          throw queryError(`invalid time comparison operator: ${e.op}`);
      }
    }
    if (mentionsTime(e)) throw queryError('time conditions must be combined with AND, not OR');
    rest.push(e);
  };
  if (cond) visit(cond);
  const restExpr = rest.reduce<Expr | undefined>(
    (acc, e) => (acc === undefined ? e : { kind: 'binary', op: 'and', left: acc, right: e }),
    undefined,
  );
  return { range: { min, max }, rest: restExpr };
}

function flip(op: string): string {
  return op === '>' ? '<' : op === '<' ? '>' : op === '>=' ? '<=' : op === '<=' ? '>=' : op;
}

function mentionsTime(e: Expr): boolean {
  switch (e.kind) {
    case 'ref':
      return isTime(e);
    case 'binary':
      return mentionsTime(e.left) || mentionsTime(e.right);
    case 'paren':
      return mentionsTime(e.expr);
    case 'call':
      return e.args.some(mentionsTime);
    default:
      return false;
  }
}

/** Looks a name up in a row: fields, then tags (a `::tag` / `::field` cast picks one). */
export type Lookup = (name: string, cast?: string) => Value | undefined;

const regexCache = new Map<string, RegExp>();
export function regexOf(source: string): RegExp {
  let re = regexCache.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source);
    } catch (err) {
      throw queryError(`invalid regular expression /${source}/: ${(err as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

/** A condition (WHERE without its time bounds) for one row: InfluxDB's comparison rules. */
export function matches(e: Expr, row: Lookup): boolean {
  const v = evalScalar(e, row);
  return v === true;
}

/** Evaluates a row-level expression (no aggregates): math, comparisons, AND/OR, regex matches. */
export function evalScalar(e: Expr, row: Lookup): Value {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
      return e.value;
    case 'duration':
      return e.micros * 1000;
    case 'paren':
      return evalScalar(e.expr, row);
    case 'ref': {
      const v = row(e.name, e.cast);
      return v === undefined ? null : v;
    }
    case 'binary':
      return binary(e.op, e.left, e.right, row);
    case 'regex':
      throw queryError('a regular expression is only allowed after =~ or !~');
    case 'wildcard':
      throw queryError('* is only allowed as a field or in GROUP BY');
    case 'call':
      throw queryError(`${e.name}() is not allowed here`);
  }
}

function binary(op: string, left: Expr, right: Expr, row: Lookup): Value {
  if (op === 'and') return matches(left, row) && matches(right, row);
  if (op === 'or') return matches(left, row) || matches(right, row);
  if (op === '=~' || op === '!~') {
    if (right.kind !== 'regex') throw queryError(`${op} needs a regular expression on its right`);
    const v = evalScalar(left, row);
    // A missing tag is the empty string for regex matching, as in InfluxDB.
    const text = v === null ? '' : String(v);
    const hit = regexOf(right.source).test(text);
    return op === '=~' ? hit : !hit;
  }
  const l = evalScalar(left, row);
  const r = evalScalar(right, row);
  return applyBinary(op, l, r, left.kind === 'ref' && row(left.name, left.cast) === undefined);
}

/** `missingLeft`: a tag the row does not have compares as the empty string (InfluxDB). */
export function applyBinary(op: string, l: Value, r: Value, missingLeft = false): Value {
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%': {
      if (typeof l !== 'number' || typeof r !== 'number') return null;
      if (op === '+') return l + r;
      if (op === '-') return l - r;
      if (op === '*') return l * r;
      if (op === '/') return r === 0 ? 0 : l / r;
      return r === 0 ? 0 : l % r;
    }
    case '=':
    case '!=':
    case '<>': {
      let a = l;
      if (a === null && missingLeft && typeof r === 'string') a = '';
      if (a === null || r === null) return op === '=' ? false : a !== r && a !== null;
      const eq = typeof a === typeof r ? a === r : Number(a) === Number(r);
      return op === '=' ? eq : !eq;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (l === null || r === null) return false;
      if (typeof l !== typeof r && (typeof l !== 'number' || typeof r !== 'number')) return false;
      if (op === '<') return l < r;
      if (op === '<=') return l <= r;
      if (op === '>') return l > r;
      return l >= r;
    }
    default:
      throw queryError(`unsupported operator ${op}`);
  }
}

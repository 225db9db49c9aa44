/** SELECT and the clauses it shares with SHOW/DELETE (sources, WHERE, GROUP BY, ORDER BY, LIMIT). */
import type { BinaryOp, Dimension, Expr, Field, FillOption, SelectStatement, Source } from './ast.js';
import {
  isDistinctKeyword,
  isUnsigned,
  parseExpr,
  parseIdent,
  parseRegex,
  parseSegmentedIdents,
} from './parse-expr.js';
import { reduceDimension } from './reduce.js';
import type { TokenReader } from './token-reader.js';
import type { Tok } from './tokens.js';

export type TargetRequirement = 'required' | 'optional';

/** SELECT …; the SELECT keyword is read. */
export function parseSelectStatement(p: TokenReader, target: TargetRequirement): SelectStatement {
  const fields = parseFields(p);
  const into = parseTarget(p, target);
  const from = p.scanIgnoreWhitespace();
  if (from.tok !== 'FROM') throw p.expected(from, ['FROM']);
  const sources = parseSources(p, true);
  const condition = parseCondition(p);
  const dimensions = toDimensions(p, parseDimensions(p));
  const fill = parseFill(p);
  const descending = parseOrderBy(p);
  const limit = parseOptionalTokenAndInt(p, 'LIMIT');
  const offset = parseOptionalTokenAndInt(p, 'OFFSET');
  const slimit = parseOptionalTokenAndInt(p, 'SLIMIT');
  const soffset = parseOptionalTokenAndInt(p, 'SOFFSET');
  const timezone = parseLocation(p);
  return {
    kind: 'select',
    fields,
    ...(into === undefined ? {} : { into }),
    sources,
    ...(condition === undefined ? {} : { condition }),
    dimensions,
    ...(fill === undefined ? {} : { fill }),
    descending,
    ...(limit === undefined ? {} : { limit }),
    ...(offset === undefined ? {} : { offset }),
    ...(slimit === undefined ? {} : { slimit }),
    ...(soffset === undefined ? {} : { soffset }),
    ...(timezone === undefined ? {} : { timezone }),
  };
}

function parseFields(p: TokenReader): Field[] {
  const fields: Field[] = [];
  for (;;) {
    fields.push(parseField(p));
    if (p.scan().tok !== 'COMMA') {
      p.unscan();
      return fields;
    }
  }
}

const WHERE_ONLY: Partial<Record<BinaryOp, string>> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '=~': '=~',
  '!~': '!~',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  and: 'AND',
  or: 'OR',
};

function parseField(p: TokenReader): Field {
  let expr = parseRegex(p);
  if (expr === undefined) {
    const start = p.scanIgnoreWhitespace();
    p.unscan();
    expr = parseExpr(p);
    const bad = invalidFieldOperator(expr);
    if (bad !== undefined) {
      const { line, char } = p.text.lineChar(start.pos);
      throw p.bare(
        `invalid operator ${bad} in SELECT clause at line ${line}, char ${char}; operator is intended for WHERE clause`,
        start.pos,
      );
    }
  }
  const alias = parseAlias(p);
  p.consumeWhitespace();
  return alias === undefined ? { expr } : { expr, alias };
}

/** The comparison or AND/OR InfluxDB reports in a field: the last one found walking the tree in order. */
function invalidFieldOperator(expr: Expr): string | undefined {
  let found: string | undefined;
  const walk = (e: Expr): void => {
    if (e.kind === 'binary') {
      const bad = WHERE_ONLY[e.op];
      if (bad !== undefined) {
        found = bad;
        return;
      }
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'paren') walk(e.expr);
    else if (e.kind === 'call') for (const a of e.args) walk(a);
  };
  walk(expr);
  return found;
}

function parseAlias(p: TokenReader): string | undefined {
  if (p.scanIgnoreWhitespace().tok !== 'AS') {
    p.unscan();
    return undefined;
  }
  return parseIdent(p);
}

/** `INTO [db.][rp.]m` or `INTO db.rp.:MEASUREMENT` (an empty name stands for `:MEASUREMENT`). */
function parseTarget(p: TokenReader, target: TargetRequirement): Source | undefined {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'INTO') {
    if (target === 'required') throw p.expected(t, ['INTO']);
    p.unscan();
    return undefined;
  }
  const idents = parseSegmentedIdents(p);
  if (idents.length < 3 && p.peekRune() === 58) {
    p.expectTokens(['COLON', 'MEASUREMENT']);
    idents.push('');
  }
  const [a = '', b = '', c = ''] = idents;
  if (idents.length === 1) return measurement('', '', a);
  if (idents.length === 2) return measurement('', a, b);
  return measurement(a, b, c);
}

function measurement(database: string, retentionPolicy: string, name: string): Source {
  return {
    kind: 'measurement',
    name,
    ...(database === '' ? {} : { database }),
    ...(retentionPolicy === '' ? {} : { retentionPolicy }),
  };
}

function regexSource(database: string, retentionPolicy: string, source: string): Source {
  return {
    kind: 'regex',
    source,
    ...(database === '' ? {} : { database }),
    ...(retentionPolicy === '' ? {} : { retentionPolicy }),
  };
}

export function parseSources(p: TokenReader, subqueries: boolean): Source[] {
  const sources: Source[] = [];
  for (;;) {
    sources.push(parseSource(p, subqueries));
    if (p.scanIgnoreWhitespace().tok !== 'COMMA') {
      p.unscan();
      return sources;
    }
  }
}

export function parseSource(p: TokenReader, subqueries: boolean): Source {
  const re = parseRegex(p);
  if (re?.kind === 'regex') return regexSource('', '', re.source);
  if (subqueries) {
    const t = p.scanIgnoreWhitespace();
    if (t.tok === 'LPAREN') {
      p.enter(t.pos);
      p.expectTokens(['SELECT']);
      parseSelectStatement(p, 'optional');
      p.expectTokens(['RPAREN']);
      p.leave();
      p.defer('unsupported', 'subqueries are not supported', t.pos);
      return measurement('', '', '');
    }
    p.unscan();
  }
  const idents = parseSegmentedIdents(p);
  const [a = '', b = '', c = ''] = idents;
  if (idents.length === 3) return measurement(a, b, c);
  const re2 = parseRegex(p);
  if (re2?.kind === 'regex') {
    return idents.length === 1 ? regexSource('', a, re2.source) : regexSource(a, b, re2.source);
  }
  return idents.length === 1 ? measurement('', '', a) : measurement('', a, b);
}

export function parseCondition(p: TokenReader): Expr | undefined {
  if (p.scanIgnoreWhitespace().tok !== 'WHERE') {
    p.unscan();
    return undefined;
  }
  return parseExpr(p);
}

/** GROUP BY's expressions as written; `toDimensions` checks them as InfluxDB does when it runs the query. */
export function parseDimensions(p: TokenReader): Array<{ expr: Expr; pos: number }> {
  if (p.scanIgnoreWhitespace().tok !== 'GROUP') {
    p.unscan();
    return [];
  }
  const by = p.scanIgnoreWhitespace();
  if (by.tok !== 'BY') throw p.expected(by, ['BY']);
  const dims: Array<{ expr: Expr; pos: number }> = [];
  for (;;) {
    const re = parseRegex(p);
    if (re !== undefined) dims.push({ expr: re, pos: 0 });
    else {
      // Reading ahead and back is harmless here: parseExpr starts by reading that same token.
      const start = p.scanIgnoreWhitespace();
      p.unscan();
      dims.push({ expr: parseExpr(p), pos: start.pos });
      p.consumeWhitespace();
    }
    if (p.scan().tok !== 'COMMA') {
      p.unscan();
      return dims;
    }
  }
}

/** InfluxDB's compile-time dimension rules; a violation fails the statement, not the whole query. */
function toDimensions(p: TokenReader, parsed: Array<{ expr: Expr; pos: number }>): Dimension[] {
  const out: Dimension[] = [];
  let interval = 0;
  for (const { expr: raw, pos } of parsed) {
    const expr = reduceDimension(raw);
    const fail = (message: string) => p.defer('statement', message, pos);
    switch (expr.kind) {
      case 'ref':
        if (expr.name.toLowerCase() === 'time')
          fail('time() is a function and expects at least one argument');
        else out.push({ kind: 'tag', name: expr.name });
        break;
      case 'call': {
        const [first, second] = expr.args;
        if (isDistinctKeyword(expr)) fail('only time and tag dimensions allowed');
        else if (expr.name !== 'time') fail('only time() calls allowed in dimensions');
        else if (expr.args.length < 1 || expr.args.length > 2)
          fail('time dimension expected 1 or 2 arguments');
        else if (first?.kind !== 'duration') fail('time dimension must have duration argument');
        else if (interval !== 0) fail('multiple time dimensions not allowed');
        else {
          interval = first.micros;
          const offset = timeOffset(p, second, pos);
          if (offset !== undefined)
            out.push({ kind: 'time', intervalMicros: first.micros, offsetMicros: offset });
        }
        break;
      }
      case 'wildcard':
        out.push({ kind: 'wildcard' });
        break;
      case 'regex':
        out.push({ kind: 'regex', source: expr.source });
        break;
      default:
        fail('only time and tag dimensions allowed');
    }
  }
  return out;
}

/** The second argument of `time(interval, offset)`; undefined when the statement is refused. */
function timeOffset(p: TokenReader, arg: Expr | undefined, pos: number): number | undefined {
  if (arg === undefined) return 0;
  if (arg.kind === 'duration') return arg.micros;
  if (arg.kind === 'call') {
    if (arg.name !== 'now') p.defer('statement', 'time dimension offset function must be now()', pos);
    else if (arg.args.length !== 0) {
      p.defer('statement', 'time dimension offset now() function requires no arguments', pos);
    } else
      p.defer('unsupported', 'time(interval, now()) is not supported; give the offset as a duration', pos);
    return undefined;
  }
  if (arg.kind === 'string' && /^\d{4}-\d{2}-\d{2}/.test(arg.value)) {
    p.defer('unsupported', 'a time as the offset of time() is not supported; give it as a duration', pos);
    return undefined;
  }
  p.defer('statement', 'time dimension offset must be duration or now()', pos);
  return undefined;
}

const FILLS = new Set(['null', 'none', 'previous', 'linear']);

/** `fill(none|null|previous|linear|<number>)`; undefined when absent (InfluxDB's default is null). */
function parseFill(p: TokenReader): FillOption | undefined {
  const t = p.scanIgnoreWhitespace();
  p.unscan();
  if (t.tok !== 'IDENT' || t.lit.toLowerCase() !== 'fill') return undefined;
  const expr = parseExpr(p);
  if (expr.kind !== 'call' || isDistinctKeyword(expr)) throw p.bare('fill must be a function call', t.pos);
  const [arg] = expr.args;
  if (expr.args.length !== 1 || arg === undefined) {
    throw p.bare('fill requires an argument, e.g.: 0, null, none, previous, linear', t.pos);
  }
  // InfluxDB compares the argument's text, so only a bare lower-case name (or its quoted form) counts.
  if (arg.kind === 'ref' && arg.cast === undefined && FILLS.has(arg.name)) {
    return { kind: arg.name as 'null' | 'none' | 'previous' | 'linear' };
  }
  if (arg.kind === 'number' && !isUnsigned(arg)) return { kind: 'value', value: arg.value };
  throw p.bare('expected number argument in fill()', t.pos);
}

/** `ORDER BY time [ASC|DESC]` or `ORDER BY ASC|DESC`; returns whether it is descending. */
export function parseOrderBy(p: TokenReader): boolean {
  if (p.scanIgnoreWhitespace().tok !== 'ORDER') {
    p.unscan();
    return false;
  }
  const by = p.scanIgnoreWhitespace();
  if (by.tok !== 'BY') throw p.expected(by, ['BY']);
  const t = p.scanIgnoreWhitespace();
  const ascending: boolean[] = [];
  if (t.tok === 'ASC' || t.tok === 'DESC') ascending.push(t.tok === 'ASC');
  else if (t.tok === 'IDENT') {
    p.unscan();
    ascending.push(parseSortField(p));
    if (t.lit !== 'time') throw p.bare('only ORDER BY time supported at this time', t.pos);
  } else throw p.expected(t, ['identifier', 'ASC', 'DESC']);
  for (;;) {
    if (p.scanIgnoreWhitespace().tok !== 'COMMA') {
      p.unscan();
      break;
    }
    ascending.push(parseSortField(p));
  }
  if (ascending.length > 1) throw p.bare('only ORDER BY time supported at this time', t.pos);
  return ascending[0] === false;
}

function parseSortField(p: TokenReader): boolean {
  parseIdent(p);
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'ASC' && t.tok !== 'DESC') {
    p.unscan();
    return true;
  }
  return t.tok === 'ASC';
}

/**
 * `LIMIT n` and friends; undefined when absent or 0, which InfluxDB treats alike (no limit). Numbers above
 * int64 are clamped, as InfluxDB does.
 */
export function parseOptionalTokenAndInt(p: TokenReader, keyword: Tok): number | undefined {
  if (p.scanIgnoreWhitespace().tok !== keyword) {
    p.unscan();
    return undefined;
  }
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'INTEGER') throw p.expected(t, ['integer']);
  const n = BigInt(t.lit);
  const clamped = n > 2n ** 63n - 1n ? 2n ** 63n - 1n : n;
  return clamped === 0n ? undefined : Number(clamped);
}

/** `tz('Europe/Berlin')`, checked like Go's time.LoadLocation (exact, case-sensitive names). */
function parseLocation(p: TokenReader): string | undefined {
  const t = p.scanIgnoreWhitespace();
  p.unscan();
  if (t.tok !== 'IDENT' || t.lit.toLowerCase() !== 'tz') return undefined;
  const expr = parseExpr(p);
  if (expr.kind !== 'call' || isDistinctKeyword(expr)) throw p.bare('tz must be a function call', t.pos);
  const [arg] = expr.args;
  if (expr.args.length !== 1 || arg === undefined) throw p.bare('tz requires exactly one argument', t.pos);
  if (arg.kind !== 'string') throw p.bare('expected string argument in tz()', t.pos);
  const zone = timeZone(arg.value);
  if (zone === undefined) throw p.bare(`unable to find time zone ${arg.value}`, t.pos);
  return zone;
}

let canonicalZones: Map<string, string> | undefined;

/** The zone name the planner can hand to Intl, or undefined when Go would not find it. */
function timeZone(name: string): string | undefined {
  if (name === '' || name === 'UTC') return 'UTC';
  if (name === 'Local') return Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return undefined;
  }
  // Intl ignores case; Go's zoneinfo lookup does not. Canonical names must match exactly.
  canonicalZones ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  const canonical = canonicalZones.get(name.toLowerCase());
  if (canonical !== undefined && canonical !== name) return undefined;
  if (canonical === undefined && name.toLowerCase() === name && /[a-z]/.test(name)) return undefined;
  return name;
}

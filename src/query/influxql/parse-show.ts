/** SHOW statements, as InfluxDB 1.6 reads them (including those sensorhub parses only to refuse). */
import type { ShowStatement, Source } from './ast.js';
import { parseIdent, parseIdentList, parseRegex, parseString } from './parse-expr.js';
import {
  parseCondition,
  parseDimensions,
  parseOptionalTokenAndInt,
  parseOrderBy,
  parseSource,
  parseSources,
} from './parse-select.js';
import type { TokenReader } from './token-reader.js';

/** A statement sensorhub recognizes but does not run; `what` names it in the error. */
export interface Unsupported {
  readonly kind: 'unsupported';
  readonly what: string;
}

export const unsupported = (what: string): Unsupported => ({ kind: 'unsupported', what });

function parseOn(p: TokenReader): string | undefined {
  if (p.scanIgnoreWhitespace().tok !== 'ON') {
    p.unscan();
    return undefined;
  }
  return parseIdent(p);
}

function parseFrom(p: TokenReader): Source[] {
  if (p.scanIgnoreWhitespace().tok !== 'FROM') {
    p.unscan();
    return [];
  }
  return parseSources(p, false);
}

/** LIMIT and OFFSET, kept only when set. */
function limits(p: TokenReader): { limit?: number; offset?: number } {
  const limit = parseOptionalTokenAndInt(p, 'LIMIT');
  const offset = parseOptionalTokenAndInt(p, 'OFFSET');
  return { ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) };
}

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export function parseShowMeasurements(p: TokenReader): ShowStatement {
  const database = parseOn(p);
  let measurement: { op: '=' | '=~'; value: string } | undefined;
  if (p.scanIgnoreWhitespace().tok === 'WITH') {
    p.expectTokens(['MEASUREMENT']);
    const t = p.scanIgnoreWhitespace();
    if (t.tok !== 'EQ' && t.tok !== 'EQREGEX') throw p.expected(t, ['=', '=~']);
    // InfluxDB keeps only the source: a regex matches, a name is compared, whichever operator was written.
    const source = parseSource(p, false);
    measurement =
      source.kind === 'regex' ? { op: '=~', value: source.source } : { op: '=', value: source.name };
  } else p.unscan();
  const condition = parseCondition(p);
  parseOrderBy(p);
  return {
    kind: 'show_measurements',
    ...opt('database', database),
    ...opt('measurement', measurement),
    ...opt('condition', condition),
    ...limits(p),
  };
}

export function parseShowTagKeys(p: TokenReader): ShowStatement {
  const database = parseOn(p);
  const sources = parseFrom(p);
  const condition = parseCondition(p);
  parseOrderBy(p);
  const rest = limits(p);
  const slimit = parseOptionalTokenAndInt(p, 'SLIMIT');
  const soffset = parseOptionalTokenAndInt(p, 'SOFFSET');
  if (slimit !== undefined || soffset !== undefined) {
    p.defer('unsupported', 'SLIMIT and SOFFSET in SHOW TAG KEYS are not supported', 0);
  }
  return {
    kind: 'show_tag_keys',
    ...opt('database', database),
    sources,
    ...opt('condition', condition),
    ...rest,
  };
}

export function parseShowTagValues(p: TokenReader): ShowStatement | Unsupported {
  const t = p.scanIgnoreWhitespace();
  if (t.tok === 'EXACT' || t.tok === 'CARDINALITY') {
    if (t.tok === 'EXACT') p.expectTokens(['CARDINALITY']);
    return parseCardinality(p, 'SHOW TAG VALUES CARDINALITY', true, true);
  }
  p.unscan();
  const database = parseOn(p);
  const sources = parseFrom(p);
  const key = parseTagKeyExpr(p);
  const condition = parseCondition(p);
  parseOrderBy(p);
  return {
    kind: 'show_tag_values',
    ...opt('database', database),
    sources,
    key,
    ...opt('condition', condition),
    ...limits(p),
  };
}

/** `WITH KEY = "k"`, `!= "k"`, `=~ /re/`, `!~ /re/`, `IN ("a", "b")`. */
function parseTagKeyExpr(p: TokenReader): { op: '=' | '!=' | '=~' | '!~' | 'in'; values: string[] } {
  p.expectTokens(['WITH', 'KEY']);
  const t = p.scanIgnoreWhitespace();
  switch (t.tok) {
    case 'IN': {
      const open = p.scanIgnoreWhitespace();
      if (open.tok !== 'LPAREN') throw p.expected(open, ['(']);
      const values = parseIdentList(p);
      const close = p.scanIgnoreWhitespace();
      if (close.tok !== 'RPAREN') throw p.expected(close, [')']);
      return { op: 'in', values };
    }
    case 'EQ':
    case 'NEQ':
      return { op: t.tok === 'EQ' ? '=' : '!=', values: [parseIdent(p)] };
    case 'EQREGEX':
    case 'NEQREGEX': {
      const re = parseRegex(p);
      if (re?.kind !== 'regex') throw p.expected(p.scanIgnoreWhitespace(), ['regex']);
      return { op: t.tok === 'EQREGEX' ? '=~' : '!~', values: [re.source] };
    }
    default:
      throw p.expected(t, ['IN', '=', '=~']);
  }
}

export function parseShowFieldKeys(p: TokenReader): ShowStatement {
  const database = parseOn(p);
  const sources = parseFrom(p);
  parseOrderBy(p);
  return { kind: 'show_field_keys', ...opt('database', database), sources, ...limits(p) };
}

export function parseShowSeries(p: TokenReader): ShowStatement | Unsupported {
  if (p.scanIgnoreWhitespace().tok !== 'EXACT') p.unscan();
  if (p.scanIgnoreWhitespace().tok === 'CARDINALITY') {
    return parseCardinality(p, 'SHOW SERIES CARDINALITY', false);
  }
  p.unscan();
  const database = parseOn(p);
  const sources = parseFrom(p);
  const condition = parseCondition(p);
  parseOrderBy(p);
  return {
    kind: 'show_series',
    ...opt('database', database),
    sources,
    ...opt('condition', condition),
    ...limits(p),
  };
}

export function parseShowRetentionPolicies(p: TokenReader): ShowStatement {
  return { kind: 'show_retention_policies', ...opt('database', parseOn(p)) };
}

/**
 * `SHOW MEASUREMENT|TAG KEY|FIELD KEY|SERIES|TAG VALUES [EXACT] CARDINALITY …`; `exactDone` when EXACT and
 * CARDINALITY are read; TAG VALUES also takes WITH KEY.
 */
export function parseCardinality(
  p: TokenReader,
  what: string,
  exactDone: boolean,
  withKey = false,
): Unsupported {
  if (!exactDone) {
    const t = p.scanIgnoreWhitespace();
    const exact = t.tok === 'EXACT';
    if (!exact) p.unscan();
    const c = p.scanIgnoreWhitespace();
    if (c.tok !== 'CARDINALITY') throw p.expected(c, exact ? ['CARDINALITY'] : ['EXACT', 'CARDINALITY']);
  }
  parseOn(p);
  parseFrom(p);
  if (withKey) parseTagKeyExpr(p);
  parseCondition(p);
  parseDimensions(p);
  limits(p);
  return unsupported(what);
}

/** `SHOW STATS [FOR 'module']`, `SHOW DIAGNOSTICS [FOR 'module']`. */
export function parseForModule(p: TokenReader, what: string): Unsupported {
  if (p.scanIgnoreWhitespace().tok === 'FOR') parseString(p);
  else p.unscan();
  return unsupported(what);
}

/**
 * InfluxQL's tokens as InfluxDB 1.6 has them (token.go): kinds, keywords, how errors name them, operator
 * precedence; and quoting names and strings so that they scan back as the same token.
 */

export type Tok =
  | 'ILLEGAL'
  | 'EOF'
  | 'WS'
  | 'COMMENT'
  | 'IDENT'
  | 'BOUNDPARAM'
  | 'NUMBER'
  | 'INTEGER'
  | 'DURATIONVAL'
  | 'STRING'
  | 'BADSTRING'
  | 'BADESCAPE'
  | 'TRUE'
  | 'FALSE'
  | 'REGEX'
  | 'BADREGEX'
  | Operator
  | 'IN'
  | 'LPAREN'
  | 'RPAREN'
  | 'COMMA'
  | 'COLON'
  | 'DOUBLECOLON'
  | 'SEMICOLON'
  | 'DOT'
  | Keyword;

/** The binary operators ParseExpr combines (InfluxDB 1.x: IN is a keyword, not an operator). */
export type Operator =
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'BITWISE_AND'
  | 'BITWISE_OR'
  | 'BITWISE_XOR'
  | 'AND'
  | 'OR'
  | 'EQ'
  | 'NEQ'
  | 'EQREGEX'
  | 'NEQREGEX'
  | 'LT'
  | 'LTE'
  | 'GT'
  | 'GTE';

/** InfluxDB 1.6's keywords (token.go), in its order; a keyword used as a name must be double-quoted. */
export const KEYWORDS = [
  'ALL',
  'ALTER',
  'ANALYZE',
  'ANY',
  'AS',
  'ASC',
  'BEGIN',
  'BY',
  'CARDINALITY',
  'CREATE',
  'CONTINUOUS',
  'DATABASE',
  'DATABASES',
  'DEFAULT',
  'DELETE',
  'DESC',
  'DESTINATIONS',
  'DIAGNOSTICS',
  'DISTINCT',
  'DROP',
  'DURATION',
  'END',
  'EVERY',
  'EXACT',
  'EXPLAIN',
  'FIELD',
  'FOR',
  'FROM',
  'GRANT',
  'GRANTS',
  'GROUP',
  'GROUPS',
  'INF',
  'INSERT',
  'INTO',
  'KEY',
  'KEYS',
  'KILL',
  'LIMIT',
  'MEASUREMENT',
  'MEASUREMENTS',
  'NAME',
  'OFFSET',
  'ON',
  'ORDER',
  'PASSWORD',
  'POLICY',
  'POLICIES',
  'PRIVILEGES',
  'QUERIES',
  'QUERY',
  'READ',
  'REPLICATION',
  'RESAMPLE',
  'RETENTION',
  'REVOKE',
  'SELECT',
  'SERIES',
  'SET',
  'SHOW',
  'SHARD',
  'SHARDS',
  'SLIMIT',
  'SOFFSET',
  'STATS',
  'SUBSCRIPTION',
  'SUBSCRIPTIONS',
  'TAG',
  'TO',
  'USER',
  'USERS',
  'VALUES',
  'WHERE',
  'WITH',
  'WRITE',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

const LOOKUP = new Map<string, Tok>([
  ...KEYWORDS.map((k) => [k.toLowerCase(), k] as [string, Tok]),
  ['and', 'AND'],
  ['or', 'OR'],
  ['in', 'IN'],
  ['true', 'TRUE'],
  ['false', 'FALSE'],
]);

/** The token a bare word scans as: a keyword (any case), `true`/`false`, or an identifier. */
export function lookup(ident: string): Tok {
  return LOOKUP.get(ident.toLowerCase()) ?? 'IDENT';
}

const TOKEN_TEXT: Partial<Record<Tok, string>> = {
  ADD: '+',
  SUB: '-',
  MUL: '*',
  DIV: '/',
  MOD: '%',
  BITWISE_AND: '&',
  BITWISE_OR: '|',
  BITWISE_XOR: '^',
  EQ: '=',
  NEQ: '!=',
  EQREGEX: '=~',
  NEQREGEX: '!~',
  LT: '<',
  LTE: '<=',
  GT: '>',
  GTE: '>=',
  LPAREN: '(',
  RPAREN: ')',
  COMMA: ',',
  COLON: ':',
  DOUBLECOLON: '::',
  SEMICOLON: ';',
  DOT: '.',
};

/** How InfluxDB names a token in "found X": its literal when it has one, else the token's text. */
export function tokstr(tok: Tok, lit: string): string {
  if (lit !== '') return lit;
  // Go's token table has no text for these; INTEGER and BOUNDPARAM always carry a literal anyway.
  if (tok === 'INTEGER' || tok === 'BOUNDPARAM' || tok === 'COMMENT') return '';
  return TOKEN_TEXT[tok] ?? tok;
}

export function isOperator(tok: Tok): tok is Operator {
  return PRECEDENCE[tok as Operator] !== undefined;
}

const PRECEDENCE: Record<Operator, number> = {
  OR: 1,
  AND: 2,
  EQ: 3,
  NEQ: 3,
  EQREGEX: 3,
  NEQREGEX: 3,
  LT: 3,
  LTE: 3,
  GT: 3,
  GTE: 3,
  ADD: 4,
  SUB: 4,
  BITWISE_OR: 4,
  BITWISE_XOR: 4,
  MUL: 5,
  DIV: 5,
  MOD: 5,
  BITWISE_AND: 5,
};

export function precedence(op: Operator): number {
  return PRECEDENCE[op];
}

export interface Token {
  readonly tok: Tok;
  /** Index in the virtual code-point stream (see the file comment); 0 when InfluxDB reports no position. */
  readonly pos: number;
  readonly lit: string;
}

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isIdentChar = (c: number) => isLetter(c) || (c >= 48 && c <= 57) || c === 95;
const isIdentFirstChar = (c: number) => isLetter(c) || c === 95;

/** Whether a name must be double-quoted to read back as the same identifier. */
export function identNeedsQuotes(ident: string): boolean {
  if (lookup(ident) !== 'IDENT') return true;
  let first = true;
  for (const ch of ident) {
    const c = ch.codePointAt(0) as number;
    if (first ? !isIdentFirstChar(c) : !isIdentChar(c)) return true;
    first = false;
  }
  return false;
}

const escapeIdent = (s: string) => s.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** InfluxDB's QuoteIdent: `db.rp.m` segments, quoting each that needs it (and the ones around an empty one). */
export function quoteIdent(...segments: string[]): string {
  let out = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const needQuote =
      identNeedsQuotes(segment) || (!last && segment !== '') || ((i === 0 || last) && segment === '');
    out += needQuote ? `"${escapeIdent(segment)}"` : escapeIdent(segment);
    if (!last) out += '.';
  });
  return out;
}

/** A name as the canonical printer writes it: bare when that reads back the same, else double-quoted. */
export function formatIdent(name: string): string {
  return identNeedsQuotes(name) || name === '' ? `"${escapeIdent(name)}"` : name;
}

/** A single-quoted string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/[\\'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}'`;
}

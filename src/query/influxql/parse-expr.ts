/**
 * Expressions, as InfluxDB 1.x's ParseExpr/parseUnaryExpr/parseCall read them, and the small parsers the
 * statements share (identifiers, integers, durations, regexes).
 */
import type { BinaryOp, Expr } from './ast.js';
import { parseDurationLiteral } from './duration.js';
import { checkRegexSyntax } from './regex-syntax.js';
import type { TokenReader } from './token-reader.js';
import { isOperator, type Operator, precedence, quoteIdent, type Token } from './tokens.js';

type MutableBinary = { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr };

/**
 * Nodes InfluxDB holds as other types than ours, which fill() tells apart: `DISTINCT x` (a Distinct, not a
 * call) and integers above int64 (unsigned; we keep their digits for the underflow message).
 */
const distinctNodes = new WeakSet<Expr>();
const unsignedDigits = new WeakMap<Expr, bigint>();
/** Bitwise operators are refused after parsing; while the tree is built they keep their own precedence. */
const bitwisePrecedence = new WeakMap<Expr, number>();

export const isDistinctKeyword = (e: Expr) => distinctNodes.has(e);
export const isUnsigned = (e: Expr) => unsignedDigits.has(e);

const OPS: Record<Operator, BinaryOp> = {
  ADD: '+',
  SUB: '-',
  MUL: '*',
  DIV: '/',
  MOD: '%',
  // Placeholders: a statement using them is refused (see parseExpr), so these never reach the planner.
  BITWISE_AND: '*',
  BITWISE_OR: '+',
  BITWISE_XOR: '+',
  AND: 'and',
  OR: 'or',
  EQ: '=',
  NEQ: '!=',
  EQREGEX: '=~',
  NEQREGEX: '!~',
  LT: '<',
  LTE: '<=',
  GT: '>',
  GTE: '>=',
};

const BITWISE_TEXT: Partial<Record<Operator, string>> = {
  BITWISE_AND: '&',
  BITWISE_OR: '|',
  BITWISE_XOR: '^',
};

/** Precedence of an AST operator: OR 1, AND 2, comparisons 3, `+ -` 4, `* / %` 5. */
export function binaryPrecedence(op: BinaryOp): number {
  switch (op) {
    case 'or':
      return 1;
    case 'and':
      return 2;
    case '+':
    case '-':
      return 4;
    case '*':
    case '/':
    case '%':
      return 5;
    default:
      return 3;
  }
}

const precedenceOf = (e: MutableBinary) => bitwisePrecedence.get(e) ?? binaryPrecedence(e.op);

/** Expressions taller than this are refused, so that walking them (printer, planner) cannot overflow the stack. */
export const MAX_EXPR_HEIGHT = 1000;

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function parseExpr(p: TokenReader, top = true): Expr {
  const start = p.scanIgnoreWhitespace();
  p.unscan();
  const root: { right: Expr } = { right: parseUnaryExpr(p) };
  for (;;) {
    const t = p.scanIgnoreWhitespace();
    if (!isOperator(t.tok)) {
      p.unscan();
      if (top) checkHeight(p, root.right, start);
      return root.right;
    }
    const op = t.tok;
    let rhs: Expr;
    if (op === 'EQREGEX' || op === 'NEQREGEX') {
      const re = parseRegex(p);
      if (re === undefined) throw p.expected(p.scanIgnoreWhitespace(), ['regex']);
      rhs = re;
    } else rhs = parseUnaryExpr(p);

    // Descend the right spine to the first node that binds at least as tightly, as InfluxDB does.
    const prec = precedence(op);
    let node = root;
    for (;;) {
      const r = node.right;
      if (r.kind !== 'binary' || precedenceOf(r as MutableBinary) >= prec) {
        const b: MutableBinary = { kind: 'binary', op: OPS[op], left: r, right: rhs };
        const bitwise = BITWISE_TEXT[op];
        if (bitwise !== undefined) {
          bitwisePrecedence.set(b, prec);
          p.defer('unsupported', `the bitwise operator ${bitwise} is not supported`, t.pos);
        }
        node.right = b;
        break;
      }
      node = r as MutableBinary;
    }
  }
}

/** Refuses trees too tall to walk recursively (long AND/OR chains, deep nesting). */
function checkHeight(p: TokenReader, expr: Expr, start: Token): void {
  const stack: Array<[Expr, number]> = [[expr, 1]];
  while (stack.length > 0) {
    const [e, h] = stack.pop() as [Expr, number];
    if (h > MAX_EXPR_HEIGHT) {
      throw p.bare(`expression is too complex (more than ${MAX_EXPR_HEIGHT} levels)`, start.pos);
    }
    if (e.kind === 'binary') stack.push([e.left, h + 1], [e.right, h + 1]);
    else if (e.kind === 'paren') stack.push([e.expr, h + 1]);
    else if (e.kind === 'call') for (const a of e.args) stack.push([a, h + 1]);
  }
}

export function parseUnaryExpr(p: TokenReader): Expr {
  const t = p.scanIgnoreWhitespace();
  switch (t.tok) {
    case 'LPAREN': {
      p.enter(t.pos);
      const expr = parseExpr(p, false);
      const close = p.scanIgnoreWhitespace();
      if (close.tok !== 'RPAREN') throw p.expected(close, [')']);
      p.leave();
      return { kind: 'paren', expr };
    }
    case 'IDENT': {
      // A call only when `(` follows immediately; `mean (x)` is a field named mean.
      if (p.scan().tok === 'LPAREN') return parseCall(p, t.lit, t.pos);
      p.unscan();
      p.unscan();
      return parseVarRef(p);
    }
    case 'DISTINCT': {
      const t1 = p.scan();
      if (t1.tok === 'LPAREN') return parseCall(p, 'distinct', t.pos);
      if (t1.tok === 'WS') {
        const t2 = p.scanIgnoreWhitespace();
        if (t2.tok !== 'IDENT') throw p.expected(t2, ['identifier']);
        const node: Expr = { kind: 'call', name: 'distinct', args: [{ kind: 'ref', name: t2.lit }] };
        distinctNodes.add(node);
        return node;
      }
      throw p.expected(t1, ['(', 'identifier']);
    }
    case 'STRING':
      return { kind: 'string', value: t.lit };
    case 'NUMBER': {
      const value = Number(t.lit);
      if (!Number.isFinite(value)) throw p.at('unable to parse number', t.pos);
      return { kind: 'number', value, integer: false };
    }
    case 'INTEGER': {
      const big = BigInt(t.lit);
      if (big > UINT64_MAX) throw p.at('unable to parse integer', t.pos);
      const node: Expr = { kind: 'number', value: Number(big), integer: true };
      if (big > INT64_MAX) unsignedDigits.set(node, big);
      return node;
    }
    case 'TRUE':
    case 'FALSE':
      return { kind: 'boolean', value: t.tok === 'TRUE' };
    case 'DURATIONVAL': {
      const d = parseDurationLiteral(t.lit);
      if (!d.ok) throw p.bare(d.error, t.pos);
      return { kind: 'duration', micros: d.micros };
    }
    case 'MUL': {
      if (p.scan().tok === 'DOUBLECOLON') {
        const t1 = p.scan();
        if (t1.tok !== 'FIELD' && t1.tok !== 'TAG') throw p.expected(t1, ['field', 'tag']);
        p.defer('unsupported', `*::${t1.tok.toLowerCase()} is not supported; name the fields or tags`, t.pos);
      } else p.unscan();
      return { kind: 'wildcard' };
    }
    case 'BOUNDPARAM': {
      // No parameters are bound, so every one is missing.
      const name = t.lit.slice(1);
      throw p.bare(name === '' ? 'empty bound parameter' : `missing parameter: ${name}`, t.pos);
    }
    case 'ADD':
    case 'SUB':
      return parseSigned(p, t.tok === 'SUB' ? -1 : 1);
    default:
      throw p.expected(t, ['identifier', 'string', 'number', 'bool']);
  }
}

/** `-5`, `+1.5`, `-5m` fold into the literal; `-x`, `-mean(x)`, `-(a + b)` become `-1 * …`. */
function parseSigned(p: TokenReader, sign: 1 | -1): Expr {
  const t0 = p.scanIgnoreWhitespace();
  if (!['NUMBER', 'INTEGER', 'DURATIONVAL', 'LPAREN', 'IDENT'].includes(t0.tok)) {
    throw p.expected(t0, ['identifier', 'number', 'duration', '(']);
  }
  p.unscan();
  const e = parseUnaryExpr(p);
  switch (e.kind) {
    case 'number': {
      const digits = unsignedDigits.get(e);
      if (digits !== undefined) {
        if (sign === 1) return e;
        if (digits === INT64_MAX + 1n) return { kind: 'number', value: -Number(digits), integer: true };
        throw p.bare(`constant -${digits} underflows int64`, t0.pos);
      }
      if (sign === 1) return e;
      // Go negates an integer 0 to 0 but a float 0 to -0.
      return { kind: 'number', value: e.integer && e.value === 0 ? 0 : -e.value, integer: e.integer };
    }
    case 'duration':
      return sign === 1 || e.micros === 0 ? e : { kind: 'duration', micros: -e.micros };
    default:
      return { kind: 'binary', op: '*', left: { kind: 'number', value: sign, integer: true }, right: e };
  }
}

/** The arguments of `name(`…`)`; the name and `(` are read. */
function parseCall(p: TokenReader, name: string, pos: number): Expr {
  p.enter(pos);
  const args: Expr[] = [];
  const first = parseRegex(p);
  if (first !== undefined) args.push(first);
  else {
    if (p.scan().tok === 'RPAREN') {
      p.leave();
      return { kind: 'call', name: name.toLowerCase(), args };
    }
    p.unscan();
    args.push(parseExpr(p, false));
  }
  for (;;) {
    if (p.scanIgnoreWhitespace().tok !== 'COMMA') {
      p.unscan();
      break;
    }
    args.push(parseRegex(p) ?? parseExpr(p, false));
  }
  const close = p.scan();
  if (close.tok !== 'RPAREN') throw p.expected(close, [')']);
  p.leave();
  return { kind: 'call', name: name.toLowerCase(), args };
}

/** A regex when the next character (after whitespace) is `/`, else undefined. */
export function parseRegex(p: TokenReader): Expr | undefined {
  const ws = p.peekRune();
  if (ws === 32 || ws === 9 || ws === 10) p.consumeWhitespace();
  const next = p.peekRune();
  if (next === 36) {
    // `$name` could be a bound regex; none is bound, so it is not one.
    p.scan();
    p.unscan();
    return undefined;
  }
  if (next !== 47) return undefined;
  const t = p.scanRegex();
  if (t.tok === 'BADREGEX') throw p.at(`bad regex: ${t.lit}`, t.pos);
  if (t.tok !== 'REGEX') throw p.expected(t, ['regex']);
  const error = checkRegexSyntax(t.lit);
  if (error !== undefined) throw p.at(error, t.pos);
  return { kind: 'regex', source: t.lit };
}

const CASTS = ['float', 'integer', 'unsigned', 'string', 'boolean'];

/** `name`, `"a"."b"`, `name::type`. */
function parseVarRef(p: TokenReader): Expr {
  const name = parseSegmentedIdents(p).join('.');
  if (p.scan().tok !== 'DOUBLECOLON') {
    p.unscan();
    return { kind: 'ref', name };
  }
  const t = p.scan();
  let cast: string;
  if (t.tok === 'FIELD' || t.tok === 'TAG') cast = t.tok.toLowerCase();
  else if (t.tok === 'IDENT') {
    cast = t.lit.toLowerCase();
    if (!CASTS.includes(cast)) throw p.expected(t, [...CASTS, 'field', 'tag']);
  } else throw p.expected(t, ['float', 'integer', 'string', 'boolean', 'field', 'tag']);
  return { kind: 'ref', name, cast };
}

/** `db.rp.m`, `"db".."m"`: up to three identifiers joined by dots; stops before `/re/` and `:MEASUREMENT`. */
export function parseSegmentedIdents(p: TokenReader): string[] {
  const first = p.scanIgnoreWhitespace();
  if (first.tok !== 'IDENT') throw p.expected(first, ['identifier']);
  const idents = [first.lit];
  for (;;) {
    if (p.scan().tok !== 'DOT') {
      p.unscan();
      break;
    }
    const ch = p.peekRune();
    if (ch === 47 || ch === 58) break;
    if (ch === 46) {
      idents.push('');
      continue;
    }
    idents.push(parseIdent(p));
  }
  if (idents.length > 3) throw p.atStart(`too many segments in ${quoteIdent(...idents)}`, first.pos);
  return idents;
}

export function parseIdent(p: TokenReader): string {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'IDENT') throw p.expected(t, ['identifier']);
  return t.lit;
}

export function parseIdentList(p: TokenReader): string[] {
  const idents = [parseIdent(p)];
  for (;;) {
    if (p.scanIgnoreWhitespace().tok !== 'COMMA') {
      p.unscan();
      return idents;
    }
    idents.push(parseIdent(p));
  }
}

export function parseString(p: TokenReader): string {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'STRING') throw p.expected(t, ['string']);
  return t.lit;
}

export function parseStringList(p: TokenReader): string[] {
  const out = [parseString(p)];
  for (;;) {
    if (p.scanIgnoreWhitespace().tok !== 'COMMA') {
      p.unscan();
      return out;
    }
    out.push(parseString(p));
  }
}

/** An integer in [min, max] (REPLICATION), with Go's messages. */
export function parseIntInRange(p: TokenReader, min: number, max: number): number {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'INTEGER') throw p.expected(t, ['integer']);
  const n = BigInt(t.lit);
  if (n > INT64_MAX) throw p.at(`strconv.Atoi: parsing "${t.lit}": value out of range`, t.pos);
  if (n < BigInt(min) || n > BigInt(max))
    throw p.at(`invalid value ${n}: must be ${min} <= n <= ${max}`, t.pos);
  return Number(n);
}

export function parseUInt64(p: TokenReader): bigint {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'INTEGER') throw p.expected(t, ['integer']);
  const n = BigInt(t.lit);
  if (n > UINT64_MAX) throw p.at(`strconv.ParseUint: parsing "${t.lit}": value out of range`, t.pos);
  return n;
}

/** `DURATION <d>` operand: a duration literal or INF (0), in microseconds. */
export function parseDurationOperand(p: TokenReader): number {
  const t = p.scanIgnoreWhitespace();
  if (t.tok === 'INF') return 0;
  if (t.tok !== 'DURATIONVAL') throw p.expected(t, ['duration']);
  const d = parseDurationLiteral(t.lit);
  if (!d.ok) throw p.at(d.error, t.pos);
  return d.micros;
}

import { InfluxQLError, type InfluxQLErrorReason } from './influxql-error.js';
import { type QueryText, Scanner } from './lexer.js';
import { type Tok, type Token, tokstr } from './tokens.js';

const ZERO: Token = { tok: 'ILLEGAL', pos: 0, lit: '' };

/** Parentheses and calls nested deeper than this are refused (InfluxDB has no limit; a JS stack has one). */
export const MAX_NESTING = 200;

/**
 * The parser's view of the tokens: InfluxDB's bufScanner (a 3-token ring that can be unscanned) over the
 * scanner, plus the error helpers. Parse functions take it as `p`, the way InfluxDB's methods take the Parser.
 */
export class TokenReader {
  private readonly scanner: Scanner;
  private readonly buf: Token[] = [ZERO, ZERO, ZERO];
  private i = 0;
  private n = 0;
  private depth = 0;
  /** Index of the statement being parsed, for errors. */
  statementIndex = 0;
  /** The first error the current statement gets only when it runs (or because sensorhub lacks a feature). */
  deferred: InfluxQLError | undefined;

  constructor(readonly text: QueryText) {
    this.scanner = new Scanner(text);
  }

  scan(): Token {
    return this.next(() => this.scanner.scan());
  }

  /** Reads a regex; when a token was unscanned, InfluxDB returns that token instead, and so do we. */
  scanRegex(): Token {
    return this.next(() => this.scanner.scanRegex());
  }

  private next(scan: () => Token): Token {
    if (this.n > 0) {
      this.n--;
      return this.curr();
    }
    this.i = (this.i + 1) % 3;
    this.buf[this.i] = scan();
    return this.curr();
  }

  private curr(): Token {
    return this.buf[(this.i - this.n + 3) % 3] as Token;
  }

  unscan(): void {
    this.n++;
  }

  /** The next token that is not whitespace or a comment. */
  scanIgnoreWhitespace(): Token {
    for (;;) {
      const t = this.scan();
      if (t.tok !== 'WS' && t.tok !== 'COMMENT') return t;
    }
  }

  consumeWhitespace(): void {
    if (this.scan().tok !== 'WS') this.unscan();
  }

  /** The next character of the text, past any unscanned token (as InfluxDB's peekRune). */
  peekRune(): number {
    return this.scanner.peekRune();
  }

  enter(pos: number): void {
    if (++this.depth > MAX_NESTING) {
      throw this.error(
        `error parsing query: expressions nest too deeply (more than ${MAX_NESTING} levels)`,
        pos,
        'unsupported',
        true,
      );
    }
  }

  leave(): void {
    this.depth--;
  }

  /** `found X, expected A, B at line L, char C`. */
  expected(t: Token, expected: readonly string[]): InfluxQLError {
    return this.at(`found ${tokstr(t.tok, t.lit)}, expected ${expected.join(', ')}`, t.pos);
  }

  /** A message with InfluxDB's position suffix. */
  at(message: string, pos: number): InfluxQLError {
    return this.error(`error parsing query: ${message}`, pos, 'syntax', true);
  }

  /** A message InfluxDB gives without a position (`pos` still fills the error's line and char). */
  bare(message: string, pos: number): InfluxQLError {
    return this.error(`error parsing query: ${message}`, pos, 'syntax', false);
  }

  /** A message InfluxDB gives with an empty position, which it prints as `at line 1, char 1`. */
  atStart(message: string, pos: number): InfluxQLError {
    return this.error(`error parsing query: ${message} at line 1, char 1`, pos, 'syntax', false);
  }

  /** Records an error the statement reports when it runs; the first one recorded wins. */
  defer(reason: Exclude<InfluxQLErrorReason, 'syntax'>, message: string, pos: number): void {
    if (this.deferred === undefined) this.deferred = this.error(message, pos, reason, false);
  }

  private error(message: string, pos: number, reason: InfluxQLErrorReason, withPos: boolean): InfluxQLError {
    const { line, char } = this.text.lineChar(pos);
    const text = withPos ? `${message} at line ${line}, char ${char}` : message;
    return new InfluxQLError(
      text,
      { position: this.text.offsetOf(pos), line, char },
      reason,
      this.statementIndex,
    );
  }

  /** Consumes the given keywords in order (InfluxDB's parseTokens). */
  expectTokens(toks: readonly Tok[]): void {
    for (const expected of toks) {
      const t = this.scanIgnoreWhitespace();
      if (t.tok !== expected) throw this.expected(t, [tokstr(expected, '')]);
    }
  }
}

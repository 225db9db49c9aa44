/**
 * InfluxQL's scanner, as InfluxDB 1.x (influxdata/influxql scanner.go) reads text: the same tokens, the same
 * literals and — because InfluxDB's errors print them — the same positions, including its quirks (a string's
 * position is the character before its quote; EOF is one past the end once it has been read and dropped).
 *
 * The reader works on a virtual stream of code points: indexes 0..n-1 are the text, n is the first EOF and
 * every later index is EOF at n+1. Reading advances a cursor and unreading moves it back, which is exactly
 * what InfluxDB's 3-rune ring buffer does for the at most 2 unreads its scanner performs.
 */

import { lookup, type Token } from './tokens.js';

/** Marks the end of input; InfluxDB uses rune 0, which here is an ordinary (illegal) character. */
export const EOF = -1;

const CH = (s: string): number => s.codePointAt(0) as number;
const NL = CH('\n');
const CR = CH('\r');
/** InfluxDB's micro sign for durations (U+00B5, as in `1µ`). */
const MICRO = 0xb5;

const isWhitespace = (c: number) => c === 32 || c === 9 || c === NL;
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentChar = (c: number) => isLetter(c) || isDigit(c) || c === 95;
const isDurationChar = (c: number) => isLetter(c) || c === MICRO;

/** Query text as code points, with `\r\n` and lone `\r` read as `\n` (as InfluxDB's reader does). */
export class QueryText {
  readonly runes: number[] = [];
  /** UTF-16 offset in the original text of each code point. */
  readonly offsets: number[] = [];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; ) {
      const c = text.codePointAt(i) as number;
      this.offsets.push(i);
      const width = c > 0xffff ? 2 : 1;
      if (c === CR) {
        this.runes.push(NL);
        i += text.charCodeAt(i + 1) === NL ? 2 : 1;
      } else {
        this.runes.push(c);
        i += width;
      }
    }
  }

  get length(): number {
    return this.runes.length;
  }

  /** UTF-16 offset of a stream position (the end of the text for either EOF). */
  offsetOf(pos: number): number {
    return pos >= 0 && pos < this.runes.length ? (this.offsets[pos] as number) : this.text.length;
  }

  /** InfluxDB's 1-based line and character of a stream position (characters are code points). */
  lineChar(pos: number): { line: number; char: number } {
    let line = 0;
    let char = 0;
    const end = Math.min(Math.max(pos, 0), this.runes.length);
    for (let i = 0; i < end; i++) {
      if (this.runes[i] === NL) {
        line++;
        char = 0;
      } else char++;
    }
    // The second and later EOFs sit one character past the first.
    if (pos > this.runes.length) char++;
    return { line: line + 1, char: char + 1 };
  }
}

/** InfluxDB's Scanner over one query text. */
export class Scanner {
  private k = 0;
  private readonly runes: number[];
  private readonly n: number;

  constructor(readonly source: QueryText) {
    this.runes = source.runes;
    this.n = source.runes.length;
  }

  private chAt(k: number): number {
    return k >= 0 && k < this.n ? (this.runes[k] as number) : EOF;
  }

  private posAt(k: number): number {
    if (k < 0) return 0;
    return k <= this.n ? k : this.n + 1;
  }

  read(): number {
    return this.chAt(this.k++);
  }

  unread(): void {
    this.k--;
  }

  /** Position of the last character read (InfluxDB's `reader.curr`). */
  currPos(): number {
    return this.posAt(this.k - 1);
  }

  /** The next character, left unread unless it is EOF (InfluxDB's `Parser.peekRune`). */
  peekRune(): number {
    const c = this.read();
    if (c !== EOF) this.unread();
    return c;
  }

  scan(): Token {
    const ch0 = this.read();
    const pos = this.currPos();
    if (isWhitespace(ch0)) return this.scanWhitespace();
    if (isLetter(ch0) || ch0 === 95) {
      this.unread();
      return this.scanIdent(true);
    }
    if (isDigit(ch0)) return this.scanNumber();

    switch (ch0) {
      case EOF:
        return { tok: 'EOF', pos, lit: '' };
      case 34: // "
        this.unread();
        return this.scanIdent(true);
      case 39: // '
        return this.scanString();
      case 46: {
        // .
        const ch1 = this.read();
        this.unread();
        if (isDigit(ch1)) return this.scanNumber();
        return { tok: 'DOT', pos, lit: '' };
      }
      case 36: {
        // $
        const t = this.scanIdent(false);
        if (t.tok !== 'IDENT') return { tok: t.tok, pos, lit: `$${t.lit}` };
        return { tok: 'BOUNDPARAM', pos, lit: `$${t.lit}` };
      }
      case 43:
        return { tok: 'ADD', pos, lit: '' };
      case 45: {
        // -
        if (this.read() === 45) {
          this.skipUntilNewline();
          return { tok: 'COMMENT', pos, lit: '' };
        }
        this.unread();
        return { tok: 'SUB', pos, lit: '' };
      }
      case 42:
        return { tok: 'MUL', pos, lit: '' };
      case 47: {
        // /
        if (this.read() === 42) {
          if (!this.skipUntilEndComment()) return { tok: 'ILLEGAL', pos, lit: '' };
          return { tok: 'COMMENT', pos, lit: '' };
        }
        this.unread();
        return { tok: 'DIV', pos, lit: '' };
      }
      case 37:
        return { tok: 'MOD', pos, lit: '' };
      case 38:
        return { tok: 'BITWISE_AND', pos, lit: '' };
      case 124:
        return { tok: 'BITWISE_OR', pos, lit: '' };
      case 94:
        return { tok: 'BITWISE_XOR', pos, lit: '' };
      case 61: // =
        if (this.read() === 126) return { tok: 'EQREGEX', pos, lit: '' };
        this.unread();
        return { tok: 'EQ', pos, lit: '' };
      case 33: {
        // ! — alone it is illegal, and InfluxDB reports it as such
        const ch1 = this.read();
        if (ch1 === 61) return { tok: 'NEQ', pos, lit: '' };
        if (ch1 === 126) return { tok: 'NEQREGEX', pos, lit: '' };
        this.unread();
        break;
      }
      case 62: // >
        if (this.read() === 61) return { tok: 'GTE', pos, lit: '' };
        this.unread();
        return { tok: 'GT', pos, lit: '' };
      case 60: {
        // <
        const ch1 = this.read();
        if (ch1 === 61) return { tok: 'LTE', pos, lit: '' };
        if (ch1 === 62) return { tok: 'NEQ', pos, lit: '' };
        this.unread();
        return { tok: 'LT', pos, lit: '' };
      }
      case 40:
        return { tok: 'LPAREN', pos, lit: '' };
      case 41:
        return { tok: 'RPAREN', pos, lit: '' };
      case 44:
        return { tok: 'COMMA', pos, lit: '' };
      case 59:
        return { tok: 'SEMICOLON', pos, lit: '' };
      case 58: // :
        if (this.read() === 58) return { tok: 'DOUBLECOLON', pos, lit: '' };
        this.unread();
        return { tok: 'COLON', pos, lit: '' };
    }
    return { tok: 'ILLEGAL', pos, lit: String.fromCodePoint(ch0) };
  }

  /** Reads a `/regex/` (the parser calls this only when the next character is `/`). */
  scanRegex(): Token {
    const pos = this.currPos();
    if (this.read() !== 47) return { tok: 'BADREGEX', pos, lit: '' };
    let out = '';
    for (;;) {
      const ch0 = this.read();
      if (ch0 === 47) return { tok: 'REGEX', pos, lit: out };
      if (ch0 === EOF || ch0 === NL) return { tok: 'BADREGEX', pos, lit: '' };
      if (ch0 === 92) {
        const ch1 = this.read();
        if (ch1 === EOF) return { tok: 'BADREGEX', pos, lit: '' };
        // Only `\/` is an escape; any other backslash stays, and the next character is read again.
        if (ch1 === 47) out += '/';
        else {
          this.unread();
          out += '\\';
        }
      } else out += String.fromCodePoint(ch0);
    }
  }

  private scanWhitespace(): Token {
    const pos = this.currPos();
    let lit = String.fromCodePoint(this.chAt(this.k - 1));
    for (;;) {
      const ch = this.read();
      if (ch === EOF) break;
      if (!isWhitespace(ch)) {
        this.unread();
        break;
      }
      lit += String.fromCodePoint(ch);
    }
    return { tok: 'WS', pos, lit };
  }

  private skipUntilNewline(): void {
    for (;;) {
      const ch = this.read();
      if (ch === NL || ch === EOF) return;
    }
  }

  /** False when the input ends inside the comment. */
  private skipUntilEndComment(): boolean {
    for (;;) {
      const ch1 = this.read();
      if (ch1 === EOF) return false;
      if (ch1 !== 42) continue;
      for (;;) {
        const ch2 = this.read();
        if (ch2 === 47) return true;
        if (ch2 === EOF) return false;
        if (ch2 !== 42) break;
      }
    }
  }

  private scanIdent(lookupKeyword: boolean): Token {
    this.read();
    const pos = this.currPos();
    this.unread();
    let lit = '';
    for (;;) {
      const ch = this.read();
      if (ch === EOF) break;
      if (ch === 34) {
        // A quoted part replaces whatever bare part came before it, as in InfluxDB.
        const s = this.scanString();
        if (s.tok === 'BADSTRING' || s.tok === 'BADESCAPE') return s;
        return { tok: 'IDENT', pos, lit: s.lit };
      }
      if (isIdentChar(ch)) {
        this.unread();
        lit += this.scanBareIdent();
      } else {
        this.unread();
        break;
      }
    }
    if (lookupKeyword) {
      const tok = lookup(lit);
      if (tok !== 'IDENT') return { tok, pos, lit: '' };
    }
    return { tok: 'IDENT', pos, lit };
  }

  private scanBareIdent(): string {
    let out = '';
    for (;;) {
      const ch = this.read();
      // EOF ends the identifier and is consumed, which moves the next EOF one character on.
      if (ch === EOF) break;
      if (!isIdentChar(ch)) {
        this.unread();
        break;
      }
      out += String.fromCodePoint(ch);
    }
    return out;
  }

  /** Reads a string quoted by the character just read ('…' or "…"), with `\n \\ \' \"` escapes. */
  private scanString(): Token {
    this.unread();
    let pos = this.currPos();
    const ending = this.read();
    let out = '';
    for (;;) {
      const ch0 = this.read();
      if (ch0 === ending) return { tok: 'STRING', pos, lit: out };
      if (ch0 === EOF || ch0 === NL) return { tok: 'BADSTRING', pos, lit: out };
      if (ch0 === 92) {
        const ch1 = this.read();
        if (ch1 === 110) out += '\n';
        else if (ch1 === 92) out += '\\';
        else if (ch1 === 34) out += '"';
        else if (ch1 === 39) out += "'";
        else {
          pos = this.currPos();
          // InfluxDB prints EOF as the NUL character here.
          return { tok: 'BADESCAPE', pos, lit: `\\${ch1 === EOF ? '\u0000' : String.fromCodePoint(ch1)}` };
        }
      } else out += String.fromCodePoint(ch0);
    }
  }

  private scanNumber(): Token {
    const start = this.chAt(this.k - 1);
    const pos = this.currPos();
    if (start === 46) {
      const ch1 = this.read();
      this.unread();
      if (!isDigit(ch1)) return { tok: 'ILLEGAL', pos, lit: '.' };
    }
    this.unread();
    let lit = this.scanDigits();
    let isDecimal = false;
    if (this.read() === 46) {
      isDecimal = true;
      const ch1 = this.read();
      if (isDigit(ch1)) lit += `.${String.fromCodePoint(ch1)}${this.scanDigits()}`;
      else this.unread();
    } else this.unread();

    if (isDecimal) return { tok: 'NUMBER', pos, lit };
    const ch0 = this.read();
    if (!isDurationChar(ch0)) {
      this.unread();
      return { tok: 'INTEGER', pos, lit };
    }
    lit += String.fromCodePoint(ch0);
    for (;;) {
      const ch1 = this.read();
      if (!isDurationChar(ch1)) {
        this.unread();
        break;
      }
      lit += String.fromCodePoint(ch1);
    }
    for (;;) {
      const ch1 = this.read();
      if (!isDurationChar(ch1) && !isDigit(ch1)) {
        this.unread();
        break;
      }
      lit += String.fromCodePoint(ch1);
    }
    return { tok: 'DURATIONVAL', pos, lit };
  }

  private scanDigits(): string {
    let out = '';
    for (;;) {
      const ch = this.read();
      if (!isDigit(ch)) {
        this.unread();
        return out;
      }
      out += String.fromCodePoint(ch);
    }
  }
}

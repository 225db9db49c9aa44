/**
 * The line scanner behind parseLineProtocol: one point per call, a single pass with charCodeAt, no regex
 * on the hot path, substrings only for what ends up in the point.
 */
import type { FieldValue } from '../../core/point.js';
import { unescapeName, unescapeString } from './escape.js';
import {
  digitsWithin,
  INT64_MAX_DIGITS,
  INT64_MIN_DIGITS,
  isPrecision,
  POW10,
  type Precision,
  TIME_RANGE_TEXT,
  timestampMicros,
  UINT64_MAX_DIGITS,
} from './numbers.js';
import type { LpPoint } from './types.js';

const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQUALS = 61;
const BACKSLASH = 92;

const VALUE_HINT = 'expected a number (1.5, 2i, 3u), a "quoted string" or a boolean (t, true, f, false)';

/** Whether `text` is `s[start, end)`; a plain loop, as String#startsWith costs more on names this short. */
function sameText(text: string, s: string, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) !== s.charCodeAt(start + k)) return false;
  return true;
}

/** Sets `obj[key]`, also when key is `__proto__` (a plain assignment would replace the prototype). */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else obj[key] = value;
}

/** Shows a value as it appeared, for messages. */
function quoteToken(s: string, from: number, to: number): string {
  return JSON.stringify(to - from > 40 ? `${s.slice(from, from + 40)}…` : s.slice(from, to));
}

/**
 * Scans one point at a time. The scanner's results (line end, error and where it is, number kind) live on
 * the instance so the hot path returns plain values and allocates nothing it does not keep.
 */
export class LineParser {
  /** Index of the `\n` that ends the last parsed point (or the input's length). */
  end = 0;
  /** Newlines inside string values of the last point. */
  newlines = 0;
  error = '';
  errorAt = 0;
  /** 0 float, 1 `i`, 2 `u`: what the last number() call read. */
  private kind = 0;
  private readonly n: number;
  /** Checked once: callers outside TypeScript may pass anything. */
  private readonly precisionKnown: boolean;
  /**
   * The names of the previous line by position (measurement; tag key, value, key, value…; field keys). Lines
   * of a batch mostly repeat them, and handing V8 the very same string again spares a substring and the
   * hashing it needs to use a new string as a property key (the largest cost in profiles of wide lines).
   */
  private measurement = '';
  private readonly tagNames: string[] = [];
  private readonly fieldNames: string[] = [];

  constructor(
    private readonly s: string,
    private readonly precision: Precision,
  ) {
    this.n = s.length;
    this.precisionKnown = isPrecision(precision);
  }

  /** `s[start, end)` (which holds no escapes), as the same string as last time when it is unchanged. */
  private recall(cache: string[], slot: number, start: number, end: number): string {
    const last = cache[slot];
    if (last !== undefined && sameText(last, this.s, start, end)) return last;
    const name = this.s.slice(start, end);
    cache[slot] = name;
    return name;
  }

  private fail(at: number, message: string): undefined {
    this.errorAt = at;
    this.error = message;
    return undefined;
  }

  /** Whether a CR at `i` ends the line (CR LF, or CR at the end of the input). */
  private crEnds(i: number): boolean {
    return i + 1 === this.n || this.s.charCodeAt(i + 1) === LF;
  }

  /** A backslash at `i` must escape something on the same line. */
  private badEscape(i: number): boolean {
    const j = i + 1;
    if (j >= this.n) return true;
    const c = this.s.charCodeAt(j);
    return c === LF || (c === CR && this.crEnds(j));
  }

  /** Index of the first delimiter (`,`, space, end of line) at or after `i`, for messages. */
  private tokenEnd(i: number): number {
    const s = this.s;
    for (; i < this.n; i++) {
      const c = s.charCodeAt(i);
      if (c === COMMA || c === SPACE || c === LF || (c === CR && this.crEnds(i))) break;
    }
    return i;
  }

  line(start: number): LpPoint | undefined {
    const s = this.s;
    const n = this.n;
    let i = start;
    let c = 0;
    let escaped = false;

    // Measurement: up to an unescaped comma (tags follow) or space (fields follow).
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c === COMMA || c === SPACE || c === LF) break;
      if (c === BACKSLASH) {
        if (this.badEscape(i)) return this.fail(i, 'a backslash at the end of the line escapes nothing');
        escaped = true;
        i++;
      } else if (c === CR && this.crEnds(i)) {
        c = LF;
        break;
      }
    }
    if (i >= n) c = LF;
    if (i === start) return this.fail(i, 'measurement is empty: the line starts with a comma');
    let measurement: string;
    if (escaped) measurement = unescapeName(s, start, i, false);
    else if (sameText(this.measurement, s, start, i)) {
      measurement = this.measurement;
    } else measurement = this.measurement = s.slice(start, i);
    if (c === LF)
      return this.fail(i, `missing fields: a point needs at least one, like "${measurement} value=1"`);

    const tags: Record<string, string> = {};
    const tagNames = this.tagNames;
    let tagCount = 0;
    while (c === COMMA) {
      const keyStart = ++i;
      escaped = false;
      for (; i < n; i++) {
        c = s.charCodeAt(i);
        if (c === EQUALS || c === COMMA || c === SPACE || c === LF) break;
        if (c === BACKSLASH) {
          if (this.badEscape(i)) return this.fail(i, 'a backslash at the end of the line escapes nothing');
          escaped = true;
          i++;
        } else if (c === CR && this.crEnds(i)) {
          c = LF;
          break;
        }
      }
      if (i >= n) c = LF;
      if (i === keyStart) return this.fail(i, 'tag key is empty');
      const slot = 2 * tagCount;
      let key: string;
      if (escaped) key = tagNames[slot] = unescapeName(s, keyStart, i, true);
      else key = this.recall(tagNames, slot, keyStart, i);
      if (c !== EQUALS) return this.fail(i, `tag key "${key}" has no "=value"`);
      const valueStart = ++i;
      escaped = false;
      for (; i < n; i++) {
        c = s.charCodeAt(i);
        if (c === COMMA || c === SPACE || c === LF) break;
        if (c === BACKSLASH) {
          if (this.badEscape(i)) return this.fail(i, 'a backslash at the end of the line escapes nothing');
          escaped = true;
          i++;
        } else if (c === EQUALS) {
          return this.fail(i, `unescaped "=" in the value of tag "${key}"; write it as \\=`);
        } else if (c === CR && this.crEnds(i)) {
          c = LF;
          break;
        }
      }
      if (i >= n) c = LF;
      if (i === valueStart) {
        return this.fail(i, `tag "${key}" has an empty value; InfluxDB refuses "${key}=", leave the tag out`);
      }
      if (tagCount < 16) {
        for (let k = 0; k < slot; k += 2) {
          if (tagNames[k] === key) return this.fail(keyStart, `duplicate tag key "${key}"`);
        }
      } else if (Object.hasOwn(tags, key)) return this.fail(keyStart, `duplicate tag key "${key}"`);
      let value: string;
      if (escaped) value = tagNames[slot + 1] = unescapeName(s, valueStart, i, true);
      else value = this.recall(tagNames, slot + 1, valueStart, i);
      put(tags, key, value);
      tagCount++;
      if (c === LF)
        return this.fail(i, `missing fields: a point needs at least one, like "${measurement} value=1"`);
    }

    // Fields, after one or more spaces.
    while (i < n && s.charCodeAt(i) === SPACE) i++;
    c = i < n ? s.charCodeAt(i) : LF;
    if (c === LF || (c === CR && this.crEnds(i))) {
      return this.fail(i, `missing fields: a point needs at least one, like "${measurement} value=1"`);
    }
    const fields: Record<string, FieldValue> = {};
    let intFields: Record<string, 'i' | 'u'> | undefined;
    const fieldNames = this.fieldNames;
    for (let fieldCount = 0; ; fieldCount++) {
      const keyStart = i;
      escaped = false;
      for (; i < n; i++) {
        c = s.charCodeAt(i);
        if (c === EQUALS || c === COMMA || c === SPACE || c === LF) break;
        if (c === BACKSLASH) {
          if (this.badEscape(i)) return this.fail(i, 'a backslash at the end of the line escapes nothing');
          escaped = true;
          i++;
        } else if (c === CR && this.crEnds(i)) {
          c = LF;
          break;
        }
      }
      if (i >= n) c = LF;
      if (i === keyStart) return this.fail(i, 'field key is empty');
      let key: string;
      if (escaped) key = fieldNames[fieldCount] = unescapeName(s, keyStart, i, true);
      else key = this.recall(fieldNames, fieldCount, keyStart, i);
      if (c !== EQUALS) return this.fail(i, `field key "${key}" has no "=value"`);
      i++;
      c = i < n ? s.charCodeAt(i) : LF;
      let value: FieldValue;
      if ((c >= 48 && c <= 57) || c === MINUS || c === DOT) {
        const v = this.number(i, key);
        if (v === undefined) return undefined;
        value = v;
        i = this.end;
        if (this.kind !== 0) {
          intFields ??= {};
          put(intFields, key, this.kind === 1 ? 'i' : 'u');
        } else if (intFields !== undefined && Object.hasOwn(intFields, key)) delete intFields[key];
      } else {
        if (c === QUOTE) {
          const v = this.string(i, key);
          if (v === undefined) return undefined;
          value = v;
          i = this.end;
        } else {
          const e = this.tokenEnd(i);
          if (e === i) return this.fail(i, `field "${key}" has no value`);
          const b = boolean(s, i, e);
          if (b === undefined) {
            const word = s.slice(i, e);
            return this.fail(
              i,
              /^[+-]?(nan|inf|infinity)$/i.test(word)
                ? `NaN and Infinity are not valid field values (field "${key}")`
                : `invalid value ${quoteToken(s, i, e)} for field "${key}": ${VALUE_HINT}`,
            );
          }
          value = b;
          i = e;
        }
        if (intFields !== undefined && Object.hasOwn(intFields, key)) delete intFields[key];
      }
      put(fields, key, value);
      c = i < n ? s.charCodeAt(i) : LF;
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === SPACE || c === LF || (c === CR && this.crEnds(i))) break;
      return this.fail(
        i,
        `unexpected ${quoteToken(s, i, this.tokenEnd(i))} after the value of field "${key}"`,
      );
    }
    if (intFields !== undefined && Object.keys(intFields).length === 0) intFields = undefined;

    // Optional timestamp, then nothing but spaces.
    while (i < n && s.charCodeAt(i) === SPACE) i++;
    let time: number | undefined;
    c = i < n ? s.charCodeAt(i) : LF;
    if (c !== LF && !(c === CR && this.crEnds(i))) {
      const t = this.timestamp(i);
      if (t === undefined) return undefined;
      time = t;
      i = this.end;
    }
    // `i` is at the line end: LF, CR of CR LF, or the input's end.
    this.end = i < n && s.charCodeAt(i) === CR ? i + 1 : i;
    return intFields === undefined
      ? { measurement, tags, fields, time }
      : { measurement, tags, fields, intFields, time };
  }

  /** Reads `"…"` at `i`, which may span lines; sets `end` past the closing quote. */
  private string(i: number, key: string): string | undefined {
    const s = this.s;
    const n = this.n;
    const open = i;
    let escaped = false;
    let newlines = 0;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        i++;
        if (i < n && s.charCodeAt(i) === LF) newlines++;
      } else if (c === LF) newlines++;
    }
    if (i >= n) return this.fail(open, `unterminated string value for field "${key}": no closing quote`);
    this.newlines += newlines;
    this.end = i + 1;
    return escaped ? unescapeString(s, open + 1, i) : s.slice(open + 1, i);
  }

  /** Reads a float, `123i` or `123u` at `i`; sets `end` and `kind`. */
  private number(i: number, key: string): number | undefined {
    const s = this.s;
    const n = this.n;
    const start = i;
    let c = s.charCodeAt(i);
    const negative = c === MINUS;
    if (negative) i++;
    const intStart = i;
    let m = 0;
    let digits = 0;
    let fraction = 0;
    for (; i < n; i++) {
      c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      m = m * 10 + c;
    }
    const intEnd = i;
    digits = intEnd - intStart;
    let dot = false;
    if (i < n && s.charCodeAt(i) === DOT) {
      dot = true;
      for (i++; i < n; i++) {
        c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        m = m * 10 + c;
        fraction++;
      }
      digits += fraction;
    }
    let exponent = 0;
    let hasExponent = false;
    if (digits > 0 && i < n && (s.charCodeAt(i) | 0x20) === 101) {
      hasExponent = true;
      i++;
      let expNegative = false;
      c = i < n ? s.charCodeAt(i) : 0;
      if (c === MINUS || c === 43) {
        expNegative = c === MINUS;
        i++;
      }
      const expStart = i;
      for (; i < n; i++) {
        c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (exponent < 100_000) exponent = exponent * 10 + c;
      }
      if (i === expStart) digits = 0;
      if (expNegative) exponent = -exponent;
    }
    const numberEnd = i;
    let kind = 0;
    if (i < n) {
      c = s.charCodeAt(i);
      if (c === 105) kind = 1;
      else if (c === 117) kind = 2;
      if (kind !== 0) i++;
    }
    c = i < n ? s.charCodeAt(i) : LF;
    if (digits === 0 || !(c === COMMA || c === SPACE || c === LF || (c === CR && this.crEnds(i)))) {
      const e = this.tokenEnd(start);
      if (/^-(nan|inf|infinity)$/i.test(s.slice(start, e))) {
        return this.fail(start, `NaN and Infinity are not valid field values (field "${key}")`);
      }
      return this.fail(start, `invalid number ${quoteToken(s, start, e)} for field "${key}"`);
    }
    this.end = i;
    this.kind = kind;
    if (kind === 0) {
      let v: number;
      const e10 = exponent - fraction;
      if (m <= Number.MAX_SAFE_INTEGER && e10 >= -22 && e10 <= 22) {
        v = e10 === 0 ? m : e10 < 0 ? m / (POW10[-e10] as number) : m * (POW10[e10] as number);
        if (negative) v = -v;
      } else v = Number(s.slice(start, numberEnd));
      if (!Number.isFinite(v)) {
        return this.fail(
          start,
          `float ${quoteToken(s, start, numberEnd)} for field "${key}" is out of range`,
        );
      }
      return v;
    }
    const suffix = kind === 1 ? 'i' : 'u';
    if (dot || hasExponent) {
      return this.fail(
        start,
        `integer ${quoteToken(s, start, i)} for field "${key}" has a fraction or exponent; write ${suffix} only after whole numbers`,
      );
    }
    if (kind === 2 && negative) {
      return this.fail(start, `unsigned integer ${quoteToken(s, start, i)} for field "${key}" is negative`);
    }
    const limit = kind === 2 ? UINT64_MAX_DIGITS : negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS;
    if (!digitsWithin(s, intStart, intEnd, limit)) {
      return this.fail(
        start,
        `integer ${quoteToken(s, start, i)} for field "${key}" is outside the ${kind === 2 ? 'uint64' : 'int64'} range`,
      );
    }
    // Beyond 2^53 Number() rounds the digits correctly; accumulating them digit by digit would not.
    const v = m <= Number.MAX_SAFE_INTEGER ? m : Number(s.slice(intStart, intEnd));
    return negative && v !== 0 ? -v : v;
  }

  /** Reads an integer timestamp at `i` and the spaces after it; sets `end` at the line end. */
  private timestamp(i: number): number | undefined {
    const s = this.s;
    const n = this.n;
    const start = i;
    const negative = s.charCodeAt(i) === MINUS;
    if (negative) i++;
    const digitStart = i;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
    }
    const digitEnd = i;
    while (i < n && s.charCodeAt(i) === SPACE) i++;
    const c = i < n ? s.charCodeAt(i) : LF;
    if (digitEnd === digitStart || !(c === LF || (c === CR && this.crEnds(i)))) {
      if (digitEnd === digitStart || i === digitEnd) {
        const e = this.tokenEnd(start);
        return this.fail(start, `invalid timestamp ${quoteToken(s, start, e)}: expected an integer`);
      }
      return this.fail(i, `unexpected ${quoteToken(s, i, this.tokenEnd(i))} after the timestamp`);
    }
    if (!this.precisionKnown) {
      return this.fail(start, `unknown precision "${this.precision}"; use ns, us, ms, s, m or h`);
    }
    const us = timestampMicros(s, digitStart, digitEnd, negative, this.precision);
    if (Number.isNaN(us)) {
      return this.fail(
        start,
        `timestamp ${quoteToken(s, start, digitEnd)} (precision ${this.precision}) is out of range: times must fall within ${TIME_RANGE_TEXT}`,
      );
    }
    this.end = i;
    return us;
  }
}

/** t T true True TRUE f F false False FALSE, as InfluxDB spells booleans; undefined for anything else. */
function boolean(s: string, from: number, to: number): boolean | undefined {
  const len = to - from;
  const c = s.charCodeAt(from);
  if (len === 1) return c === 116 || c === 84 ? true : c === 102 || c === 70 ? false : undefined;
  if (len === 4) {
    if (s.startsWith('true', from) || s.startsWith('True', from) || s.startsWith('TRUE', from)) return true;
  } else if (len === 5) {
    if (s.startsWith('false', from) || s.startsWith('False', from) || s.startsWith('FALSE', from))
      return false;
  }
  return undefined;
}

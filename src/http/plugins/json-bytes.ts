/**
 * JSON text written as bytes into buffers, numbers without making strings: a 1,000-series answer in
 * 1-minute buckets has 1.44 million values, and building its text as strings (String() per number, a
 * string per series, then its UTF-8 copy) took three times as long as writing the digits where they go.
 *
 * A number is written as JavaScript's String() writes it (the shortest text that reads back as the same
 * double, which is also what JSON.stringify and InfluxDB's Go encoder write). Integers below 10^15 and
 * decimals with up to six places whose digits make an integer below 10^15 (sensor readings, their min, max,
 * first, last) are written digit by digit; any other number through String().
 */

/** The bytes of JSON punctuation. */
export const CHAR = {
  minus: 0x2d,
  dot: 0x2e,
  zero: 0x30,
  comma: 0x2c,
  open: 0x5b,
  close: 0x5d,
  closeBrace: 0x7d,
} as const;

/** Powers of ten for the decimal places tried (exact doubles). */
const TENS = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];
const MAX_PLACES = TENS.length - 1;
/** Below 2^53 / 8: a decimal with this many digits is the only one of its length that reads back as v. */
const DIGITS_LIMIT = 1e15;
/** The longest text String() gives a number (`-1.2345678901234567e-308`), with room to spare. */
const NUMBER_ROOM = 32;
const NULL = Buffer.from('null');

export class JsonBytes {
  #buf: Buffer;
  #off = 0;
  readonly #size: number;
  readonly #full: Buffer[] = [];

  /** `size`: bytes per buffer handed out by take() (a longer single write gets a buffer of its own size). */
  constructor(size: number) {
    this.#size = size;
    this.#buf = Buffer.allocUnsafe(size);
  }

  /** Bytes written since the last take(). */
  get length(): number {
    let n = this.#off;
    for (const b of this.#full) n += b.length;
    return n;
  }

  /** The buffers filled since the last take, in order; what the current one holds stays. */
  takeFull(): Buffer[] {
    return this.#full.splice(0);
  }

  /** Everything written since the last take, as buffers in order (views, not copies). */
  take(): Buffer[] {
    const out = this.#full.splice(0);
    if (this.#off > 0) out.push(this.#buf.subarray(0, this.#off));
    this.#buf = Buffer.allocUnsafe(this.#size);
    this.#off = 0;
    return out;
  }

  /** Makes room for n more bytes in the current buffer. */
  #room(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    if (this.#off > 0) this.#full.push(this.#buf.subarray(0, this.#off));
    this.#buf = Buffer.allocUnsafe(Math.max(this.#size, n));
    this.#off = 0;
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#off++] = b;
  }

  bytes(src: Uint8Array, from = 0, to = src.length): void {
    const n = to - from;
    this.#room(n);
    const buf = this.#buf;
    let off = this.#off;
    // Short copies (a row's time) are faster by hand than through a typed-array call.
    if (n < 64) for (let i = from; i < to; i++) buf[off++] = src[i] as number;
    else {
      buf.set(src.subarray(from, to), off);
      off += n;
    }
    this.#off = off;
  }

  /** A string's UTF-8 bytes, as they are (the caller makes it JSON). */
  text(s: string): void {
    this.#room(s.length * 3);
    this.#off += this.#buf.write(s, this.#off, 'utf8');
  }

  /** A JSON value: numbers as String() writes them (non-finite as null), strings quoted and escaped. */
  value(v: unknown): void {
    if (typeof v === 'number') this.number(v);
    else if (v === null || v === undefined) this.bytes(NULL);
    else if (typeof v === 'boolean') this.text(v ? 'true' : 'false');
    else this.text(JSON.stringify(v));
  }

  number(v: number): void {
    this.#room(NUMBER_ROOM);
    this.#off = writeNumber(this.#buf, this.#off, v);
  }
}

/** Writes v at off as JSON.stringify would (non-finite: null); returns the offset after it. */
function writeNumber(buf: Buffer, off: number, v: number): number {
  if (!Number.isFinite(v)) return off + NULL.copy(buf, off);
  const a = v < 0 ? -v : v;
  if (Number.isInteger(a)) {
    if (a < DIGITS_LIMIT) {
      if (v < 0) buf[off++] = CHAR.minus;
      return writeDigits(buf, off, a, 0);
    }
  } else if (a >= 1e-6 && a < 1e9) {
    // The fewest decimal places whose rounding reads back as a: that decimal is String()'s text.
    // (a * 10^k is within far less than 0.5 of the decimal's digits, and m / 10^k is correctly rounded.)
    for (let k = 1; k <= MAX_PLACES; k++) {
      const p = TENS[k] as number;
      const m = Math.round(a * p);
      if (m >= DIGITS_LIMIT) break;
      if (m / p === a) {
        if (v < 0) buf[off++] = CHAR.minus;
        return writeDigits(buf, off, m, k);
      }
    }
  }
  return off + buf.write(String(v), off, 'latin1');
}

/** Writes the integer m (≥ 0) with `places` decimal places (m / 10^places), e.g. 5, 3 → 0.005. */
function writeDigits(buf: Buffer, off: number, m: number, places: number): number {
  let digits = 1;
  for (let x = m; x >= 10; x = Math.floor(x / 10)) digits++;
  if (digits <= places) {
    buf[off++] = CHAR.zero;
    buf[off++] = CHAR.dot;
    for (let z = digits; z < places; z++) buf[off++] = CHAR.zero;
    places = 0;
  }
  const end = off + digits + (places > 0 ? 1 : 0);
  let i = end - 1;
  for (let d = 0; d < digits; d++) {
    if (places > 0 && d === places) buf[i--] = CHAR.dot;
    const q = Math.floor(m / 10);
    buf[i--] = CHAR.zero + (m - q * 10);
    m = q;
  }
  return end;
}

/**
 * JSON text written as bytes into buffers, numbers without making strings: a 1,000-series answer in
 * 1-minute buckets has 1.44 million values, and building its text as strings (String() per number, a
 * string per series, then its UTF-8 copy) took three times as long as writing the digits where they go.
 *
 * A number is written as JavaScript's String() writes it (the shortest text that reads back as the same
 * double, which is also what JSON.stringify and InfluxDB's Go encoder write). Integers below 10^15 and
 * non-integers from 10^-6 to 10^15 are written digit by digit (writeDecimal: readings, and the 16- and
 * 17-digit means of a GROUP BY time, at about half what String() costs); other numbers, and the rare
 * ties the digit path leaves open, through String().
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

/** Below 2^53 / 8: a decimal with this many digits is the only one of its length that reads back as v. */
const DIGITS_LIMIT = 1e15;
/** The longest text String() gives a number (`-1.2345678901234567e-308`), with room to spare. */
export const NUMBER_ROOM = 32;
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

  /**
   * For a caller writing in place (a hot loop): the current buffer, with room for n more bytes from
   * `offset`; it sets `offset` past what it wrote.
   */
  reserve(n: number): Buffer {
    this.#room(n);
    return this.#buf;
  }

  get offset(): number {
    return this.#off;
  }

  set offset(off: number) {
    this.#off = off;
  }
}

/** Writes v at off as JSON.stringify would (non-finite: null); returns the offset after it. */
export function writeNumber(buf: Buffer, off: number, v: number): number {
  if (!Number.isFinite(v)) return off + NULL.copy(buf, off);
  const a = v < 0 ? -v : v;
  const at = v < 0 ? off + 1 : off;
  let end = -1;
  if (Number.isInteger(a)) {
    if (a < DIGITS_LIMIT) end = writeDigits(buf, at, a, 0);
  } else if (a >= 1e-6 && a < DIGITS_LIMIT) end = writeDecimal(buf, at, a);
  if (end < 0) return off + buf.write(String(v), off, 'latin1');
  if (v < 0) buf[off] = CHAR.minus;
  return end;
}

/** 10^k for k = 0…22: the powers of ten that are exact doubles. */
const TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** 10^e for e = -7…16, as the doubles nearest them (POWER[e + 7]). */
const POWER = Array.from({ length: 24 }, (_, i) => Number(`1e${i - 7}`));
/** Their Veltkamp splits (high and low halves of 26 bits, exact products with a split half). */
const SPLITTER = 2 ** 27 + 1;
const TEN_HI = TEN.map((t) => SPLITTER * t - (SPLITTER * t - t));
const TEN_LO = TEN.map((t, k) => t - (TEN_HI[k] as number));
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;
/** Digits of the 17-digit path, before the point is placed. */
const SCRATCH = new Uint8Array(24);

/** a × 10^k exactly, as hi + lo (Dekker's product: no rounding is lost). */
let productLo = 0;
function exactProduct(a: number, k: number): number {
  const b = TEN[k] as number;
  const hi = a * b;
  const c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  const bh = TEN_HI[k] as number;
  const bl = TEN_LO[k] as number;
  productLo = ah * bh - hi + ah * bl + al * bh + al * bl;
  return hi;
}

/**
 * A non-integer a in [1e-6, 1e15) as String() writes it, or -1 when this cannot tell (then String()).
 * String() writes the fewest significant digits that read back as a, and of those the decimal nearest a.
 * - 15 digits or fewer: decimals of 15 digits are further apart than a's neighbours, so at most one reads
 *   back as a, and its trailing zeros cut off give the shortest. round(a × 10^k) finds it: the product's
 *   rounding error (< 2^50 · 2^-53) is far below the half unit that separates it from its neighbours.
 *   Whether it reads back is exact to test: m / 10^k with m and 10^k exact doubles is correctly rounded.
 * - 16: the decimal nearest a, from a × 10^k computed exactly (hi + lo); tested the same way while it is
 *   below 2^53. (Its neighbour cannot read back when it does not: a's rounding interval is symmetric
 *   except at powers of two, and those in this range have at most 14 digits.)
 * - 17: the decimal nearest a always reads back (its error, at most 5e-17 · a, is below half an ulp).
 * An exact or near tie between two decimals is left to String().
 */
function writeDecimal(buf: Buffer, off: number, a: number): number {
  const e = decimalExponent(a);
  let k = 14 - e;
  let m = Math.round(a * (TEN[k] as number));
  if (m < 1e14 || m > 1e15) return -1;
  if (m / (TEN[k] as number) === a) {
    // A reading's few decimals: the last 8 of the 15 digits are zeros, cut off at once.
    const high = Math.round(m * 1e-8);
    if (k >= 8 && high * 1e8 === m) {
      let x = high;
      k -= 8;
      while (k > 0 && x % 10 === 0) {
        x /= 10;
        k--;
      }
      return writeDigits(buf, off, x, k);
    }
    let digits = scratchDigits(m);
    while (k > 0 && SCRATCH[digits - 1] === CHAR.zero) {
      digits--;
      k--;
    }
    return writeScratch(buf, off, digits, k);
  }
  k = 15 - e;
  let hi = exactProduct(a, k);
  if (hi < TWO_52) {
    const f = Math.floor(hi);
    const frac = hi - f + productLo;
    if (Math.abs(frac - 0.5) < 1e-9) return -1;
    m = frac > 0.5 ? f + 1 : f;
  } else {
    const r = Math.round(productLo);
    if (Math.abs(productLo - r) === 0.5) return -1;
    m = hi + r;
  }
  if (m >= TWO_53) return -1;
  if (m / (TEN[k] as number) === a) return writeDigits(buf, off, m, k);
  k = 16 - e;
  hi = exactProduct(a, k);
  const r = Math.round(productLo);
  if (!(hi >= 1e16 && hi < 1e17) || Math.abs(productLo - r) === 0.5) return -1;
  // hi + r has 17 digits, past 2^53: as 9 digits and 8.
  let q = Math.floor(hi * 1e-8);
  // q * 1e8 and the difference are exact. The product is never below q (1e-8 reads as a little more), so
  // only a negative r can borrow; r is at most half of hi's ulp, so nothing carries.
  let rest = hi - q * 1e8 + r;
  if (rest < 0) {
    q--;
    rest += 1e8;
  }
  if (q < 1e8 || q >= 1e9) return -1;
  putDigits(rest, 17, 8);
  putDigits(q, 9, 9);
  return writeScratch(buf, off, 17, k);
}

/** How many digits an integer in [0, 10^8) has. */
function digitCount(x: number): number {
  if (x < 1e4) return x < 10 ? 1 : x < 100 ? 2 : x < 1e3 ? 3 : 4;
  return x < 1e5 ? 5 : x < 1e6 ? 6 : x < 1e7 ? 7 : 8;
}

/**
 * Puts the n lowest digits of x (an integer below 2^31) into SCRATCH, ending before `end`. Integer
 * arithmetic on purpose: a double division per digit made 16-digit numbers cost more than String().
 */
function putDigits(x: number, end: number, n: number): void {
  let v = x | 0;
  let i = end - 1;
  const stop = end - n;
  for (; i > stop; i -= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    SCRATCH[i] = PAIRS[r + 1] as number;
    SCRATCH[i - 1] = PAIRS[r] as number;
    v = q;
  }
  if (i === stop) SCRATCH[i] = CHAR.zero + v - ((v / 10) | 0) * 10;
}

/** The digits of 00 to 99, two bytes each. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) =>
  i % 2 === 0 ? CHAR.zero + Math.floor(i / 20) : CHAR.zero + ((i >> 1) % 10),
);

/** Writes the integer m (0 ≤ m < 2^53) with `places` decimal places (m / 10^places), e.g. 5, 3 → 0.005. */
function writeDigits(buf: Buffer, off: number, m: number, places: number): number {
  return writeScratch(buf, off, scratchDigits(m), places);
}

/** Puts the digits of the integer m (0 ≤ m < 2^53) into SCRATCH; returns how many. */
function scratchDigits(m: number): number {
  if (m < 1e8) {
    const digits = digitCount(m);
    putDigits(m, digits, digits);
    return digits;
  }
  // Halves of at most 8 digits each, split with a multiplication (and a correction) instead of a division.
  let high = Math.floor(m * 1e-8);
  let low = m - high * 1e8;
  if (low < 0) {
    high--;
    low += 1e8;
  } else if (low >= 1e8) {
    high++;
    low -= 1e8;
  }
  const digits = 8 + digitCount(high);
  putDigits(low, digits, 8);
  putDigits(high, digits - 8, digits - 8);
  return digits;
}

/**
 * The decimal exponent e of a (10^e ≤ a < 10^(e + 1), against the doubles nearest the powers). The
 * values of an answer mostly share one: the last is tried first.
 */
let lastExponent = 0;
function decimalExponent(a: number): number {
  let e = lastExponent;
  if (a >= (POWER[e + 7] as number) && a < (POWER[e + 8] as number)) return e;
  e = Math.floor(Math.log10(a));
  if (a < (POWER[e + 7] as number)) e--;
  else if (a >= (POWER[e + 8] as number)) e++;
  lastExponent = e;
  return e;
}

/** Writes SCRATCH's first `digits` digits as a decimal with `places` of them after the point. */
function writeScratch(buf: Buffer, off: number, digits: number, places: number): number {
  if (digits <= places) {
    buf[off++] = CHAR.zero;
    buf[off++] = CHAR.dot;
    for (let z = digits; z < places; z++) buf[off++] = CHAR.zero;
    for (let i = 0; i < digits; i++) buf[off++] = SCRATCH[i] as number;
    return off;
  }
  const point = digits - places;
  for (let i = 0; i < point; i++) buf[off++] = SCRATCH[i] as number;
  if (places === 0) return off;
  buf[off++] = CHAR.dot;
  for (let i = point; i < digits; i++) buf[off++] = SCRATCH[i] as number;
  return off;
}

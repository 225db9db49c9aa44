/**
 * Exact number conversions for the line protocol scanner: timestamps to epoch microseconds without BigInt,
 * the int64 / uint64 range checks on digit strings, and a correctly rounded fast path for short decimals.
 */

/** Timestamp units of the `precision` write parameter (`u` is InfluxDB 1.x's spelling of `us`). */
export type Precision = 'ns' | 'us' | 'u' | 'ms' | 's' | 'm' | 'h';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Microseconds per unit, for the units coarser than a microsecond (ns: 0, handled apart). */
export const MICROS_PER_UNIT: Readonly<Record<Precision, number>> = {
  ns: 0,
  us: 1,
  u: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

export function isPrecision(value: unknown): value is Precision {
  return typeof value === 'string' && Object.hasOwn(MICROS_PER_UNIT, value);
}

/** The range a JS number holds every microsecond of, as dates, for error messages. */
export const TIME_RANGE_TEXT = `${new Date(-Math.floor(MAX_SAFE / 1000)).toISOString()} to ${new Date(
  Math.floor(MAX_SAFE / 1000),
).toISOString()}`;

/**
 * Exact powers of ten: a double holds 10^k exactly up to k = 22, which is what makes `m / 10^k` a
 * correctly rounded decimal when m < 2^53 (Clinger's fast path).
 */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of the decimal digits `s[from, to)`, exact when it is at most 2^53 - 1; anything larger comes
 * back larger than Number.MAX_SAFE_INTEGER (rounding is monotonic, so a too-large value never looks small).
 */
function digitsValue(s: string, from: number, to: number): number {
  while (from < to && s.charCodeAt(from) === 48) from++;
  if (to - from > 16) return Number.POSITIVE_INFINITY;
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/**
 * Converts the timestamp digits `s[from, to)` (sign separate) in `precision` to epoch microseconds, or NaN
 * when the result is not an exact JS integer (years ~1684–2255; InfluxDB's own int64 ns range is wider only
 * by a few years at each end). Nanoseconds are floored toward −∞, like InfluxDB's time truncation.
 */
export function timestampMicros(
  s: string,
  from: number,
  to: number,
  negative: boolean,
  precision: Precision,
): number {
  const perUnit = MICROS_PER_UNIT[precision];
  let us: number;
  if (perUnit === 0) {
    // ns: the microseconds are all digits but the last three, so 19-digit ns never need BigInt.
    const cut = to - 3;
    us = cut > from ? digitsValue(s, from, cut) : 0;
    if (negative) {
      let rest = false;
      for (let i = Math.max(cut, from); i < to; i++) if (s.charCodeAt(i) !== 48) rest = true;
      if (rest) us += 1;
    }
  } else {
    us = digitsValue(s, from, to);
    if (perUnit !== 1) us *= perUnit;
  }
  if (us > MAX_SAFE) return Number.NaN;
  return negative && us !== 0 ? -us : us;
}

export const INT64_MAX_DIGITS = '9223372036854775807';
export const INT64_MIN_DIGITS = '9223372036854775808';
export const UINT64_MAX_DIGITS = '18446744073709551615';

/** Whether the unsigned digits `s[from, to)` are at most `limit` (a digit string without leading zeros). */
export function digitsWithin(s: string, from: number, to: number, limit: string): boolean {
  while (from < to && s.charCodeAt(from) === 48) from++;
  const len = to - from;
  if (len !== limit.length) return len < limit.length;
  // Same length: plain string order is numeric order.
  return s.slice(from, to) <= limit;
}

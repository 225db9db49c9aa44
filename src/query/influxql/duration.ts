/**
 * InfluxQL durations (`5m`, `1h30m`, `100ms`, `1u`/`1µ`, `1ns`, `1d`, `1w`) as InfluxDB's ParseDuration reads
 * them: nanoseconds in an int64, so `1us` is invalid (`u` alone is the microsecond) and more than ~292 years
 * overflows. The AST keeps microseconds; below a microsecond they are fractional.
 */

/** Each unit as Go writes it, factor by factor: the int64 products wrap at each step, as Go's do. */
const FACTORS: Record<string, readonly bigint[]> = {
  ns: [],
  u: [1_000n],
  µ: [1_000n],
  ms: [1_000_000n],
  s: [1_000_000_000n],
  m: [60_000_000_000n],
  h: [3_600_000_000_000n],
  d: [24n, 3_600_000_000_000n],
  w: [7n, 24n, 3_600_000_000_000n],
};

const INT64_MAX = 2n ** 63n - 1n;
const wrap = (n: bigint) => BigInt.asIntN(64, n);

export type DurationResult =
  | { readonly ok: true; readonly micros: number }
  | { readonly ok: false; readonly error: string };

const invalid: DurationResult = { ok: false, error: 'invalid duration' };

/**
 * Parses a duration literal into microseconds, with InfluxDB's error messages. Go's int64 arithmetic is
 * kept: InfluxDB reports an overflow only when the sum ends up negative, and takes a wrapped-around
 * positive value as it is.
 */
export function parseDurationLiteral(text: string): DurationResult {
  const a = [...text];
  // InfluxDB checks the length in bytes.
  if (Buffer.byteLength(text) < 2) return invalid;
  let i = 0;
  const negative = a[0] === '-';
  if (negative) i++;
  let total = 0n;
  let measure = '';
  let unit = '';
  while (i < a.length) {
    const start = i;
    while (i < a.length && (a[i] as string) >= '0' && (a[i] as string) <= '9') i++;
    if (i >= a.length || i === start) return invalid;
    const n = BigInt(a.slice(start, i).join(''));
    if (n > INT64_MAX) return invalid;
    measure = n.toString();
    const c = a[i] as string;
    const two = c + (a[i + 1] ?? '');
    if (two === 'ns' || two === 'ms') {
      unit = two;
      i += 2;
    } else if (c === 'n') {
      return invalid;
    } else if (FACTORS[c] !== undefined) {
      unit = c;
      i++;
    } else return invalid;
    total = wrap(total + (FACTORS[unit] as bigint[]).reduce((v, f) => wrap(v * f), n));
  }
  if (total < 0n && !negative) {
    return { ok: false, error: `overflowed duration ${measure}${unit}: choose a smaller duration or INF` };
  }
  return { ok: true, micros: nanosToMicros(negative ? wrap(-total) : total) };
}

/** Nanoseconds as microseconds (fractional below one). */
export function nanosToMicros(ns: bigint): number {
  const whole = Number(ns / 1000n);
  const rest = Number(ns % 1000n);
  return rest === 0 ? whole : whole + rest / 1000;
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['w', 604_800_000_000],
  ['d', 86_400_000_000],
  ['h', 3_600_000_000],
  ['m', 60_000_000],
  ['s', 1_000_000],
  ['ms', 1_000],
  ['u', 1],
];

const EPOCH_LIKE = 1e15;

/**
 * Microseconds as the InfluxQL duration literal in the largest exact unit (`90s` → `90s`, 0 → `0s`), which
 * reads back the same; epoch-sized values stay in milliseconds or finer.
 */
export function formatDuration(micros: number): string {
  if (micros === 0) return '0s';
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  // Near the int64 limit the double is rounded up past it; the largest duration reads back as the same double.
  if (abs >= 2 ** 53 && BigInt(Math.trunc(abs)) * 1000n > INT64_MAX) return `${sign}${INT64_MAX}ns`;
  if (Number.isInteger(abs)) {
    // Past ~31 years it is an epoch time (`time > 1704067200000ms`): milliseconds read better than days.
    const units = abs >= EPOCH_LIKE ? UNITS.slice(5) : UNITS;
    for (const [unit, size] of units) {
      if (abs % size === 0) return `${sign}${BigInt(abs) / BigInt(size)}${unit}`;
    }
  }
  const whole = Math.trunc(abs);
  const ns = BigInt(whole) * 1000n + BigInt(Math.round((abs - whole) * 1000));
  return `${sign}${ns}ns`;
}

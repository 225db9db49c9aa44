/**
 * Canonical line protocol for points: tags sorted by key, the escapes InfluxDB expects, `i`/`u` suffixes
 * from `intFields`, floats in the shortest form that parses back to the same number, time in the chosen
 * precision. parseLineProtocol(formatLineProtocol(p)) gives back p.
 */
import { AppError } from '../../core/errors.js';
import type { FieldValue } from '../../core/point.js';
import { escapeName, escapeString } from './escape.js';
import { INT64_MAX_DIGITS, MICROS_PER_UNIT, type Precision, UINT64_MAX_DIGITS } from './numbers.js';
import type { LpPoint } from './types.js';

const INT64_LIMIT = 2 ** 63;
const UINT64_LIMIT = 2 ** 64;

// A line ends at a newline, so no name may hold one; a measurement may not start like a comment or with
// the blanks the parser skips at the start of a line.
const NAME_BREAK = /[\n]/;
const MEASUREMENT_START = /^[#\t]/;

function refuse(p: LpPoint, reason: string): never {
  throw new AppError(
    'ING_INVALID_POINT',
    `cannot write measurement ${JSON.stringify(p.measurement)} as line protocol: ${reason}`,
  );
}

/**
 * Escaped forms of names already seen (measurements, keys, tag values repeat across points). Bounded: a
 * stream of distinct values only costs a cleared map now and then.
 */
const CACHE_LIMIT = 10_000;
const measurementCache = new Map<string, string>();
const keyCache = new Map<string, string>();

function name(p: LpPoint, what: string, value: string, eq: boolean): string {
  const cache = eq ? keyCache : measurementCache;
  const known = cache.get(value);
  if (known !== undefined) return known;
  if (value === '') refuse(p, `${what} is empty`);
  if (NAME_BREAK.test(value)) refuse(p, `${what} ${JSON.stringify(value)} holds a newline`);
  const escaped = escapeName(value, eq);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(value, escaped);
  return escaped;
}

/**
 * One point as one line (no trailing newline). Times coarser than the point's are floored (toward −∞), as
 * InfluxDB truncates. Throws AppError ING_INVALID_POINT for what line protocol cannot say: empty names,
 * newlines in names or tag values, NaN/Infinity, non-integers marked `i`/`u`, no fields.
 */
export function formatLineProtocol(p: LpPoint, precision: Precision = 'ns'): string {
  if (MEASUREMENT_START.test(p.measurement)) {
    refuse(p, 'a measurement cannot start with "#" or a tab (the line would be a comment or trimmed)');
  }
  let line = name(p, 'the measurement', p.measurement, false);
  const tagKeys = Object.keys(p.tags);
  if (tagKeys.length > 1) tagKeys.sort();
  for (const key of tagKeys) {
    line += `,${name(p, 'a tag key', key, true)}=${name(p, `tag "${key}"`, p.tags[key] as string, true)}`;
  }
  let sep = ' ';
  for (const key of Object.keys(p.fields)) {
    const value = p.fields[key] as FieldValue;
    line += `${sep}${name(p, 'a field key', key, true)}=${fieldValue(p, key, value)}`;
    sep = ',';
  }
  if (sep === ' ') refuse(p, 'a point needs at least one field');
  if (p.time !== undefined) line += ` ${formatTime(p, p.time, precision)}`;
  return line;
}

/** Many points, one line each, every line ending in `\n` (what a write request body looks like). */
export function formatLineProtocolLines(points: Iterable<LpPoint>, precision: Precision = 'ns'): string {
  let out = '';
  for (const p of points) out += `${formatLineProtocol(p, precision)}\n`;
  return out;
}

function fieldValue(p: LpPoint, key: string, value: FieldValue): string {
  if (typeof value === 'string') return `"${escapeString(value)}"`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (!Number.isFinite(value)) refuse(p, `field "${key}" is ${value}, which line protocol cannot hold`);
  // hasOwn: a field named __proto__ would otherwise read the prototype.
  const kind = p.intFields !== undefined && Object.hasOwn(p.intFields, key) ? p.intFields[key] : undefined;
  if (kind === undefined) {
    // String() is the shortest text that reads back as the same double; -0 would lose its sign.
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (!Number.isInteger(value)) refuse(p, `field "${key}" is marked ${kind} but ${value} is not an integer`);
  if (kind === 'u') {
    if (value < 0) refuse(p, `field "${key}" is marked u but ${value} is negative`);
    // 2^64 is the double nearest to the uint64 maximum, which reads back as 2^64 again.
    return value >= UINT64_LIMIT ? `${UINT64_MAX_DIGITS}u` : `${integerDigits(value)}u`;
  }
  if (value < -INT64_LIMIT) refuse(p, `field "${key}" is marked i but ${value} is below the int64 range`);
  return value >= INT64_LIMIT ? `${INT64_MAX_DIGITS}i` : `${integerDigits(value)}i`;
}

/** The exact decimal digits of an integral double (String() writes 2^60 as 1152921504606847000). */
function integerDigits(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

function formatTime(p: LpPoint, us: number, precision: Precision): string {
  if (!Number.isSafeInteger(us)) refuse(p, `time ${us} is not an integer number of microseconds`);
  const perUnit = MICROS_PER_UNIT[precision];
  if (perUnit === undefined) refuse(p, `unknown precision "${precision}"`);
  if (perUnit === 0) return us === 0 ? '0' : `${us}000`;
  return String(perUnit === 1 ? us : Math.floor(us / perUnit));
}

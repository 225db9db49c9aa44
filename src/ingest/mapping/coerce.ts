import type { EpochMicros, FieldValue } from '../../core/point.js';
import { parsePlainValue } from '../decoders/value.js';

export type FieldTypeName = 'float' | 'int' | 'bool' | 'string';
export type TimeFormat = 'auto' | 'rfc3339' | 's' | 'ms' | 'us' | 'ns';

/** Why a value could not be coerced. */
export interface CoerceError {
  readonly error: string;
}

const fail = (error: string): CoerceError => ({ error });

/** Converts a payload value to a field of the asked type (none: keep numbers, booleans and strings). */
export function coerceField(value: unknown, type: FieldTypeName | undefined): FieldValue | CoerceError {
  if (type === undefined) {
    if (typeof value === 'number') return Number.isFinite(value) ? value : fail(`${value} is not finite`);
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    return fail(`${describe(value)} is not a number, boolean or string`);
  }
  switch (type) {
    case 'float': {
      const n = toNumber(value);
      return n ?? fail(`${describe(value)} is not a number`);
    }
    case 'int': {
      const n = toNumber(value);
      if (n === undefined) return fail(`${describe(value)} is not a number`);
      // As Telegraf's json_v2 converts a float to int: toward zero.
      return Math.trunc(n);
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === 0) return value === 1;
      if (typeof value === 'string') {
        const b = parsePlainValue(value);
        if (typeof b === 'boolean') return b;
        if (b === 1 || b === 0) return b === 1;
      }
      return fail(`${describe(value)} is not a boolean`);
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (value !== null && typeof value === 'object') return JSON.stringify(value);
      return fail(`${describe(value)} cannot be a string`);
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const v = parsePlainValue(value);
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

const UNIT_MICROS: Record<'s' | 'ms' | 'us', number> = { s: 1e6, ms: 1e3, us: 1 };

// RFC 3339 / ISO 8601 with optional fraction of any length and a zone (Z or ±hh:mm); a space may replace T.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * A payload timestamp in epoch µs, or a string saying why not. `auto` takes RFC 3339 strings, and numbers
 * (or digit strings) by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds,
 * else nanoseconds — which places every date from 1973 to 5138 correctly.
 */
export function parseTimestamp(value: unknown, format: TimeFormat): EpochMicros | string {
  if (typeof value === 'string') {
    const text = value.trim();
    if (format === 'rfc3339' || (format === 'auto' && !/^-?\d+(\.\d+)?$/.test(text)))
      return parseRfc3339(text);
    const n = Number(text);
    if (!Number.isFinite(n)) return `"${text}" is not a timestamp`;
    // ns values exceed 2^53; keep their digits exact by dropping the last three before converting.
    if ((format === 'ns' || (format === 'auto' && Math.abs(n) >= 1e17)) && /^-?\d+$/.test(text))
      return Number(BigInt(text) / 1000n) - (BigInt(text) % 1000n < 0n ? 1 : 0);
    return parseTimestamp(n, format);
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `${describe(value)} is not a timestamp (expected RFC 3339 or epoch s/ms/µs/ns)`;
  if (format === 'rfc3339') return `${value} is a number; the rule expects an RFC 3339 string`;
  let unit = format;
  if (unit === 'auto') {
    const a = Math.abs(value);
    unit = a < 1e11 ? 's' : a < 1e14 ? 'ms' : a < 1e17 ? 'us' : 'ns';
  }
  const micros = unit === 'ns' ? Math.floor(value / 1000) : Math.round(value * UNIT_MICROS[unit]);
  if (!Number.isSafeInteger(micros)) return `${value} is out of range as a timestamp`;
  return micros;
}

export function parseRfc3339(text: string): EpochMicros | string {
  const m = RFC3339.exec(text);
  if (!m) return `"${text}" is not an RFC 3339 time (e.g. 2024-05-01T12:00:00.123Z)`;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 60
  )
    return `"${text}" is not a valid date and time`;
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  // Without a zone the time is taken as UTC (devices without an RTC zone setting send UTC).
  const fracMicros = frac ? Number(`${frac}000000`.slice(0, 6)) : 0;
  return (ms - offsetMin * 60_000) * 1000 + fracMicros;
}

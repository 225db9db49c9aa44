import type { EpochMicros } from '../../core/point.js';

/**
 * Epoch microseconds ↔ PostgreSQL timestamptz. Times travel as µs integers we have validated, never through
 * JS Dates (which hold milliseconds), so every conversion here is exact.
 */

/** µs between 1970-01-01 and 2000-01-01, PostgreSQL's binary timestamp origin. */
export const PG_EPOCH_OFFSET_US = 946_684_800_000_000;

/**
 * A timestamptz literal for a safe-integer µs time, e.g. `2023-11-14T22:00:00.000001Z`. Safe integers reach
 * ±285 years from 1970 (1684–2255), always four-digit years, which PostgreSQL reads without ambiguity.
 */
export function timestampLiteral(us: EpochMicros): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const micros = String(us - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}

/** SQL that turns a timestamptz expression into epoch µs as float8 (exact for safe integers). */
export function epochMicrosSql(expression: string): string {
  return `(extract(epoch FROM ${expression}) * 1000000)::float8`;
}

/** A µs interval literal for date_bin(); intervals in µs only, so no month arithmetic is involved. */
export function intervalLiteral(us: number): string {
  return `${us} microseconds`;
}

/** Start of the UTC month holding `us`, and of the next one, both in µs. */
export function monthOf(us: EpochMicros): { start: EpochMicros; end: EpochMicros } {
  const d = new Date(Math.floor(us / 1000));
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { start: Date.UTC(y, m, 1) * 1000, end: Date.UTC(y, m + 1, 1) * 1000 };
}

import { parseDuration } from '../core/duration.js';
import type { EpochMicros } from '../core/point.js';

/**
 * Parses a time bound as the API accepts it: RFC 3339 (`2026-11-22T10:00:00Z`), epoch milliseconds
 * (`1763805600000`), `now`, or relative to now (`-5m`, `-1h30m`, `+10s`). Returns undefined when invalid.
 */
export function parseTimeBound(text: string, nowUs: EpochMicros): EpochMicros | undefined {
  const s = text.trim();
  if (s === 'now' || s === 'now()') return nowUs;
  if (/^-?\d+$/.test(s)) {
    const ms = Number(s);
    return Number.isSafeInteger(ms * 1000) ? ms * 1000 : undefined;
  }
  const rel = /^([+-])(.+)$/.exec(s);
  if (rel) {
    const ms = parseDuration(rel[2] as string);
    if (ms === undefined) return undefined;
    return nowUs + (rel[1] === '-' ? -1 : 1) * Math.round(ms * 1000);
  }
  // RFC 3339 needs a date, a time and an offset; Date.parse alone would accept "2026" or "Nov 22".
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return undefined;
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  // Date.parse keeps milliseconds; add the microseconds it drops.
  const extraUs = frac.length > 3 ? Number(frac.slice(3, 6).padEnd(3, '0')) : 0;
  return ms * 1000 + extraUs;
}

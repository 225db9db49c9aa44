import { queryError } from './evaluate.js';

/**
 * The UTC offset of an IANA zone at an instant, in µs (positive east of UTC). Buckets of a query with
 * tz() are aligned to local time by it; the offset at the start of the range is used for the whole range.
 */
export function zoneOffsetMicros(zone: string, atMicros: number): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(Math.floor(atMicros / 1000)));
  } catch {
    throw queryError(`unknown time zone '${zone}'`);
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const utc = Math.floor(atMicros / 1_000_000) * 1000;
  return (local - utc) * 1000;
}

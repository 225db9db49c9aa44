import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTime, integerText } from './influxql-api.js';

/** What formatTime must equal: Date's ISO form to the second, InfluxDB's trimmed fraction, Z. */
function reference(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const frac = micros - seconds * 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction}Z`;
}

describe('formatTime', () => {
  it('prints any time as RFC 3339 like Date#toISOString, with the fraction trimmed', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000_000, max: 4_000_000_000_000_000 }), (us) => {
        expect(formatTime(us)).toBe(reference(us));
      }),
      { numRuns: 20_000 },
    );
    expect(formatTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(formatTime(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(formatTime(1_704_067_199_500_000)).toBe('2023-12-31T23:59:59.5Z');
  });

  it('prints local time with its offset in a tz() zone', () => {
    expect(formatTime(1_704_067_200_000_000, 'Europe/Berlin')).toBe('2024-01-01T01:00:00+01:00');
    expect(formatTime(1_704_067_200_000_000, 'America/New_York')).toBe('2023-12-31T19:00:00-05:00');
  });
});

describe('integerText', () => {
  it('is String() for every safe integer, around the split and at runs of 9s', () => {
    for (const v of [0, -5, 999_999_999, 1e9, 1e9 + 1, 1_234_567_899_999_999, 8_999_999_999_999_999, 1e15]) {
      expect(integerText(v)).toBe(String(v));
    }
    expect(integerText(Number.MAX_SAFE_INTEGER)).toBe(String(Number.MAX_SAFE_INTEGER));
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: Number.MAX_SAFE_INTEGER }), (v) => {
        expect(integerText(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 90_071_992 }), (hi) => {
        const v = hi * 1e8 - 1;
        expect(integerText(v)).toBe(String(v));
      }),
    );
  });
});

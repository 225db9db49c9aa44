import { describe, expect, it } from 'vitest';
import { parseTimeBound } from './time-params.js';

const now = 1_763_805_600_000_000; // 2025-11-22T10:00:00Z in µs

describe('parseTimeBound', () => {
  it('accepts relative, now, epoch ms and RFC 3339', () => {
    expect(parseTimeBound('-5m', now)).toBe(now - 300_000_000);
    expect(parseTimeBound('-1h30m', now)).toBe(now - 5_400_000_000);
    expect(parseTimeBound('now', now)).toBe(now);
    expect(parseTimeBound('1763805600000', now)).toBe(now);
    expect(parseTimeBound('2025-11-22T10:00:00Z', now)).toBe(now);
    expect(parseTimeBound('2025-11-22T11:00:00.000123+01:00', now)).toBe(now + 123);
  });
  it('refuses loose dates and garbage', () => {
    for (const bad of ['Nov 22 2025', '-5x', 'yesterday', '', '2025-11-22T10:00:00']) {
      expect(parseTimeBound(bad, now), bad).toBeUndefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber } from './messages.js';

describe('transition messages', () => {
  it('formats values with at most 6 significant digits', () => {
    expect(formatNumber(3120)).toBe('3120');
    expect(formatNumber(2683.333333)).toBe('2683.33');
    expect(formatNumber(-85.123456)).toBe('-85.1235');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(0.000123456)).toBe('0.000123456');
    expect(formatNumber(1234567.89)).toBe('1234570');
    expect(formatNumber(1.5e21 + 0.5)).toBe('1.5e+21');
  });

  it('formats durations the way they are written in rules', () => {
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(86_400_000 + 3_600_000)).toBe('1d1h');
  });
});

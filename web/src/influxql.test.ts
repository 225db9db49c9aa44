import { describe, expect, it } from 'vitest';
import { builderQuery, panelQueryText, substitute } from './influxql';
import { autoIntervalMs, durationLiteral, parseDurationMs, parseTime, resolveRange } from './time';

const range = { from: 1_700_000_000_000, to: 1_700_000_300_000 };

describe('InfluxQL for panels', () => {
  it('replaces Grafana macros and variables, as regex alternations inside /…/', () => {
    const ctx = { range, intervalMs: 10_000, vars: { device: ['a.1', 'b'], room: ['kitchen'] } };
    expect(
      substitute(
        'SELECT mean("v") FROM "m" WHERE "device" =~ /^$device$/ AND "room" = \'$room\' AND $timeFilter GROUP BY time($__interval)',
        ctx,
      ),
    ).toBe(
      'SELECT mean("v") FROM "m" WHERE "device" =~ /^(a\\.1|b)$/ AND "room" = \'kitchen\' AND time >= 1700000000000ms AND time <= 1700000300000ms GROUP BY time(10s)',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax is what is under test.
    expect(substitute('[[room]] ${room} $unknown', ctx)).toBe('kitchen kitchen $unknown');
  });

  it('builds a bucketed query with tag filters (exact, regex, variables) and group by', () => {
    const ctx = { range, intervalMs: 60_000, vars: { device: ['x', 'y'] } };
    const q = {
      measurement: 'temp',
      field: 'value',
      aggregate: 'max' as const,
      tags: { device: '$device', site: "o'hare", zone: '/^a/' },
      groupBy: ['device'],
    };
    expect(panelQueryText(q, ctx)).toBe(
      `SELECT max("value") AS "value" FROM "temp" WHERE "device" =~ /^(x|y)$/ AND "site" = 'o\\'hare' AND "zone" =~ /^a/ AND time >= 1700000000000ms AND time <= 1700000300000ms GROUP BY time(1m), "device" fill(none)`,
    );
    expect(builderQuery({ measurement: 'm"x', field: 'f' }, ctx, range, 'raw')).toBe(
      'SELECT "f" FROM "m\\"x" WHERE time >= 1700000000000ms AND time <= 1700000300000ms',
    );
  });
});

describe('time ranges', () => {
  it('parses relative and absolute times and durations', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(parseTime('now-5m', now)).toBe(now - 300_000);
    expect(parseTime('now', now)).toBe(now);
    expect(parseTime('2026-11-22T10:00:00Z', now)).toBe(Date.UTC(2026, 10, 22, 10));
    expect(parseTime('yesterday-ish', now)).toBeUndefined();
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('5x')).toBeUndefined();
    expect(resolveRange({ from: 'garbage', to: 'now' }, now)).toEqual({ from: now - 3600_000, to: now });
  });

  it('picks a nice automatic interval and prints InfluxQL duration literals', () => {
    expect(autoIntervalMs({ from: 0, to: 86_400_000 }, 1440, 1)).toBe(60_000);
    expect(autoIntervalMs({ from: 0, to: 300_000 }, 2000)).toBe(1000);
    expect(durationLiteral(3_600_000)).toBe('1h');
    expect(durationLiteral(90_000)).toBe('90s');
    expect(durationLiteral(250)).toBe('250ms');
  });
});

import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import {
  type AlertRuleConfig,
  type AlertRuleInput,
  alertRuleSchema,
  alertRulesSchema,
  compileAlertRule,
  compileAlertRules,
  conditionHolds,
  isRecovered,
} from './model.js';

/** Seed 001: the average of the last 10 s of /pot above a threshold. */
const SEED_001: AlertRuleInput = {
  name: 'pot-high',
  source: { measurement: 'pot', field: 'value', database: 'sensorhub', tags: { topic: '/pot' } },
  groupBy: [],
  reducer: 'avg',
  window: '10s',
  condition: { op: '>', threshold: 3000 },
  recovery: 2500,
  for: '0s',
  keepFiringFor: '0s',
  noData: { after: '30s', state: 'nodata' },
  labels: { severity: 'warning' },
  actions: [{ type: 'mqtt', topic: '/alert', payload: { firing: '1', normal: '0' }, retain: true }],
};

/** Issues as the config loader prints them: `path: message`. */
function problems(input: unknown): string[] {
  const result = alertRuleSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function withChanges(changes: Partial<AlertRuleInput>): unknown {
  return { ...SEED_001, ...changes };
}

describe('alertRuleSchema', () => {
  it('reads seed 001’s rule: durations in ms, filters, labels, actions kept as given', () => {
    const rule = alertRuleSchema.parse(SEED_001);
    expect(rule.window).toBe(10_000);
    expect(rule.for).toBe(0);
    expect(rule.noData).toEqual({ after: 30_000, state: 'nodata' });
    expect(rule.source.tags).toEqual({ topic: '/pot' });
    expect(rule.actions).toHaveLength(1);
  });

  it('fills defaults for a minimal rule', () => {
    const rule = alertRuleSchema.parse({
      name: 'hot',
      source: { measurement: 'temperature' },
      condition: { op: '>', threshold: 30 },
    });
    expect(rule).toMatchObject({
      source: { field: 'value', tags: {} },
      groupBy: [],
      reducer: 'last',
      window: 60_000,
      for: 0,
      keepFiringFor: 0,
      labels: {},
      actions: [],
    });
    expect(rule.source.database).toBeUndefined();
    expect(rule.noData).toBeUndefined();
  });

  it('reports structural problems as path: message', () => {
    expect(problems(withChanges({ condition: { op: '!=', threshold: 1 } as never }))[0]).toMatch(
      /^condition\.op: .*'>' \| '>=' \| '<' \| '<=' \| 'outside' \| 'inside'/,
    );
    expect(problems(withChanges({ condition: { op: 'inside', low: 1 } as never }))).toEqual([
      expect.stringMatching(/^condition\.high: .*expected number/),
    ]);
    expect(problems(withChanges({ window: '10 sec' }))).toEqual([
      'window: "10 sec" is not a duration (e.g. 500ms, 10s, 5m)',
    ]);
    expect(problems(withChanges({ reducer: 'median' as never }))[0]).toMatch(/^reducer: /);
    expect(problems({ ...SEED_001, treshold: 3 })[0]).toMatch(/treshold/);
    expect(problems({ ...SEED_001, name: '' })[0]).toMatch(/^name: /);
  });

  it('reports semantic problems with their path', () => {
    expect(problems(withChanges({ recovery: 3500 }))).toEqual([
      'recovery: 3500 is above the threshold 3000: for ">" the value recovers when it falls below recovery, so recovery must be ≤ the threshold',
    ]);
    expect(problems(withChanges({ condition: { op: '<', threshold: 10 }, recovery: 5 }))[0]).toMatch(
      /^recovery: 5 is below the threshold 10/,
    );
    expect(
      problems(withChanges({ condition: { op: 'inside', low: 30, high: 10 }, recovery: undefined })),
    ).toEqual(['condition: low (30) is above high (10)']);
    expect(problems(withChanges({ condition: { op: 'outside', low: 10, high: 30 }, recovery: 20 }))).toEqual([
      'recovery: for op "outside" recovery is a range {low, high}, not a number',
    ]);
    expect(
      problems(
        withChanges({ condition: { op: 'outside', low: 10, high: 30 }, recovery: { low: 5, high: 25 } }),
      ),
    ).toEqual([
      expect.stringMatching(/^recovery: for "outside" the recovery range \[5, 25\] must lie within/),
    ]);
    expect(
      problems(
        withChanges({ condition: { op: 'inside', low: 10, high: 30 }, recovery: { low: 12, high: 40 } }),
      ),
    ).toEqual([expect.stringMatching(/^recovery: for "inside" the recovery range \[12, 40\] must contain/)]);
    expect(problems(withChanges({ recovery: { low: 1, high: 2 } }))).toEqual([
      'recovery: for op ">" recovery is a number, not a range',
    ]);
    expect(problems(withChanges({ window: 0 }))).toEqual(['window: must be longer than 0 (e.g. 10s)']);
    expect(problems(withChanges({ noData: { after: '0s' } }))).toEqual([
      'noData.after: must be longer than 0 (e.g. 30s)',
    ]);
    expect(problems(withChanges({ groupBy: ['device', 'device'] }))).toEqual([
      'groupBy.1: "device" is listed twice',
    ]);
    expect(problems(withChanges({ groupBy: ['device'], labels: { device: 'x' } }))[0]).toMatch(
      /^labels\.device: "device" is also a groupBy tag/,
    );
  });

  it('accepts valid hysteresis on every kind of condition', () => {
    expect(problems(withChanges({ condition: { op: '>=', threshold: 3000 }, recovery: 3000 }))).toEqual([]);
    expect(problems(withChanges({ condition: { op: '<=', threshold: 10 }, recovery: 12 }))).toEqual([]);
    expect(
      problems(
        withChanges({ condition: { op: 'outside', low: 10, high: 30 }, recovery: { low: 12, high: 28 } }),
      ),
    ).toEqual([]);
    expect(
      problems(
        withChanges({ condition: { op: 'inside', low: 10, high: 30 }, recovery: { low: 5, high: 35 } }),
      ),
    ).toEqual([]);
  });

  it('the list needs unique names', () => {
    const result = alertRulesSchema.safeParse([SEED_001, { ...SEED_001, labels: {} }]);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '1.name: the name "pot-high" is already used by alert rule 0; names must be unique',
    ]);
  });
});

describe('compileAlertRule', () => {
  it('compiles to µs, sorted filters and a fingerprint', () => {
    const rule = compileAlertRule(alertRuleSchema.parse(SEED_001));
    expect(rule).toMatchObject({
      name: 'pot-high',
      database: 'sensorhub',
      measurement: 'pot',
      field: 'value',
      filterKeys: ['topic'],
      filterValues: ['/pot'],
      windowMicros: 10_000_000,
      forMicros: 0,
      noData: { afterMicros: 30_000_000, state: 'nodata' },
    });
    expect(Object.isFrozen(rule)).toBe(true);
    expect(Object.isFrozen(rule.config.condition)).toBe(true);
  });

  it('leaves the config it was given unfrozen', () => {
    const config = alertRuleSchema.parse(SEED_001);
    compileAlertRule(config);
    expect(Object.isFrozen(config)).toBe(false);
  });

  it('takes the default database for rules that name none', () => {
    const config = alertRuleSchema.parse({ ...SEED_001, source: { measurement: 'pot' } });
    expect(compileAlertRule(config, { database: 'plant' }).database).toBe('plant');
  });

  it('fingerprints what evaluates, not labels or actions', () => {
    const base = compileAlertRule(alertRuleSchema.parse(SEED_001));
    const relabeled = compileAlertRule(
      alertRuleSchema.parse({ ...SEED_001, labels: { a: 'b' }, actions: [] }),
    );
    const changed = compileAlertRule(
      alertRuleSchema.parse({ ...SEED_001, condition: { op: '>', threshold: 3100 } }),
    );
    expect(relabeled.fingerprint).toBe(base.fingerprint);
    expect(changed.fingerprint).not.toBe(base.fingerprint);
  });

  it('throws ALERT_RULE_INVALID naming the rule for a config that skipped the schema', () => {
    const config = { ...alertRuleSchema.parse(SEED_001), recovery: 3500, window: 0 } as AlertRuleConfig;
    let error: unknown;
    try {
      compileAlertRule(config);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('ALERT_RULE_INVALID');
    expect((error as AppError).message).toBe(
      'alert rule "pot-high": window: must be longer than 0 (e.g. 10s); recovery: 3500 is above the threshold 3000: for ">" the value recovers when it falls below recovery, so recovery must be ≤ the threshold',
    );
  });

  it('compileAlertRules refuses duplicate names', () => {
    const config = alertRuleSchema.parse(SEED_001);
    expect(() => compileAlertRules([config, config])).toThrow(
      /alert rule "pot-high": the name is used twice/,
    );
  });
});

describe('conditions and recovery', () => {
  it('evaluates every operator', () => {
    expect(conditionHolds({ op: '>', threshold: 3 }, 3)).toBe(false);
    expect(conditionHolds({ op: '>=', threshold: 3 }, 3)).toBe(true);
    expect(conditionHolds({ op: '<', threshold: 3 }, 3)).toBe(false);
    expect(conditionHolds({ op: '<=', threshold: 3 }, 3)).toBe(true);
    expect(conditionHolds({ op: 'outside', low: 1, high: 3 }, 0.5)).toBe(true);
    expect(conditionHolds({ op: 'outside', low: 1, high: 3 }, 3)).toBe(false);
    expect(conditionHolds({ op: 'inside', low: 1, high: 3 }, 1)).toBe(true);
    expect(conditionHolds({ op: 'inside', low: 1, high: 3 }, 3.5)).toBe(false);
  });

  it('recovers past the recovery threshold only', () => {
    const above = { condition: { op: '>', threshold: 3000 } as const, recovery: 2500 };
    expect(isRecovered(above, 2990)).toBe(false);
    expect(isRecovered(above, 2499)).toBe(true);
    expect(isRecovered({ ...above, recovery: undefined }, 2990)).toBe(true);
    const below = { condition: { op: '<', threshold: 10 } as const, recovery: 12 };
    expect(isRecovered(below, 11)).toBe(false);
    expect(isRecovered(below, 12.5)).toBe(true);
    const outside = {
      condition: { op: 'outside', low: 10, high: 30 } as const,
      recovery: { low: 12, high: 28 },
    };
    expect(isRecovered(outside, 11)).toBe(false);
    expect(isRecovered(outside, 20)).toBe(true);
    const inside = {
      condition: { op: 'inside', low: 10, high: 30 } as const,
      recovery: { low: 5, high: 35 },
    };
    expect(isRecovered(inside, 32)).toBe(false);
    expect(isRecovered(inside, 36)).toBe(true);
  });
});

import { z } from 'zod';
import { duration } from '../config/zod-types.js';
import { AppError } from '../core/errors.js';
import { type EpochMicros, msToMicros } from '../core/point.js';
import { type AlertActionConfig, alertActionSchema } from './actions/config.js';
import type { AlertState } from './types.js';

/**
 * The alert rule as users write it (YAML `alerts:` list, or JSON through the API), and its compiled form
 * that the engine evaluates. Structure is checked by the zod schema; the semantic checks (recovery on the
 * right side of the threshold, low ≤ high, window > 0, …) run both inside the schema, so the config loader
 * reports them as `path: message` with every other problem, and again in compileAlertRule, for rules that
 * reach the engine without the schema.
 */

export const REDUCERS = ['avg', 'min', 'max', 'last', 'sum', 'count'] as const;
export type Reducer = (typeof REDUCERS)[number];

export const COMPARISON_OPS = ['>', '>=', '<', '<='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export const RANGE_OPS = ['outside', 'inside'] as const;
export type RangeOp = (typeof RANGE_OPS)[number];

export const NO_DATA_STATES = ['nodata', 'firing', 'normal'] as const satisfies readonly AlertState[];
export type NoDataState = (typeof NO_DATA_STATES)[number];

const name = z.string().min(1);
const tagName = z.string().min(1);

const comparisonCondition = z.object({ op: z.enum(COMPARISON_OPS), threshold: z.number() }).strict();
const rangeCondition = z.object({ op: z.enum(RANGE_OPS), low: z.number(), high: z.number() }).strict();
const conditionSchema = z.discriminatedUnion('op', [comparisonCondition, rangeCondition]);
const rangeSchema = z.object({ low: z.number(), high: z.number() }).strict();

export type AlertCondition = z.output<typeof conditionSchema>;
export type RecoveryRange = z.output<typeof rangeSchema>;

const alertRuleObject = z
  .object({
    /** Unique among the rules; names the alert in transitions, history and the API. */
    name: name.max(200),
    /** Which series the rule watches. `tags` are equality filters; `database` defaults to ingest.database. */
    source: z
      .object({
        measurement: name,
        field: name.default('value'),
        database: name.optional(),
        tags: z.record(tagName, z.string()).default({}),
      })
      .strict(),
    /** One alert instance per distinct value set of these tags; [] is one instance for the whole rule. */
    groupBy: z.array(tagName).default([]),
    reducer: z.enum(REDUCERS).default('last'),
    /** The sliding window the reducer runs over. */
    window: duration.default(60_000),
    condition: conditionSchema,
    /** Hysteresis: a number for >, >=, <, <=; `{low, high}` for outside/inside. */
    recovery: z.union([z.number(), rangeSchema]).optional(),
    /** How long the condition must hold (pending) before the instance fires. */
    for: duration.default(0),
    /** How long the instance must stay recovered (recovering) before it is normal again. */
    keepFiringFor: duration.default(0),
    /** What a silence this long means. Without it, a silent instance keeps its last state. */
    noData: z
      .object({ after: duration, state: z.enum(NO_DATA_STATES).default('nodata') })
      .strict()
      .optional(),
    /** Added to every transition of the rule (with the instance's group-by tags). */
    labels: z.record(tagName, z.string()).default({}),
    /** What to do on transitions: MQTT publishes and webhooks (src/alerts/actions/config.ts). */
    actions: z.array(alertActionSchema).default([]),
  })
  .strict();

/** One alert rule as written in YAML or sent as JSON. */
export const alertRuleSchema = alertRuleObject.superRefine((rule, ctx) => {
  for (const p of ruleProblems(rule)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

export type AlertRuleConfig = z.output<typeof alertRuleSchema>;
/** What a user may write (before defaults): the API's request body type. */
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** The `alerts:` list: every rule valid, and names unique. */
export const alertRulesSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const first = seen.get(rule.name);
    if (first === undefined) seen.set(rule.name, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `the name "${rule.name}" is already used by alert rule ${first}; names must be unique`,
      });
  });
});

interface Problem {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** The semantic checks the structure cannot express. Shared by the schema and compileAlertRule. */
function ruleProblems(rule: AlertRuleConfig): Problem[] {
  const problems: Problem[] = [];
  const add = (path: Array<string | number>, message: string) => problems.push({ path, message });
  if (rule.window <= 0) add(['window'], 'must be longer than 0 (e.g. 10s)');
  if (rule.noData !== undefined && rule.noData.after <= 0)
    add(['noData', 'after'], 'must be longer than 0 (e.g. 30s)');

  const groupBy = new Set<string>();
  rule.groupBy.forEach((tag, i) => {
    if (groupBy.has(tag)) add(['groupBy', i], `"${tag}" is listed twice`);
    groupBy.add(tag);
  });
  for (const key of Object.keys(rule.labels)) {
    if (groupBy.has(key))
      add(['labels', key], `"${key}" is also a groupBy tag; the instance's tag value would replace it`);
  }

  const c = rule.condition;
  const r = rule.recovery;
  if (!('threshold' in c)) {
    if (c.low > c.high) add(['condition'], `low (${c.low}) is above high (${c.high})`);
    if (r === undefined) return problems;
    if (typeof r === 'number') {
      add(['recovery'], `for op "${c.op}" recovery is a range {low, high}, not a number`);
      return problems;
    }
    if (r.low > r.high) add(['recovery'], `low (${r.low}) is above high (${r.high})`);
    else if (c.op === 'outside' && (r.low < c.low || r.high > c.high))
      add(
        ['recovery'],
        `for "outside" the recovery range [${r.low}, ${r.high}] must lie within the condition's [${c.low}, ${c.high}]: the value recovers by coming back well inside`,
      );
    else if (c.op === 'inside' && (r.low > c.low || r.high < c.high))
      add(
        ['recovery'],
        `for "inside" the recovery range [${r.low}, ${r.high}] must contain the condition's [${c.low}, ${c.high}]: the value recovers by leaving it well behind`,
      );
    return problems;
  }
  if (r === undefined) return problems;
  if (typeof r !== 'number') {
    add(['recovery'], `for op "${c.op}" recovery is a number, not a range`);
    return problems;
  }
  const above = c.op === '>' || c.op === '>=';
  if (above && r > c.threshold)
    add(
      ['recovery'],
      `${r} is above the threshold ${c.threshold}: for "${c.op}" the value recovers when it falls below recovery, so recovery must be ≤ the threshold`,
    );
  if (!above && r < c.threshold)
    add(
      ['recovery'],
      `${r} is below the threshold ${c.threshold}: for "${c.op}" the value recovers when it rises above recovery, so recovery must be ≥ the threshold`,
    );
  return problems;
}

/** A rule ready for evaluation: durations in µs, filters as arrays, a fingerprint of what it evaluates. */
export interface CompiledAlertRule {
  readonly name: string;
  readonly database: string;
  readonly measurement: string;
  readonly field: string;
  /** Equality filters on tags, as parallel arrays (cheap to loop on the hot path). */
  readonly filterKeys: readonly string[];
  readonly filterValues: readonly string[];
  readonly groupBy: readonly string[];
  readonly reducer: Reducer;
  readonly windowMicros: EpochMicros;
  readonly condition: AlertCondition;
  readonly recovery: number | RecoveryRange | undefined;
  readonly forMicros: EpochMicros;
  readonly keepFiringForMicros: EpochMicros;
  readonly noData: { readonly afterMicros: EpochMicros; readonly state: NoDataState } | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly actions: readonly AlertActionConfig[];
  /** The normalized config (defaults applied): what the API shows. */
  readonly config: AlertRuleConfig;
  /**
   * Everything that decides an instance's state, serialized. Two rules with the same name and fingerprint
   * evaluate alike, so instances survive a reload (setRules) or a restart (restore) that changed only
   * labels or actions.
   */
  readonly fingerprint: string;
}

export interface CompileDefaults {
  /** The database of rules that name none: ingest.database. */
  readonly database: string;
}

/** Validates (semantically) and compiles one rule. Throws ALERT_RULE_INVALID naming the rule and each problem. */
export function compileAlertRule(
  config: AlertRuleConfig,
  defaults: CompileDefaults = { database: 'sensorhub' },
): CompiledAlertRule {
  const problems = ruleProblems(config);
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
    throw new AppError('ALERT_RULE_INVALID', `alert rule "${config.name}": ${list}`, {
      details: { rule: config.name, problems },
    });
  }
  // A copy, frozen with the rule: the caller's object stays as it was.
  config = structuredClone(config);
  const tagKeys = Object.keys(config.source.tags).sort();
  const database = config.source.database ?? defaults.database;
  const rule = {
    name: config.name,
    database,
    measurement: config.source.measurement,
    field: config.source.field,
    filterKeys: tagKeys,
    filterValues: tagKeys.map((k) => config.source.tags[k] as string),
    groupBy: [...config.groupBy],
    reducer: config.reducer,
    windowMicros: msToMicros(config.window),
    condition: config.condition,
    recovery: config.recovery,
    forMicros: msToMicros(config.for),
    keepFiringForMicros: msToMicros(config.keepFiringFor),
    noData:
      config.noData === undefined
        ? undefined
        : { afterMicros: msToMicros(config.noData.after), state: config.noData.state },
    labels: { ...config.labels },
    actions: config.actions,
    config,
  };
  const fingerprint = JSON.stringify([
    rule.database,
    rule.measurement,
    rule.field,
    rule.filterKeys,
    rule.filterValues,
    rule.groupBy,
    rule.reducer,
    rule.windowMicros,
    rule.condition,
    rule.recovery ?? null,
    rule.forMicros,
    rule.keepFiringForMicros,
    rule.noData ?? null,
  ]);
  return deepFreeze({ ...rule, fingerprint });
}

/** Compiles a list of rules; names must be unique. */
export function compileAlertRules(
  configs: readonly AlertRuleConfig[],
  defaults?: CompileDefaults,
): CompiledAlertRule[] {
  const seen = new Set<string>();
  return configs.map((config) => {
    if (seen.has(config.name))
      throw new AppError(
        'ALERT_RULE_INVALID',
        `alert rule "${config.name}": the name is used twice; names must be unique`,
      );
    seen.add(config.name);
    return compileAlertRule(config, defaults);
  });
}

/** Does the reduced value meet the rule's condition? */
export function conditionHolds(c: AlertCondition, v: number): boolean {
  switch (c.op) {
    case '>':
      return v > c.threshold;
    case '>=':
      return v >= c.threshold;
    case '<':
      return v < c.threshold;
    case '<=':
      return v <= c.threshold;
    case 'outside':
      return v < c.low || v > c.high;
    case 'inside':
      return v >= c.low && v <= c.high;
  }
}

/**
 * Has a firing instance's value recovered? Without `recovery`: the condition no longer holds. With it, the
 * value must also be past the recovery threshold (hysteresis), so a value hovering at the threshold does
 * not flap: for ">" below recovery, for "<" above it, for "outside" strictly inside the recovery range,
 * for "inside" strictly outside it.
 */
export function isRecovered(rule: Pick<CompiledAlertRule, 'condition' | 'recovery'>, v: number): boolean {
  const c = rule.condition;
  const r = rule.recovery;
  if (r === undefined) return !conditionHolds(c, v);
  if (typeof r === 'number') {
    switch (c.op) {
      case '>':
      case '>=':
        return v < r;
      case '<':
      case '<=':
        return v > r;
      default:
        return !conditionHolds(c, v);
    }
  }
  switch (c.op) {
    case 'outside':
      return v > r.low && v < r.high;
    case 'inside':
      return v < r.low || v > r.high;
    default:
      return !conditionHolds(c, v);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

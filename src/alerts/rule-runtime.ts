import type { EpochMicros, Point } from '../core/point.js';
import { describeNoData, describeValueTransition, formatDuration } from './messages.js';
import type { CompiledAlertRule } from './model.js';
import type { PersistedInstance } from './persist.js';
import { type InstanceState, type StepInput, step } from './state-machine.js';
import type { AlertState } from './types.js';
import { SlidingWindow } from './window.js';

/** Where a rule's transitions go: the engine. */
export interface TransitionSink {
  transition(
    rule: CompiledAlertRule,
    instance: AlertInstance,
    from: AlertState,
    value: number | null,
    at: EpochMicros,
    message: string,
  ): void;
  /** An instance could not be created: the rule is at maxInstancesPerRule. */
  instanceLimit(rule: CompiledAlertRule, limit: number): void;
}

/**
 * One series as the rules that group it alike see it: its group-by key and values, and each such rule's
 * instance for it (by the rule's slot position). Shared, so that ten rules grouped by `device` on one
 * measurement find their ten instances with one Map lookup per point, not ten (routing.ts).
 */
export interface SeriesSlot {
  /** The group-by values joined by NUL: the instance map key. */
  readonly key: string;
  /** The group-by values in the groupBy order. */
  readonly group: readonly string[];
  readonly instances: Array<AlertInstance | undefined>;
}

/** Where a rule finds the series slot of the batch's point i (routing.ts's SeriesKeyer). */
export interface SlotSource {
  slotAt(i: number, tags: Readonly<Record<string, string>>): SeriesSlot;
}

export interface RuntimeLimits {
  readonly maxInstancesPerRule: number;
  readonly maxWindowPoints: number;
}

/** The instance's numbers in its window's header (SlidingWindow.ownerNumber). */
const SINCE = 0;
const LAST_SEEN = 1;
const LAST_POINT_TIME = 2;
const VALUE = 3;

/**
 * One alert instance: its state, its window, and what the API shows about it. Mutable, engine-private.
 * Its numbers live in its window's buffer header (one cache line with the window's own, instead of a box
 * each): a batch touches every instance, so the lines per instance decide the cost.
 */
export class AlertInstance implements InstanceState {
  state: AlertState = 'normal';
  silent = false;
  /** Why it is in `error`. */
  error: string | null = null;
  labels: Readonly<Record<string, string>>;

  constructor(
    /** The map key: group values joined by NUL. */
    readonly key: string,
    /** Group-by tag values in the rule's groupBy order. */
    readonly group: readonly string[],
    /** `k=v,k=v` with keys sorted; '' for a rule without groupBy. */
    readonly name: string,
    readonly window: SlidingWindow,
    rule: CompiledAlertRule,
    now: EpochMicros,
  ) {
    this.since = now;
    this.lastSeen = now;
    this.lastPointTime = Number.NEGATIVE_INFINITY;
    this.value = Number.NaN;
    this.labels = instanceLabels(rule, group);
  }

  /** When it entered `state` (clock µs). */
  get since(): EpochMicros {
    return this.window.ownerNumber(SINCE);
  }
  set since(t: EpochMicros) {
    this.window.setOwnerNumber(SINCE, t);
  }

  /** Clock time of its latest point (or of its creation or restore): what no-data measures. */
  get lastSeen(): EpochMicros {
    return this.window.ownerNumber(LAST_SEEN);
  }
  set lastSeen(t: EpochMicros) {
    this.window.setOwnerNumber(LAST_SEEN, t);
  }

  /** The latest point time seen, as stamped (NEGATIVE_INFINITY: none yet). */
  get lastPointTime(): EpochMicros {
    return this.window.ownerNumber(LAST_POINT_TIME);
  }
  set lastPointTime(t: EpochMicros) {
    this.window.setOwnerNumber(LAST_POINT_TIME, t);
  }

  /** The latest reduced value; NaN when the window has none. */
  get value(): number {
    return this.window.ownerNumber(VALUE);
  }
  set value(v: number) {
    this.window.setOwnerNumber(VALUE, v);
  }
}

/**
 * One rule's instances and its share of the hot path: for each point routed to the rule, a field lookup,
 * the tag filters, its instance from the series slot (looked up once per point for all rules that group
 * alike, see routing.ts), the window update and one state-machine step.
 */
export class RuleRuntime {
  rule: CompiledAlertRule;
  readonly instances = new Map<string, AlertInstance>();
  /** This rule's index into SeriesSlot.instances (assigned by its route group). */
  slotPosition = 0;
  /** Points not evaluated because the rule was at maxInstancesPerRule. */
  droppedPoints = 0;

  readonly #sink: TransitionSink;
  readonly #limits: RuntimeLimits;
  readonly #silenceReason: string;
  /** The one instance of a rule without groupBy (created eagerly, so silence from start is no data too). */
  #single: AlertInstance | undefined;

  constructor(rule: CompiledAlertRule, sink: TransitionSink, limits: RuntimeLimits, now: EpochMicros) {
    this.rule = rule;
    this.#sink = sink;
    this.#limits = limits;
    this.#silenceReason =
      rule.noData === undefined ? '' : `no data for ${formatDuration(rule.noData.afterMicros / 1000)}`;
    if (rule.groupBy.length === 0) this.#single = this.#create('', [], now);
  }

  /** Takes a rule with the same fingerprint (only labels or actions changed): instances carry on. */
  replaceRule(rule: CompiledAlertRule): void {
    this.rule = rule;
    for (const inst of this.instances.values()) inst.labels = instanceLabels(rule, inst.group);
  }

  /** One point of the batch; `keyer` and `i` locate its series slot (rules with groupBy). */
  observe(p: Point, keyer: SlotSource | undefined, i: number, now: EpochMicros): void {
    const rule = this.rule;
    const raw = p.fields[rule.field];
    if (raw === undefined) return;
    const tags = p.tags;
    const keys = rule.filterKeys;
    for (let f = 0; f < keys.length; f++) {
      if (tags[keys[f] as string] !== rule.filterValues[f]) return;
    }
    let inst = this.#single;
    if (inst === undefined && keyer !== undefined) {
      const slot = keyer.slotAt(i, tags);
      inst = slot.instances[this.slotPosition];
      if (inst === undefined) {
        inst = this.#create(slot.key, slot.group, now);
        if (inst === undefined) return;
        slot.instances[this.slotPosition] = inst;
      }
    }
    if (inst === undefined) return;
    inst.lastSeen = now;
    if (p.time > inst.lastPointTime) inst.lastPointTime = p.time;

    let v: number;
    if (typeof raw === 'number') {
      if (!Number.isFinite(raw)) {
        this.#fail(inst, now, `field "${rule.field}" is ${raw}, not a finite number`);
        return;
      }
      v = raw;
    } else if (typeof raw === 'boolean') v = raw ? 1 : 0;
    else if (rule.reducer === 'count')
      v = 1; // count counts points of any type
    else {
      if (inst.state !== 'error' || inst.silent) {
        this.#fail(
          inst,
          now,
          `field "${rule.field}" is a string (${JSON.stringify(raw.slice(0, 40))}); ${rule.reducer} needs numbers or booleans`,
        );
      }
      return;
    }
    // A point stamped in the future (a device clock ahead) counts as now, so it cannot hide the window.
    const value = inst.window.update(p.time > now ? now : p.time, v, now);
    if (value === undefined) {
      inst.value = Number.NaN;
      this.#apply(inst, 'empty', now, '');
      return;
    }
    inst.value = value;
    if (inst.state === 'error') inst.error = null;
    this.#apply(inst, value, now, '');
  }

  /** Time-based transitions: no data after silence, the window sliding, `for` and `keepFiringFor` elapsing. */
  tick(now: EpochMicros): void {
    const noData = this.rule.noData;
    for (const inst of this.instances.values()) {
      inst.window.compact();
      if (noData !== undefined && !inst.silent && now - inst.lastSeen >= noData.afterMicros) {
        this.#apply(inst, 'nodata', now, this.#silenceReason);
        continue;
      }
      if (inst.silent || inst.state === 'error') continue;
      const value = inst.window.value(now);
      inst.value = value ?? Number.NaN;
      this.#apply(inst, value ?? 'empty', now, '');
    }
  }

  /**
   * Presence offline: instances of this device get the no-data treatment at once. An instance is this
   * device's when every given tag is one of its group-by tags with that value, or one of the rule's source
   * filters with that value.
   */
  markOffline(tags: Readonly<Record<string, string>>, now: EpochMicros): number {
    const rule = this.rule;
    if (rule.noData === undefined) return 0;
    const entries = Object.entries(tags);
    if (entries.length === 0) return 0;
    const checks: Array<[number, string]> = [];
    for (const [k, v] of entries) {
      const g = rule.groupBy.indexOf(k);
      if (g >= 0) checks.push([g, v]);
      else if (rule.filterValues[rule.filterKeys.indexOf(k)] !== v) return 0;
    }
    const reason = `${entries.map(([k, v]) => `${k}=${v}`).join(',')} went offline`;
    let marked = 0;
    for (const inst of this.instances.values()) {
      if (inst.silent || !checks.every(([g, v]) => inst.group[g] === v)) continue;
      this.#apply(inst, 'nodata', now, reason);
      marked++;
    }
    return marked;
  }

  /**
   * Puts back instances saved by the engine's snapshot (the rule's fingerprint matched). Their windows are
   * replaced, so this belongs before the first observe().
   */
  restore(saved: readonly PersistedInstance[], now: EpochMicros): number {
    let restored = 0;
    for (const s of saved) {
      if (s.group.length !== this.rule.groupBy.length) continue;
      const key = s.group.join('\u0000');
      const inst = this.instances.get(key) ?? this.#create(key, s.group, now);
      if (inst === undefined) break;
      inst.state = s.state;
      inst.since = s.since;
      inst.silent = s.silent;
      inst.value = s.value ?? Number.NaN;
      inst.error = s.error;
      inst.lastPointTime = s.lastPointTime ?? Number.NEGATIVE_INFINITY;
      // Devices get a full noData.after from the restart to report: the downtime is not their silence.
      inst.lastSeen = now;
      if (s.window !== null) inst.window.load(s.window);
      restored++;
    }
    return restored;
  }

  #create(key: string, group: readonly string[], now: EpochMicros): AlertInstance | undefined {
    if (this.instances.size >= this.#limits.maxInstancesPerRule) {
      this.droppedPoints++;
      this.#sink.instanceLimit(this.rule, this.#limits.maxInstancesPerRule);
      return undefined;
    }
    const rule = this.rule;
    const name = rule.groupBy
      .map((g, i) => [g, group[i] as string] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([g, v]) => `${g}=${v}`)
      .join(',');
    const window = new SlidingWindow(rule.reducer, rule.windowMicros, this.#limits.maxWindowPoints);
    const inst = new AlertInstance(key, group, name, window, rule, now);
    this.instances.set(key, inst);
    return inst;
  }

  #fail(inst: AlertInstance, now: EpochMicros, reason: string): void {
    inst.error = reason;
    inst.value = Number.NaN;
    this.#apply(inst, 'error', now, reason);
  }

  /** One state-machine step; a change of state becomes a transition (with its sentence, built only then). */
  #apply(inst: AlertInstance, input: StepInput, now: EpochMicros, reason: string): void {
    const next = step(inst, input, now, this.rule);
    if (next === undefined) return;
    const from = inst.state;
    inst.state = next.state;
    inst.since = next.since;
    inst.silent = next.silent;
    if (from === next.state) return;
    if (typeof input === 'number') {
      this.#sink.transition(
        this.rule,
        inst,
        from,
        input,
        now,
        describeValueTransition(this.rule, next.state, input),
      );
    } else {
      this.#sink.transition(
        this.rule,
        inst,
        from,
        null,
        now,
        input === 'nodata' ? describeNoData(this.rule, reason) : reason,
      );
    }
  }
}

function instanceLabels(rule: CompiledAlertRule, group: readonly string[]): Readonly<Record<string, string>> {
  const labels: Record<string, string> = { ...rule.labels };
  rule.groupBy.forEach((g, i) => {
    labels[g] = group[i] as string;
  });
  return Object.freeze(labels);
}

import type { Clock } from '../core/clock.js';
import { AppError, errorMessage } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { EpochMicros, Point } from '../core/point.js';
import type { CompiledAlertRule } from './model.js';
import { PERSISTED_STATE_VERSION, type PersistedState, persistedStateSchema } from './persist.js';
import { RouteGroup } from './routing.js';
import { type AlertInstance, RuleRuntime, type TransitionSink } from './rule-runtime.js';
import type { AlertState, AlertTransition } from './types.js';
import { MAX_WINDOW_POINTS } from './window.js';

export type { PersistedState } from './persist.js';

export interface AlertEngineOptions {
  /** Only nowMicros is read, so a test's fake clock can be `{ nowMicros: () => t }`. */
  readonly clock: Pick<Clock, 'nowMicros'>;
  readonly logger: Logger;
  /**
   * Called synchronously for every state change, in order. It must not block or call back into the engine
   * (queue the actions and return); an exception is logged and does not stop evaluation.
   */
  readonly onTransition: (t: AlertTransition) => void;
  /** How often start()'s timer runs tick(). Default 1000. */
  readonly tickMs?: number;
  /** Instances one rule may have (distinct group-by values); points of further ones are not evaluated. Default 100,000. */
  readonly maxInstancesPerRule?: number;
  /** Points one window keeps. Default MAX_WINDOW_POINTS (100,000). */
  readonly maxWindowPoints?: number;
  /** Window points snapshot() saves in all; windows beyond that restart empty. Default 200,000. */
  readonly maxSavedWindowPoints?: number;
}

/** One instance as the API shows it. */
export interface InstanceSnapshot {
  readonly rule: string;
  /** `k=v,k=v` of its group-by tags (sorted), '' for a rule without groupBy. */
  readonly instance: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: AlertState;
  /** When it entered `state` (epoch µs). */
  readonly since: EpochMicros;
  /** The latest reduced window value; null when the window is empty or the instance is in error. */
  readonly value: number | null;
  /** The newest point time seen (as stamped); null before any point. */
  readonly lastPointTime: EpochMicros | null;
  /** Clock time of the newest point (or of the instance's creation or restore). */
  readonly lastSeen: EpochMicros;
  /** True after the no-data treatment (silence or offline), until the next point. */
  readonly noData: boolean;
  readonly error: string | null;
  /** Points (min/max: deque entries) its window holds. */
  readonly windowPoints: number;
}

export interface RestoreSummary {
  readonly instances: number;
  /** Rules in the saved state that were not restored, with the reason. */
  readonly skipped: ReadonlyArray<{ readonly rule: string; readonly reason: string }>;
  /** Why nothing was restored, when the saved state is unreadable. */
  readonly invalid?: string;
}

export interface AlertEngineStats {
  readonly rules: number;
  readonly instances: number;
  /** Instances per state (for a gauge: cheaper than instances()). */
  readonly states: Readonly<Record<AlertState, number>>;
  readonly transitions: number;
  readonly latePoints: number;
  readonly droppedPoints: number;
  readonly truncatedPoints: number;
}

const DEFAULT_SAVED_WINDOW_POINTS = 200_000;
const LOG_EVERY_MS = 10_000;

/**
 * Evaluates alert rules on the live stream: every committed batch goes through observe() (no polling
 * queries), each point updates its instance's sliding window and steps its state machine; a state change
 * calls onTransition synchronously. tick() does what time alone changes (the window sliding, `for` and
 * `keepFiringFor` elapsing, no data); start() runs it on a timer.
 *
 * Routing: rules are indexed by database, then measurement; each rule found checks its field and tag
 * filters and finds its instance with one Map lookup. A batch that matches no rule costs two Map lookups
 * per point.
 */
export class AlertEngine {
  readonly #opts: AlertEngineOptions;
  /** What the rule runtimes report to (kept off the engine's public surface). */
  readonly #sink: TransitionSink = {
    transition: (rule, inst, from, value, at, message) =>
      this.#transition(rule, inst, from, value, at, message),
    instanceLimit: (rule, limit) => this.#instanceLimit(rule, limit),
  };
  #runtimes = new Map<string, RuleRuntime>();
  #index = new Map<string, Map<string, RouteGroup>>();
  #groups: RouteGroup[] = [];
  #timer: NodeJS.Timeout | undefined;
  #transitions = 0;
  readonly #errorLog = new LogThrottle(LOG_EVERY_MS);
  readonly #limitLog = new LogThrottle(LOG_EVERY_MS);

  constructor(opts: AlertEngineOptions) {
    this.#opts = opts;
  }

  /**
   * Swaps the rule set. Rules whose definition (fingerprint) did not change keep their instances, states
   * and windows (their labels and actions are updated); changed rules start afresh; removed rules' instances
   * are dropped without transitions.
   */
  setRules(rules: readonly CompiledAlertRule[]): void {
    const names = new Set<string>();
    for (const rule of rules) {
      if (names.has(rule.name))
        throw new AppError(
          'ALERT_RULE_INVALID',
          `alert rule "${rule.name}": the name is used twice; names must be unique`,
        );
      names.add(rule.name);
    }
    const now = this.#opts.clock.nowMicros();
    const limits = {
      maxInstancesPerRule: Math.max(1, this.#opts.maxInstancesPerRule ?? 100_000),
      maxWindowPoints: Math.max(1, this.#opts.maxWindowPoints ?? MAX_WINDOW_POINTS),
    };
    const next = new Map<string, RuleRuntime>();
    for (const rule of rules) {
      const old = this.#runtimes.get(rule.name);
      if (old !== undefined && old.rule.fingerprint === rule.fingerprint) {
        old.replaceRule(rule);
        next.set(rule.name, old);
      } else next.set(rule.name, new RuleRuntime(rule, this.#sink, limits, now));
    }
    const index = new Map<string, Map<string, RouteGroup>>();
    const groups: RouteGroup[] = [];
    for (const rt of next.values()) {
      let byMeasurement = index.get(rt.rule.database);
      if (byMeasurement === undefined) {
        byMeasurement = new Map();
        index.set(rt.rule.database, byMeasurement);
      }
      let group = byMeasurement.get(rt.rule.measurement);
      if (group === undefined) {
        group = new RouteGroup();
        byMeasurement.set(rt.rule.measurement, group);
        groups.push(group);
      }
      group.add(rt);
    }
    for (const group of groups) group.index();
    this.#runtimes = next;
    this.#index = index;
    this.#groups = groups;
  }

  /** The rules in effect, in the order given to setRules. */
  rules(): CompiledAlertRule[] {
    return [...this.#runtimes.values()].map((rt) => rt.rule);
  }

  /** Hot path: every committed batch. Never throws (a failure is logged; ingest must go on). */
  observe(points: readonly Point[]): void {
    const index = this.#index;
    if (index.size === 0 || points.length === 0) return;
    const groups = this.#groups;
    try {
      const now = this.#opts.clock.nowMicros();
      // Two passes: route every point to its (database, measurement) group, then evaluate group by group.
      for (let i = 0; i < points.length; i++) {
        const p = points[i] as Point;
        const byMeasurement = index.get(p.database);
        if (byMeasurement === undefined) continue;
        const group = byMeasurement.get(p.measurement);
        if (group !== undefined) group.points.push(p);
      }
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g] as RouteGroup;
        if (group.points.length > 0) group.run(now);
      }
    } catch (err) {
      this.#logError(err, 'alert evaluation failed for a batch');
    } finally {
      for (let g = 0; g < groups.length; g++) (groups[g] as RouteGroup).release();
    }
  }

  /** Time-based transitions for every instance. Runs on start()'s timer; tests call it themselves. */
  tick(): void {
    try {
      const now = this.#opts.clock.nowMicros();
      for (const rt of this.#runtimes.values()) rt.tick(now);
    } catch (err) {
      this.#logError(err, 'alert tick failed');
    }
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.tick(), this.#opts.tickMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Device presence went offline: instances that belong to it (their group-by tags, or their rule's source
   * filters, equal `tags`, e.g. `{ device: 'esp32-1' }`) get the no-data treatment at once, in rules with
   * `noData`. Returns how many instances changed.
   */
  markOffline(tags: Readonly<Record<string, string>>): number {
    const now = this.#opts.clock.nowMicros();
    let marked = 0;
    for (const rt of this.#runtimes.values()) marked += rt.markOffline(tags, now);
    return marked;
  }

  /** Instances of one rule (or all), by rule then instance name. */
  instances(rule?: string): InstanceSnapshot[] {
    const one = rule === undefined ? undefined : this.#runtimes.get(rule);
    const runtimes = rule === undefined ? [...this.#runtimes.values()] : one === undefined ? [] : [one];
    const out: InstanceSnapshot[] = [];
    for (const rt of runtimes) {
      const list = [...rt.instances.values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      for (const inst of list) out.push(snapshotOf(rt.rule, inst));
    }
    return out;
  }

  stats(): AlertEngineStats {
    let instances = 0;
    let late = 0;
    let dropped = 0;
    let truncated = 0;
    const states: Record<AlertState, number> = {
      normal: 0,
      pending: 0,
      firing: 0,
      recovering: 0,
      nodata: 0,
      error: 0,
    };
    for (const rt of this.#runtimes.values()) {
      instances += rt.instances.size;
      dropped += rt.droppedPoints;
      for (const inst of rt.instances.values()) {
        states[inst.state]++;
        truncated += inst.window.truncated;
        late += inst.window.late;
      }
    }
    return {
      rules: this.#runtimes.size,
      instances,
      states,
      transitions: this.#transitions,
      latePoints: late,
      droppedPoints: dropped,
      truncatedPoints: truncated,
    };
  }

  /**
   * Everything needed to carry on after a restart: per rule its fingerprint, and per instance its state,
   * since, value and window contents, up to maxSavedWindowPoints points in all (further windows are saved
   * empty and refill from the live stream). JSON-safe.
   */
  snapshot(): PersistedState {
    let budget = this.#opts.maxSavedWindowPoints ?? DEFAULT_SAVED_WINDOW_POINTS;
    const rules: PersistedState['rules'] = [];
    for (const rt of this.#runtimes.values()) {
      const instances: PersistedState['rules'][number]['instances'] = [];
      for (const inst of rt.instances.values()) {
        const size = inst.window.size;
        const keep = size <= budget;
        if (keep) budget -= size;
        instances.push({
          group: [...inst.group],
          state: inst.state,
          since: inst.since,
          silent: inst.silent,
          value: Number.isNaN(inst.value) ? null : inst.value,
          lastPointTime: Number.isFinite(inst.lastPointTime) ? inst.lastPointTime : null,
          error: inst.error,
          window: keep ? inst.window.save() : null,
        });
      }
      rules.push({ name: rt.rule.name, fingerprint: rt.rule.fingerprint, instances });
    }
    return { version: PERSISTED_STATE_VERSION, savedAt: this.#opts.clock.nowMicros(), rules };
  }

  /**
   * Puts back a snapshot() from an earlier run; call it after setRules and before the first observe(). Instances come back with their
   * state, since-time and window (the window slides by the clock, so the downtime ages it), without
   * transitions. A rule whose definition changed meanwhile starts afresh. Each restored instance gets a
   * full noData.after from now before silence counts. An unreadable state restores nothing (it is logged):
   * losing alert state must not stop the start.
   */
  restore(state: unknown): RestoreSummary {
    const parsed = persistedStateSchema.safeParse(state);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const invalid = `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
      this.#opts.logger.warn({ invalid }, 'saved alert state is unreadable; alerts start afresh');
      return { instances: 0, skipped: [], invalid };
    }
    const now = this.#opts.clock.nowMicros();
    let instances = 0;
    const skipped: Array<{ rule: string; reason: string }> = [];
    for (const saved of parsed.data.rules) {
      const rt = this.#runtimes.get(saved.name);
      if (rt === undefined) skipped.push({ rule: saved.name, reason: 'no such rule now' });
      else if (rt.rule.fingerprint !== saved.fingerprint)
        skipped.push({ rule: saved.name, reason: 'the rule changed since the state was saved' });
      else instances += rt.restore(saved.instances, now);
    }
    for (const group of this.#groups) group.index();
    if (skipped.length > 0) this.#opts.logger.info({ skipped }, 'alert state not restored for some rules');
    return { instances, skipped };
  }

  #transition(
    rule: CompiledAlertRule,
    inst: AlertInstance,
    from: AlertState,
    value: number | null,
    at: EpochMicros,
    message: string,
  ): void {
    this.#transitions++;
    const t: AlertTransition = {
      rule: rule.name,
      instance: inst.name,
      labels: inst.labels,
      from,
      to: inst.state,
      value,
      at,
      message,
    };
    try {
      this.#opts.onTransition(t);
    } catch (err) {
      this.#logError(err, 'onTransition failed; evaluation goes on');
    }
  }

  #instanceLimit(rule: CompiledAlertRule, limit: number): void {
    const suppressed = this.#limitLog.allow();
    if (suppressed === undefined) return;
    this.#opts.logger.warn(
      { rule: rule.name, limit, similarSinceLastLog: suppressed },
      `alert rule "${rule.name}" has ${limit} instances (maxInstancesPerRule); points of new group-by values are not evaluated`,
    );
  }

  #logError(err: unknown, msg: string): void {
    const suppressed = this.#errorLog.allow();
    if (suppressed === undefined) return;
    this.#opts.logger.error({ err, error: errorMessage(err), similarSinceLastLog: suppressed }, msg);
  }
}

function snapshotOf(rule: CompiledAlertRule, inst: AlertInstance): InstanceSnapshot {
  return {
    rule: rule.name,
    instance: inst.name,
    labels: inst.labels,
    state: inst.state,
    since: inst.since,
    value: Number.isNaN(inst.value) ? null : inst.value,
    lastPointTime: Number.isFinite(inst.lastPointTime) ? inst.lastPointTime : null,
    lastSeen: inst.lastSeen,
    noData: inst.silent,
    error: inst.error,
    windowPoints: inst.window.size,
  };
}

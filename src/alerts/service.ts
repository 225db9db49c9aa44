import type { Clock } from '../core/clock.js';
import { AppError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricsRegistry } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import type { TimeSeriesStore } from '../storage/store.js';
import type { Publish } from './actions/mqtt-delivery.js';
import { ActionRunner, type CompiledAction, compileActions, type DeliveryRecord } from './actions/runner.js';
import { AlertEngine, type InstanceSnapshot } from './engine.js';
import { type AlertRuleConfig, alertRuleSchema, type CompiledAlertRule, compileAlertRule } from './model.js';
import type { AlertTransition } from './types.js';

/** Store meta keys: rules created through the API, and the engine's saved state. */
const RULE_KEY = 'alerts.rule.';
const STATE_KEY = 'alerts.state';
/** The measurement that keeps every transition (in the history database). */
export const HISTORY_MEASUREMENT = 'alerts';
/** Saved at most this often after a transition (and at stop). */
const SAVE_AFTER_TRANSITION_MS = 200;
/** And at least this often, so windows survive a restart reasonably fresh. */
const SAVE_EVERY_MS = 10_000;

export interface AlertServiceOptions {
  readonly store: TimeSeriesStore;
  /** Commits transition history points (the ingest batcher: acknowledged means stored here too). */
  readonly writeHistory: (points: Point[]) => Promise<unknown>;
  readonly publish: Publish;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** Rules from the config file (provisioned: read-only through the API). */
  readonly provisioned: readonly AlertRuleConfig[];
  /** Where rules that name no database look (ingest.database). */
  readonly database: string;
  /** Where transitions are recorded. */
  readonly historyDatabase: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface Compiled {
  readonly rules: CompiledAlertRule[];
  readonly actions: Map<string, CompiledAction[]>;
}

export interface AlertRuleView {
  readonly name: string;
  /** From the config file (change it there) rather than created through the API. */
  readonly provisioned: boolean;
  readonly config: AlertRuleConfig;
  readonly instances: InstanceSnapshot[];
}

export interface HistoryEntry {
  readonly time: string;
  readonly rule: string;
  readonly instance: string;
  readonly labels: Record<string, string>;
  readonly from: string;
  readonly to: string;
  readonly value: number | null;
  readonly message: string;
}

/**
 * Alerts in the running server: the engine evaluating every committed batch, the actions run on its
 * transitions, the history of transitions (points in the history database: queryable and chartable like
 * any data), the state kept across restarts (the store's meta table), and rules managed through the API
 * next to the provisioned ones.
 */
export class AlertService {
  readonly #engine: AlertEngine;
  readonly #runner: ActionRunner;
  #actions = new Map<string, CompiledAction[]>();
  #apiRules = new Map<string, AlertRuleConfig>();
  readonly #provisioned: ReadonlySet<string>;
  #saveTimer: NodeJS.Timeout | undefined;
  #periodicSave: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();
  readonly #transitions: { inc(by?: number): void };

  constructor(private readonly opts: AlertServiceOptions) {
    this.#provisioned = new Set(opts.provisioned.map((r) => r.name));
    this.#runner = new ActionRunner({
      publish: opts.publish,
      logger: opts.logger.child({ ns: 'alert-actions' }),
      metrics: opts.metrics,
      clock: opts.clock,
      ...(opts.env ? { env: opts.env } : {}),
    });
    this.#engine = new AlertEngine({
      clock: opts.clock,
      logger: opts.logger,
      onTransition: (t) => this.#onTransition(t),
    });
    this.#transitions = opts.metrics
      .counter('sensorhub_alert_transitions_total', 'Alert state changes.')
      .with({});
    opts.metrics.gauge('sensorhub_alert_instances', 'Alert instances, by state.', () => {
      const counts = new Map<string, number>();
      for (const i of this.#engine.instances()) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
      return [...counts].map(([state, n]) => [{ state }, n] as const);
    });
  }

  /** Loads API-managed rules, checks every action's secrets, restores the saved state, starts evaluating. */
  async start(): Promise<void> {
    for (const [key, value] of await this.opts.store.listMeta(RULE_KEY)) {
      const name = key.slice(RULE_KEY.length);
      const parsed = alertRuleSchema.safeParse(JSON.parse(value));
      if (!parsed.success || this.#provisioned.has(name)) {
        this.opts.logger.warn(
          { rule: name },
          parsed.success
            ? 'an alert rule created through the API has the name of a provisioned one; the provisioned one wins'
            : `a stored alert rule no longer validates and is ignored: ${parsed.error.message}`,
        );
        continue;
      }
      this.#apiRules.set(name, parsed.data);
    }
    const compiled = this.#compile([...this.opts.provisioned, ...this.#apiRules.values()]);
    await this.#runner.checkSecrets([...compiled.actions.values()].flat());
    this.#apply(compiled);
    const saved = await this.opts.store.getMeta(STATE_KEY);
    if (saved !== undefined) {
      const summary = this.#engine.restore(JSON.parse(saved));
      if (summary.invalid)
        this.opts.logger.warn({ reason: summary.invalid }, 'saved alert state not restored');
      else
        this.opts.logger.info(
          { instances: summary.instances, skipped: summary.skipped },
          'alert state restored',
        );
    }
    this.#engine.start();
    this.#periodicSave = setInterval(() => this.#scheduleSave(0), SAVE_EVERY_MS);
    this.#periodicSave.unref();
  }

  /** The live stream: every committed batch. */
  observe(points: readonly Point[]): void {
    this.#engine.observe(points);
  }

  /** A device's last connection closed: its instances get the no-data treatment at once. */
  deviceOffline(name: string): void {
    this.#engine.markOffline({ device: name });
  }

  rules(): AlertRuleView[] {
    return this.#engine.rules().map((r) => ({
      name: r.name,
      provisioned: this.#provisioned.has(r.name),
      config: r.config,
      instances: this.#engine.instances(r.name),
    }));
  }

  deliveries(filter?: { rule?: string; limit?: number }): DeliveryRecord[] {
    return this.#runner.deliveries(filter);
  }

  /** Creates or replaces an API-managed rule. Provisioned rules are changed in the config file. */
  async putRule(input: unknown): Promise<AlertRuleConfig> {
    const parsed = alertRuleSchema.safeParse(input);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`);
      throw new AppError('ALERT_RULE_INVALID', `invalid alert rule: ${lines.join('; ')}`, {
        details: { errors: lines },
      });
    }
    const rule = parsed.data;
    if (this.#provisioned.has(rule.name)) {
      throw new AppError(
        'ALERT_RULE_PROVISIONED',
        `alert rule "${rule.name}" comes from the config file; change it there`,
      );
    }
    const next = new Map(this.#apiRules).set(rule.name, rule);
    let compiled: Compiled;
    try {
      compiled = this.#compile([...this.opts.provisioned, ...next.values()]);
    } catch (err) {
      // The actions' own checks speak of configuration; through the API it is this request that is wrong.
      throw new AppError('ALERT_RULE_INVALID', errorMessage(err), { cause: err });
    }
    await this.#runner.checkSecrets(compiled.actions.get(rule.name) ?? []);
    await this.opts.store.setMeta(`${RULE_KEY}${rule.name}`, JSON.stringify(rule));
    this.#apiRules = next;
    this.#apply(compiled);
    return rule;
  }

  async deleteRule(name: string): Promise<void> {
    if (this.#provisioned.has(name)) {
      throw new AppError(
        'ALERT_RULE_PROVISIONED',
        `alert rule "${name}" comes from the config file; remove it there`,
      );
    }
    if (!this.#apiRules.has(name)) throw new AppError('ALERT_RULE_NOT_FOUND', `no alert rule "${name}"`);
    await this.opts.store.deleteMeta(`${RULE_KEY}${name}`);
    this.#apiRules.delete(name);
    this.#apply(this.#compile([...this.opts.provisioned, ...this.#apiRules.values()]));
  }

  /** Transitions, newest first, from the history database. */
  async history(filter: { rule?: string; from: number; to: number; limit: number }): Promise<HistoryEntry[]> {
    const base = {
      database: this.opts.historyDatabase,
      measurement: HISTORY_MEASUREMENT,
      tags: (filter.rule === undefined ? {} : { rule: filter.rule }) as Record<string, string>,
      from: filter.from,
      to: filter.to,
      aggregate: 'raw' as const,
      limit: filter.limit * 4,
    };
    const [states, previous, values, messages] = await Promise.all(
      ['state', 'previous', 'value', 'message'].map((field) => this.opts.store.query({ ...base, field })),
    );
    const key = (tags: Readonly<Record<string, string>>, t: number) => `${JSON.stringify(tags)}|${t}`;
    const index = (r: typeof states) => {
      const m = new Map<string, unknown>();
      for (const s of r?.series ?? []) {
        s.time.forEach((t, i) => {
          m.set(key(s.tags, t), s.value[i]);
        });
      }
      return m;
    };
    const prev = index(previous);
    const vals = index(values);
    const msgs = index(messages);
    const out: Array<HistoryEntry & { t: number }> = [];
    for (const s of states?.series ?? []) {
      const { rule = '', instance = '', ...labels } = s.tags;
      s.time.forEach((t, i) => {
        const k = key(s.tags, t);
        const v = vals.get(k);
        out.push({
          t,
          time: new Date(Math.floor(t / 1000)).toISOString(),
          rule,
          instance,
          labels,
          from: String(prev.get(k) ?? ''),
          to: String(s.value[i]),
          value: typeof v === 'number' ? v : null,
          message: String(msgs.get(k) ?? ''),
        });
      });
    }
    out.sort((a, b) => b.t - a.t);
    return out.slice(0, filter.limit).map(({ t: _t, ...e }) => e);
  }

  async stop(): Promise<void> {
    this.#engine.stop();
    clearTimeout(this.#saveTimer);
    clearInterval(this.#periodicSave);
    await this.#saving;
    await this.#save();
    await this.#runner.stop();
  }

  #compile(configs: readonly AlertRuleConfig[]): Compiled {
    const actions = new Map<string, CompiledAction[]>();
    const rules = configs.map((config) => {
      const rule = compileAlertRule(config, { database: this.opts.database });
      actions.set(rule.name, compileActions(config.actions, rule.name));
      return rule;
    });
    return { rules, actions };
  }

  /** Swaps rules and their actions together. */
  #apply(compiled: Compiled): void {
    this.#actions = compiled.actions;
    this.#engine.setRules(compiled.rules);
  }

  #onTransition(t: AlertTransition): void {
    this.#transitions.inc();
    this.#runner.run(this.#actions.get(t.rule) ?? [], t);
    const fields: Record<string, string | number> = { state: t.to, previous: t.from, message: t.message };
    if (t.value !== null && Number.isFinite(t.value)) fields.value = t.value;
    const point: Point = {
      database: this.opts.historyDatabase,
      measurement: HISTORY_MEASUREMENT,
      tags: { ...t.labels, rule: t.rule, ...(t.instance === '' ? {} : { instance: t.instance }) },
      fields,
      time: t.at,
    };
    this.opts.writeHistory([point]).catch((err: unknown) => {
      this.opts.logger.warn({ err, rule: t.rule }, 'could not record an alert transition in history');
    });
    this.#scheduleSave(SAVE_AFTER_TRANSITION_MS);
  }

  #scheduleSave(delayMs: number): void {
    if (this.#saveTimer !== undefined) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      this.#saving = this.#saving.then(() => this.#save());
    }, delayMs);
    this.#saveTimer.unref();
  }

  async #save(): Promise<void> {
    try {
      await this.opts.store.setMeta(STATE_KEY, JSON.stringify(this.#engine.snapshot()));
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err) }, 'could not save the alert state');
    }
  }
}

import { type Clock, systemClock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Counter, Histogram, MetricsRegistry } from '../../core/metrics.js';
import type { AlertTransition } from '../types.js';
import type { CompiledAction } from './compile.js';
import { type DeliveryFilter, DeliveryLog, type DeliveryRecord } from './delivery-log.js';
import { DEFAULT_MQTT_RETRY, deliverMqtt, type MqttRetry, type Publish } from './mqtt-delivery.js';
import { type Outcome, pause } from './outcome.js';
import { authorizationHeader, type Env } from './secrets.js';
import { contextOf, type TemplateContext } from './template.js';
import { deliverWebhook } from './webhook-delivery.js';

export type { CompiledAction } from './compile.js';
export { compileActions, parseActions } from './compile.js';
export type { DeliveryFilter, DeliveryRecord } from './delivery-log.js';
export type { Publish } from './mqtt-delivery.js';

export interface ActionRunnerOptions {
  readonly publish: Publish;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly fetch?: typeof fetch;
  /** Where `passwordEnv`/`tokenEnv` are looked up; process.env by default. */
  readonly env?: Env;
  /** Stamps the delivery log and measures transition→delivered latency. */
  readonly clock?: Clock;
  /** Deliveries the log keeps (default 1000). */
  readonly deliveryLogSize?: number;
  /** Deliveries that may wait behind a slow one, per action (default 1000); beyond, the oldest is dropped. */
  readonly maxQueuedPerAction?: number;
  /** How long stop() lets deliveries finish (default 2 s). */
  readonly stopTimeoutMs?: number;
  readonly mqttRetry?: Partial<MqttRetry>;
}

interface Job {
  readonly action: CompiledAction;
  readonly t: AlertTransition;
  readonly ctx: TemplateContext;
}

const DEFAULT_LOG_SIZE = 1000;
const DEFAULT_MAX_QUEUED = 1000;
const DEFAULT_STOP_TIMEOUT_MS = 2000;
/** After stop()'s grace period, for cut-off deliveries to record themselves. */
const ABORT_SETTLE_MS = 200;
const LATENCY_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

/**
 * Runs alert actions off the evaluation path. `run` only queues: each action has its own queue, worked
 * one delivery at a time, so a later transition never overtakes an earlier one (the retained `/alert`
 * ends on the latest state) and a slow webhook delays nothing but its own action.
 */
export class ActionRunner {
  readonly #opts: ActionRunnerOptions;
  readonly #clock: Clock;
  readonly #log: DeliveryLog;
  readonly #mqttRetry: MqttRetry;
  readonly #maxQueued: number;
  readonly #total: Counter;
  readonly #latency: Histogram;
  /** Per action (by identity): deliveries waiting; present while its worker runs. */
  readonly #queues = new Map<CompiledAction, Job[]>();
  readonly #workers = new Set<Promise<void>>();
  readonly #drain = new AbortController();
  readonly #abort = new AbortController();

  constructor(opts: ActionRunnerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = new DeliveryLog(Math.max(1, opts.deliveryLogSize ?? DEFAULT_LOG_SIZE));
    this.#mqttRetry = { ...DEFAULT_MQTT_RETRY, ...opts.mqttRetry };
    this.#maxQueued = Math.max(1, opts.maxQueuedPerAction ?? DEFAULT_MAX_QUEUED);
    const total = opts.metrics.counter(
      'sensorhub_alert_actions_total',
      'Alert action deliveries (MQTT publishes, webhook calls), by type and result (ok, failed).',
    );
    // Listed at 0 from the start, so a rate() on failures works before the first one.
    for (const type of ['mqtt', 'webhook'])
      for (const result of ['ok', 'failed']) total.with({ type, result });
    this.#total = total;
    this.#latency = opts.metrics.histogram(
      'sensorhub_alert_action_latency_seconds',
      'From an alert transition to its action delivered (retries included), in seconds.',
      LATENCY_BUCKETS,
    );
  }

  /**
   * Queues the actions whose `on` lists the transition's new state. Returns at once and never throws:
   * the engine calls it from evaluation. After stop(), deliveries are recorded as failed, not attempted.
   */
  run(actions: readonly CompiledAction[], t: AlertTransition): void {
    try {
      let ctx: TemplateContext | undefined;
      for (const action of actions) {
        if (!action.on.has(t.to)) continue;
        ctx ??= contextOf(t);
        this.#enqueue({ action, t, ctx });
      }
    } catch (err) {
      this.#opts.logger.error({ err, rule: t.rule, instance: t.instance }, 'alert actions: could not queue');
    }
  }

  /** The last deliveries, newest first. */
  deliveries(filter?: DeliveryFilter): DeliveryRecord[] {
    return this.#log.list(filter);
  }

  /** Resolves once every queued delivery has ended (delivered or given up): for tests and tools. */
  async idle(): Promise<void> {
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers]);
  }

  /**
   * Reads every webhook secret once, so a missing variable or file stops the start (CFG_INVALID naming
   * the rule and action) instead of failing each delivery later.
   */
  async checkSecrets(actions: readonly CompiledAction[]): Promise<void> {
    const env = this.#opts.env ?? process.env;
    for (const a of actions) {
      if (a.type === 'webhook' && a.config.auth !== undefined) {
        await authorizationHeader(a.config.auth, a.where, env);
      }
    }
  }

  /**
   * Stops retrying at once, lets what is queued or in flight finish for up to 2 s, then cuts it off.
   * Whatever did not get through is in the delivery log as failed.
   */
  async stop(): Promise<void> {
    this.#drain.abort();
    const all = Promise.allSettled([...this.#workers]);
    const timer = new AbortController();
    const finished = await Promise.race([
      all.then(() => true),
      pause(this.#opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, timer.signal).then(() => false),
    ]);
    timer.abort();
    if (finished) return;
    this.#abort.abort();
    const settle = new AbortController();
    await Promise.race([all, pause(ABORT_SETTLE_MS, settle.signal)]);
    settle.abort();
  }

  #enqueue(job: Job): void {
    if (this.#drain.signal.aborted) {
      this.#record(job, undefined, {
        ok: false,
        attempts: 0,
        target: targetOf(job),
        error: 'not attempted: sensorhub is stopping',
      });
      return;
    }
    const queue = this.#queues.get(job.action);
    if (queue !== undefined) {
      if (queue.length >= this.#maxQueued) {
        const dropped = queue.shift() as Job;
        this.#record(dropped, undefined, {
          ok: false,
          attempts: 0,
          target: targetOf(dropped),
          error: `dropped: ${this.#maxQueued} deliveries were waiting for this action (its target is slow or down); newer transitions go first`,
        });
      }
      queue.push(job);
      return;
    }
    // The first job goes straight to the worker: the queue holds only deliveries that wait.
    const waiting: Job[] = [];
    this.#queues.set(job.action, waiting);
    const worker = this.#work(job, waiting).finally(() => this.#workers.delete(worker));
    this.#workers.add(worker);
  }

  async #work(first: Job, waiting: Job[]): Promise<void> {
    // Let run() return before the first publish: the engine is mid-evaluation.
    await Promise.resolve();
    for (let job: Job | undefined = first; job !== undefined; job = waiting.shift()) {
      const started = this.#clock.nowMs();
      let outcome: Outcome;
      try {
        outcome = await this.#deliver(job);
      } catch (err) {
        // The deliverers return every ending as an Outcome; this is a bug, kept from stopping the queue.
        outcome = {
          ok: false,
          attempts: 0,
          target: targetOf(job),
          error: `internal error: ${errorMessage(err)}`,
        };
      }
      this.#record(job, started, outcome);
    }
    // No await since the last shift(): a job queued from now on finds no queue and starts a new worker.
    this.#queues.delete(first.action);
  }

  #deliver(job: Job): Promise<Outcome> {
    const signals = { drain: this.#drain.signal, abort: this.#abort.signal };
    const { logger } = this.#opts;
    if (job.action.type === 'mqtt') {
      return deliverMqtt(job.action, job.t, job.ctx, {
        ...signals,
        publish: this.#opts.publish,
        retry: this.#mqttRetry,
        logger,
      });
    }
    return deliverWebhook(job.action, job.t, {
      ...signals,
      fetch: this.#opts.fetch ?? fetch,
      env: this.#opts.env ?? process.env,
      logger,
    });
  }

  #record(job: Job, startedMs: number | undefined, o: Outcome): void {
    const { action, t } = job;
    const now = this.#clock.nowMs();
    const record: DeliveryRecord = {
      time: new Date(now).toISOString(),
      rule: t.rule,
      instance: t.instance,
      action: { index: action.index, type: action.type },
      target: o.target,
      state: t.to,
      ok: o.ok,
      attempts: o.attempts,
      ...(o.status === undefined ? {} : { status: o.status }),
      ...(o.error === undefined ? {} : { error: o.error }),
      durationMs: startedMs === undefined ? 0 : Math.max(0, now - startedMs),
    };
    this.#log.add(record);
    this.#total.inc({ type: action.type, result: o.ok ? 'ok' : 'failed' });
    const fields = {
      rule: t.rule,
      instance: t.instance,
      action: action.index,
      type: action.type,
      target: o.target,
    };
    if (o.ok) {
      this.#latency.observe(Math.max(0, this.#clock.nowMicros() - t.at) / 1e6);
      if (o.attempts > 1)
        this.#opts.logger.info({ ...fields, attempts: o.attempts }, 'alert action delivered');
    } else {
      this.#opts.logger.error(
        { ...fields, state: t.to, attempts: o.attempts, status: o.status },
        `alert action failed: ${o.error}`,
      );
    }
  }
}

function targetOf(job: Job): string {
  return job.action.type === 'webhook' ? job.action.target : job.action.topic.render(job.ctx);
}

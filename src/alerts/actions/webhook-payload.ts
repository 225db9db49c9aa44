import type { AlertState, AlertTransition } from '../types.js';
import { rfc3339 } from './template.js';

/** Grafana's legacy alert states, as its webhook notifier sent them in `state` (seed 001 reads this). */
export type GrafanaLegacyState = 'alerting' | 'ok' | 'pending' | 'no_data' | 'error';

/**
 * The JSON body of a webhook action: one transition of one alert instance. It carries the field names
 * receivers written for Grafana's webhook notifier read — `status` (unified alerting: firing/resolved),
 * `state`, `title`, `ruleName`, `ruleUrl`, `message` and `evalMatches` (legacy alerting) — next to
 * sensorhub's own, so seed 001's Flask service and Alertmanager-style receivers keep working.
 */
export interface WebhookPayload {
  readonly receiver: 'sensorhub';
  /** `firing` while the alert is active (firing, recovering, nodata, error), `resolved` otherwise. */
  readonly status: 'firing' | 'resolved';
  readonly state: GrafanaLegacyState;
  readonly sensorhubState: AlertState;
  readonly previousState: AlertState;
  /** `[Alerting] rule (instance)`, as Grafana titles its notifications. */
  readonly title: string;
  readonly rule: string;
  /** The same as `rule`: Grafana's legacy field name. */
  readonly ruleName: string;
  readonly instance: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | null;
  /** Grafana legacy's list of matching series: one entry with the value, or none without a value. */
  readonly evalMatches: ReadonlyArray<{
    readonly value: number;
    readonly metric: string;
    readonly tags: Readonly<Record<string, string>>;
  }>;
  readonly message: string;
  /** RFC 3339, UTC. */
  readonly time: string;
  /** Grafana links its rule here; sensorhub has no page per rule yet. */
  readonly ruleUrl: null;
}

const LEGACY_STATE: Readonly<Record<AlertState, GrafanaLegacyState>> = {
  normal: 'ok',
  pending: 'pending',
  firing: 'alerting',
  // Recovering still fires (keepFiringFor waits out flapping): receivers must keep the alarm on.
  recovering: 'alerting',
  nodata: 'no_data',
  error: 'error',
};

const TITLE: Readonly<Record<AlertState, string>> = {
  normal: 'OK',
  pending: 'Pending',
  firing: 'Alerting',
  recovering: 'Alerting',
  nodata: 'No Data',
  error: 'Error',
};

/** Active alerts: Grafana's unified alerting also sends NoData and Error alerts as firing. */
const ACTIVE: ReadonlySet<AlertState> = new Set(['firing', 'recovering', 'nodata', 'error']);

export function webhookPayload(t: AlertTransition): WebhookPayload {
  const value = t.value !== null && Number.isFinite(t.value) ? t.value : null;
  return {
    receiver: 'sensorhub',
    status: ACTIVE.has(t.to) ? 'firing' : 'resolved',
    state: LEGACY_STATE[t.to],
    sensorhubState: t.to,
    previousState: t.from,
    title: `[${TITLE[t.to]}] ${t.rule}${t.instance === '' ? '' : ` (${t.instance})`}`,
    rule: t.rule,
    ruleName: t.rule,
    instance: t.instance,
    labels: t.labels,
    value,
    evalMatches: value === null ? [] : [{ value, metric: t.rule, tags: t.labels }],
    message: t.message,
    time: rfc3339(t.at),
    ruleUrl: null,
  };
}

import type { EpochMicros } from '../core/point.js';

/**
 * An alert instance's state. `normal` → `pending` (condition true, waiting out `for`) → `firing` →
 * `recovering` (recovered, waiting out `keepFiringFor`) → `normal`; `nodata` when its series stopped
 * reporting; `error` when it cannot be evaluated (e.g. the field is a string).
 */
export type AlertState = 'normal' | 'pending' | 'firing' | 'recovering' | 'nodata' | 'error';

export const ALERT_STATES: readonly AlertState[] = [
  'normal',
  'pending',
  'firing',
  'recovering',
  'nodata',
  'error',
];

/** One state change of one alert instance: what history records and what actions act on. */
export interface AlertTransition {
  /** The rule's name. */
  readonly rule: string;
  /** The instance key within the rule: its group-by tags as `k=v,k=v` (sorted), '' for a single instance. */
  readonly instance: string;
  /** The rule's labels plus the instance's group-by tags. */
  readonly labels: Readonly<Record<string, string>>;
  readonly from: AlertState;
  readonly to: AlertState;
  /** The reduced window value that caused the change (null for no-data and errors). */
  readonly value: number | null;
  /** When it happened (epoch µs, from the injected clock). */
  readonly at: EpochMicros;
  /** A human sentence: "avg(value) over 10s = 3120 > 3000". */
  readonly message: string;
}

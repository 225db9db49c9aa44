import type { EpochMicros } from '../core/point.js';
import { type CompiledAlertRule, conditionHolds, isRecovered } from './model.js';
import type { AlertState } from './types.js';

/**
 * The state of one alert instance, as far as the state machine is concerned.
 * `silent` is set when the no-data treatment applied (silence for `noData.after`, or the device went
 * offline) and cleared by the next point: it is what "data again" is measured against, also when
 * `noData.state` is `firing` or `normal`.
 */
export interface InstanceState {
  readonly state: AlertState;
  /** When the instance entered `state` (epoch µs, clock time). */
  readonly since: EpochMicros;
  readonly silent: boolean;
}

/**
 * What one evaluation sees: the reduced window value; `empty` (the window holds no point, and the reducer
 * has no value for that: avg, min, max, last); `nodata` (silence for noData.after, or presence offline);
 * `error` (a point the reducer cannot use, such as a string field).
 */
export type StepInput = number | 'empty' | 'nodata' | 'error';

/** The parts of a compiled rule the state machine reads. */
export type StateRule = Pick<
  CompiledAlertRule,
  'condition' | 'recovery' | 'forMicros' | 'keepFiringForMicros' | 'noData'
>;

/**
 * One step of an alert instance: (state, input, now, rule) → the next state, or undefined when nothing
 * changes (the common case, which allocates nothing). A result whose `state` equals the current one only
 * changed `silent`. Pure: no clock, no I/O.
 *
 * Semantics ("holds" = the condition is true for the value; "recovered" = the condition is false and, with
 * `recovery` set, the value is also past the recovery threshold):
 *
 * - **normal**: holds → `pending` when `for` > 0, else `firing`.
 * - **pending**: not holds → `normal`; holds and pending for ≥ `for` → `firing`.
 * - **firing**: recovered → `recovering` when `keepFiringFor` > 0, else `normal`; otherwise stays firing
 *   (a value between the threshold and the recovery threshold keeps it firing: hysteresis).
 * - **recovering**: not recovered (the condition holds again, or the value is back between the
 *   thresholds) → `firing`; recovered for ≥ `keepFiringFor` → `normal`.
 * - **no data** (only with `noData`): → `noData.state` (`nodata` by default) and silent. The next value is
 *   evaluated afresh as from normal: holds → `firing` when `for` is 0, else `pending`; not holds →
 *   `normal`. An instance already firing (`noData.state: firing`) whose condition holds stays firing.
 * - **error**: → `error`. The next value is evaluated afresh, as after no data.
 * - **empty**: no change. Without `noData` a silent instance keeps its state.
 *
 * Time-based steps (pending → firing, recovering → normal, no data) happen on clock ticks too: the engine
 * re-evaluates the current window value, so they need no new point. Durations compare clock times:
 * `since` is when the state was entered.
 */
export function step(
  current: InstanceState,
  input: StepInput,
  now: EpochMicros,
  rule: StateRule,
): InstanceState | undefined {
  if (input === 'empty') return undefined;
  if (input === 'error') {
    if (current.state === 'error' && !current.silent) return undefined;
    return { state: 'error', since: current.state === 'error' ? current.since : now, silent: false };
  }
  if (input === 'nodata') {
    if (current.silent || rule.noData === undefined) return undefined;
    return to(current, rule.noData.state, now, true);
  }
  if (current.silent || current.state === 'error' || current.state === 'nodata') {
    return afresh(current, input, now, rule);
  }
  switch (current.state) {
    case 'normal':
      if (!conditionHolds(rule.condition, input)) return undefined;
      return to(current, rule.forMicros > 0 ? 'pending' : 'firing', now, false);
    case 'pending':
      if (!conditionHolds(rule.condition, input)) return to(current, 'normal', now, false);
      return now - current.since >= rule.forMicros ? to(current, 'firing', now, false) : undefined;
    case 'firing':
      if (!isRecovered(rule, input)) return undefined;
      return to(current, rule.keepFiringForMicros > 0 ? 'recovering' : 'normal', now, false);
    case 'recovering':
      if (!isRecovered(rule, input)) return to(current, 'firing', now, false);
      return now - current.since >= rule.keepFiringForMicros ? to(current, 'normal', now, false) : undefined;
  }
}

/** Evaluation from scratch, after no data or an error. */
function afresh(current: InstanceState, v: number, now: EpochMicros, rule: StateRule): InstanceState {
  if (!conditionHolds(rule.condition, v)) return to(current, 'normal', now, false);
  if (current.state === 'firing' || rule.forMicros === 0) return to(current, 'firing', now, false);
  return to(current, 'pending', now, false);
}

function to(current: InstanceState, state: AlertState, now: EpochMicros, silent: boolean): InstanceState {
  return { state, since: state === current.state ? current.since : now, silent };
}

import { describe, expect, it } from 'vitest';
import { type AlertRuleInput, alertRuleSchema, compileAlertRule } from './model.js';
import { type InstanceState, type StateRule, type StepInput, step } from './state-machine.js';
import type { AlertState } from './types.js';

const S = 1_000_000; // µs per second

function rule(changes: Partial<AlertRuleInput> = {}): StateRule {
  return compileAlertRule(
    alertRuleSchema.parse({
      name: 'r',
      source: { measurement: 'pot' },
      condition: { op: '>', threshold: 3000 },
      ...changes,
    }),
  );
}

const at = (state: AlertState, since = 0, silent = false): InstanceState => ({ state, since, silent });

/** The next state's name, or '=' when nothing changes. */
function next(current: InstanceState, input: StepInput, now: number, r: StateRule): string {
  const n = step(current, input, now, r);
  return n === undefined ? '=' : n.state;
}

describe('step', () => {
  const plain = rule();
  const withFor = rule({ for: '5s' });
  const withKeep = rule({ keepFiringFor: '10s' });
  const hysteresis = rule({ recovery: 2500, keepFiringFor: '10s' });

  it('normal: holds → firing, or pending with `for`; otherwise no change', () => {
    expect(next(at('normal'), 3100, S, plain)).toBe('firing');
    expect(next(at('normal'), 3100, S, withFor)).toBe('pending');
    expect(next(at('normal'), 2900, S, plain)).toBe('=');
    expect(step(at('normal'), 3100, 7 * S, plain)).toEqual({ state: 'firing', since: 7 * S, silent: false });
  });

  it('pending: not holds → normal; holds for `for` → firing; before that no change', () => {
    expect(next(at('pending', 0), 2900, 2 * S, withFor)).toBe('normal');
    expect(next(at('pending', 0), 3100, 4 * S, withFor)).toBe('=');
    expect(step(at('pending', 0), 3100, 5 * S, withFor)).toEqual({
      state: 'firing',
      since: 5 * S,
      silent: false,
    });
  });

  it('firing: recovered → normal, or recovering with keepFiringFor; otherwise stays', () => {
    expect(next(at('firing'), 2900, S, plain)).toBe('normal');
    expect(next(at('firing'), 2900, S, withKeep)).toBe('recovering');
    expect(next(at('firing'), 3100, S, plain)).toBe('=');
    // Between recovery and threshold: not recovered, stays firing.
    expect(next(at('firing'), 2900, S, hysteresis)).toBe('=');
    expect(next(at('firing'), 2400, S, hysteresis)).toBe('recovering');
  });

  it('recovering: not recovered → firing; recovered for keepFiringFor → normal', () => {
    expect(next(at('recovering', 0), 3100, S, withKeep)).toBe('firing');
    expect(next(at('recovering', 0), 2900, 9 * S, withKeep)).toBe('=');
    expect(step(at('recovering', 0), 2900, 10 * S, withKeep)).toEqual({
      state: 'normal',
      since: 10 * S,
      silent: false,
    });
    // Back between the thresholds counts as not recovered.
    expect(next(at('recovering', 0), 2900, S, hysteresis)).toBe('firing');
    expect(next(at('recovering', 0), 2400, 10 * S, hysteresis)).toBe('normal');
  });

  it('no data: → noData.state and silent, once; nothing without noData', () => {
    const nodata = rule({ noData: { after: '30s' } });
    expect(step(at('firing', 0), 'nodata', 40 * S, nodata)).toEqual({
      state: 'nodata',
      since: 40 * S,
      silent: true,
    });
    expect(next(at('nodata', 40 * S, true), 'nodata', 80 * S, nodata)).toBe('=');
    expect(next(at('firing'), 'nodata', 40 * S, plain)).toBe('=');
    const asFiring = rule({ noData: { after: '30s', state: 'firing' } });
    expect(step(at('normal', 0), 'nodata', 40 * S, asFiring)).toEqual({
      state: 'firing',
      since: 40 * S,
      silent: true,
    });
    // Already in the target state: only silent changes, since stays.
    const asNormal = rule({ noData: { after: '30s', state: 'normal' } });
    expect(step(at('normal', 5), 'nodata', 40 * S, asNormal)).toEqual({
      state: 'normal',
      since: 5,
      silent: true,
    });
    expect(next(at('error', 0), 'nodata', 40 * S, nodata)).toBe('nodata');
  });

  it('data after no data is evaluated afresh', () => {
    const nodata = rule({ noData: { after: '30s' } });
    const nodataFor = rule({ noData: { after: '30s' }, for: '5s' });
    expect(next(at('nodata', 0, true), 3100, S, nodata)).toBe('firing');
    expect(next(at('nodata', 0, true), 3100, S, nodataFor)).toBe('pending');
    expect(next(at('nodata', 0, true), 2900, S, nodata)).toBe('normal');
    // noData.state firing, and the condition holds when data returns: it keeps firing (same since).
    const asFiring = rule({ noData: { after: '30s', state: 'firing' }, for: '5s' });
    expect(step(at('firing', 7, true), 3100, S, asFiring)).toEqual({
      state: 'firing',
      since: 7,
      silent: false,
    });
    expect(next(at('firing', 7, true), 2900, S, asFiring)).toBe('normal');
    // noData.state normal: data clears silent; a holding value goes on as from normal.
    const asNormal = rule({ noData: { after: '30s', state: 'normal' } });
    expect(step(at('normal', 7, true), 2900, S, asNormal)).toEqual({
      state: 'normal',
      since: 7,
      silent: false,
    });
    expect(next(at('normal', 7, true), 3100, S, asNormal)).toBe('firing');
  });

  it('error: → error (once); a good value is evaluated afresh', () => {
    expect(step(at('firing', 0), 'error', 3 * S, plain)).toEqual({
      state: 'error',
      since: 3 * S,
      silent: false,
    });
    expect(next(at('error', 0), 'error', 5 * S, plain)).toBe('=');
    expect(step(at('error', 0, true), 'error', 5 * S, plain)).toEqual({
      state: 'error',
      since: 0,
      silent: false,
    });
    expect(next(at('error'), 3100, S, plain)).toBe('firing');
    expect(next(at('error'), 3100, S, withFor)).toBe('pending');
    expect(next(at('error'), 2900, S, plain)).toBe('normal');
    expect(next(at('error'), 'empty', S, plain)).toBe('=');
  });

  it('an empty window changes nothing', () => {
    for (const state of ['normal', 'pending', 'firing', 'recovering', 'nodata'] as const) {
      expect(next(at(state), 'empty', 100 * S, withFor)).toBe('=');
    }
  });

  it('range conditions with hysteresis', () => {
    const band = rule({ condition: { op: 'outside', low: 10, high: 30 }, recovery: { low: 12, high: 28 } });
    expect(next(at('normal'), 31, S, band)).toBe('firing');
    expect(next(at('firing'), 29, S, band)).toBe('=');
    expect(next(at('firing'), 27, S, band)).toBe('normal');
    expect(next(at('normal'), 9, S, band)).toBe('firing');
  });
});

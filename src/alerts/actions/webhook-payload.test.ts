import { describe, expect, it } from 'vitest';
import { ALERT_STATES, type AlertTransition } from '../types.js';
import { webhookPayload } from './webhook-payload.js';

const T: AlertTransition = {
  rule: 'battery-low',
  instance: '',
  labels: {},
  from: 'normal',
  to: 'firing',
  value: 11.2,
  at: Date.UTC(2026, 0, 2, 3, 4, 5) * 1000,
  message: 'last(voltage) over 1m = 11.2 < 11.5',
};

describe('webhookPayload', () => {
  it('names every state as Grafana does: status, legacy state and title', () => {
    const rows = ALERT_STATES.map((to) => {
      const p = webhookPayload({ ...T, to });
      return [to, p.status, p.state, p.title];
    });
    expect(rows).toEqual([
      ['normal', 'resolved', 'ok', '[OK] battery-low'],
      ['pending', 'resolved', 'pending', '[Pending] battery-low'],
      ['firing', 'firing', 'alerting', '[Alerting] battery-low'],
      ['recovering', 'firing', 'alerting', '[Alerting] battery-low'],
      ['nodata', 'firing', 'no_data', '[No Data] battery-low'],
      ['error', 'firing', 'error', '[Error] battery-low'],
    ]);
  });

  it('sends a value that is not finite as null, without evalMatches', () => {
    const p = webhookPayload({ ...T, value: Number.POSITIVE_INFINITY });
    expect(p.value).toBeNull();
    expect(p.evalMatches).toEqual([]);
    expect(JSON.parse(JSON.stringify(p))).toMatchObject({ value: null, time: '2026-01-02T03:04:05.000Z' });
  });
});

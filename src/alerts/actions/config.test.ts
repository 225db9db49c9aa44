import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { compileActions, parseActions } from './compile.js';
import { type AlertActionConfig, alertActionSchema } from './config.js';
import { contextOf } from './template.js';

function issues(input: unknown): string[] {
  const r = alertActionSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const SEED_001 = { type: 'mqtt', topic: '/alert', payload: { firing: '1', normal: '0' }, retain: true };

describe('alertActionSchema', () => {
  it('reads seed 001 with the defaults filled in', () => {
    expect(alertActionSchema.parse(SEED_001)).toEqual({
      type: 'mqtt',
      on: ['firing', 'normal'],
      topic: '/alert',
      payload: { firing: '1', normal: '0' },
      qos: 1,
      retain: true,
    });
  });

  it('fills in a webhook’s defaults: every state but pending, POST, 5s, 5 retries, 500ms…30s', () => {
    expect(alertActionSchema.parse({ type: 'webhook', url: 'https://hooks.example.com/a?key=k' })).toEqual({
      type: 'webhook',
      on: ['normal', 'firing', 'recovering', 'nodata', 'error'],
      url: 'https://hooks.example.com/a?key=k',
      method: 'POST',
      headers: {},
      timeout: 5000,
      retries: 5,
      backoffInitial: 500,
      backoffMax: 30_000,
    });
  });

  it('reads durations as text and secrets from env or files', () => {
    const basic = alertActionSchema.parse({
      type: 'webhook',
      url: 'http://flask:5000/alert',
      auth: { basic: { username: 'user', passwordEnv: 'FLASK_PASSWORD' } },
      timeout: '2s',
      backoffInitial: '100ms',
      backoffMax: '1m',
      headers: { 'X-Source': 'sensorhub' },
    });
    expect(basic).toMatchObject({
      auth: { type: 'basic', username: 'user', password: { env: 'FLASK_PASSWORD' } },
      timeout: 2000,
      backoffInitial: 100,
      backoffMax: 60_000,
      headers: { 'X-Source': 'sensorhub' },
    });
    const bearer = alertActionSchema.parse({
      type: 'webhook',
      url: 'http://x/',
      auth: { bearer: { tokenFile: '/run/secrets/hook' } },
    });
    expect(bearer).toMatchObject({ auth: { type: 'bearer', token: { file: '/run/secrets/hook' } } });
  });

  it('reports every problem as path: message', () => {
    expect(issues({ type: 'sms', to: '+1' })).toEqual(['type: type must be "mqtt" or "webhook"']);
    expect(issues({ type: 'mqtt', topic: 'alerts/+/x', payload: '{{rule', qos: 3, extra: 1 })).toEqual([
      'topic: "alerts/+/x" holds a wildcard (+ or #), which a published topic cannot',
      'payload: "{{" at column 1 has no closing "}}"',
      'qos: qos must be 0, 1 or 2',
      ': Unrecognized key: "extra"',
    ]);
    expect(issues({ type: 'mqtt', topic: '{{labels.device}}/{{rulename}}', payload: '1' })).toEqual([
      'topic: unknown reference {{rulename}}; templates can use {{rule}}, {{instance}}, {{state}}, {{previous}}, {{value}}, {{message}}, {{time}} and {{labels.NAME}}',
    ]);
    expect(issues({ type: 'mqtt', topic: '$SYS/alert', payload: '1' })).toEqual([
      'topic: "$SYS/alert" starts with $, which is reserved for the broker',
    ]);
    expect(issues({ type: 'mqtt', topic: '', payload: '1' })).toEqual(['topic: the topic is empty']);
    expect(issues({ type: 'mqtt', topic: 'a', payload: '1', on: [] })).toEqual([
      'on: on lists no state; remove the action instead',
    ]);
    expect(issues({ type: 'mqtt', topic: 'a', payload: '1', on: ['alerting'] })[0]).toMatch(/^on\.0: /);
  });

  it('wants a payload for every state "on" lists', () => {
    expect(issues({ type: 'mqtt', topic: '/alert', payload: { firing: '1' } })).toEqual([
      'payload: no payload for normal, which "on" lists (on: firing, normal); add it, or set "on" to the states that publish',
    ]);
    expect(issues({ type: 'mqtt', topic: '/alert', payload: { firing: '1' }, on: ['firing'] })).toEqual([]);
    expect(
      issues({ type: 'mqtt', topic: '/alert', payload: { firing: '1', alerting: '0' }, on: ['firing'] }),
    ).toEqual([
      'payload.alerting: "alerting" is not an alert state; states are normal, pending, firing, recovering, nodata, error',
    ]);
    expect(issues({ type: 'mqtt', topic: '/alert', payload: 1 })).toEqual([
      'payload: payload is a template, or one template per state (e.g. {firing: "1", normal: "0"})',
    ]);
  });

  it('keeps secrets out of the config', () => {
    expect(
      issues({
        type: 'webhook',
        url: 'https://user:pw@hooks.example.com/',
      }),
    ).toEqual([
      'url: credentials in the URL are not allowed; use auth.basic with passwordEnv or passwordFile',
    ]);
    expect(
      issues({ type: 'webhook', url: 'http://x/', auth: { basic: { username: 'u', password: 'hunter2' } } }),
    ).toEqual(['auth.basic.password: secrets are never written inline; use passwordEnv or passwordFile']);
    expect(issues({ type: 'webhook', url: 'http://x/', headers: { Authorization: 'Bearer abc' } })).toEqual([
      'headers: an Authorization header is a secret: use auth.basic or auth.bearer (from env or a file)',
    ]);
    expect(issues({ type: 'webhook', url: 'ftp://x/' })).toEqual([
      'url: the URL must be http:// or https://, not ftp:',
    ]);
    expect(issues({ type: 'webhook', url: 'http://x/', backoffInitial: '10s', backoffMax: '1s' })).toEqual([
      'backoffMax: backoffMax must be at least backoffInitial',
    ]);
  });
});

describe('compileActions', () => {
  it('compiles templates and per-state payloads', () => {
    const [a] = compileActions(
      [
        alertActionSchema.parse({
          type: 'mqtt',
          topic: 'alerts/{{rule}}',
          payload: '{{state}}',
          on: ['firing', 'nodata'],
        }),
      ],
      'pot-high',
    );
    if (a?.type !== 'mqtt') throw new Error('expected an mqtt action');
    expect(a.where).toBe('alert rule "pot-high": actions[0] (mqtt)');
    expect([...a.on]).toEqual(['firing', 'nodata']);
    const ctx = contextOf({
      rule: 'pot-high',
      instance: '',
      labels: {},
      from: 'pending',
      to: 'nodata',
      value: null,
      at: 0,
      message: '',
    });
    expect(a.topic.render(ctx)).toBe('alerts/pot-high');
    expect(a.payloads.nodata?.render(ctx)).toBe('nodata');
  });

  it('throws CFG_INVALID naming the rule, the action and the field', () => {
    const bad = { type: 'mqtt', on: ['firing'], topic: 'a/{{nope}}', payload: '1', qos: 1, retain: false };
    expect(() => compileActions([alertActionSchema.parse(SEED_001), bad as AlertActionConfig], 'r1')).toThrow(
      'alert rule "r1": actions[1] (mqtt): topic: unknown reference {{nope}}',
    );
    const missing = { ...bad, topic: 'a', on: ['firing', 'error'], payload: { firing: '1' } };
    try {
      compileActions([missing as AlertActionConfig], 'r2');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('CFG_INVALID');
      expect((err as AppError).message).toBe(
        'alert rule "r2": actions[0] (mqtt): payload: no payload for error, which "on" lists',
      );
    }
  });
});

describe('parseActions', () => {
  it('validates raw actions and lists every problem with its path', () => {
    expect(parseActions([SEED_001], 'led')).toHaveLength(1);
    try {
      parseActions([SEED_001, { type: 'webhook', url: 'nope', retries: -1 }], 'led');
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).code).toBe('CFG_INVALID');
      expect((err as AppError).details?.errors).toEqual([
        'alert rule "led": actions[1].url: "nope" is not a URL (e.g. https://hooks.example.com/alerts)',
        'alert rule "led": actions[1].retries: Too small: expected number to be >=0',
      ]);
    }
  });
});

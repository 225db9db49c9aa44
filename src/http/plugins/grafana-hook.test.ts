import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../../auth/authenticator.js';
import { systemClock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { MemoryStore } from '../../storage/memory/memory-store.js';
import { grafanaHookRoutes, inboundHookSchema, inboundHooksSchema, statesOf } from './grafana-hook.js';
import type { Publish } from './publish-api.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', 'admin-password');
const GRAFANA = basic('grafana', 'grafana-password');
const CAM = basic('cam01', 'client-password');
const VIEWER = basic('viewer', 'viewer-password');

/** Seed 001's Flask service, as config. */
const LED = {
  name: 'led',
  topic: '/alert',
  qos: 1,
  retain: true,
  payload: { alerting: '1', firing: '1', ok: '0', resolved: '0' },
};

/** A legacy (Grafana ≤ 10) notification, as Grafana 4.6 sent seed 001's Flask service. */
const LEGACY = {
  evalMatches: [{ value: 91, metric: 'pot', tags: null }],
  message: 'pot above 80 for 10s',
  ruleId: 1,
  ruleName: 'pot alert',
  ruleUrl: 'http://grafana:3000/d/pot?panelId=2',
  state: 'alerting',
  title: '[Alerting] pot alert',
};

/** A unified-alerting notification (Grafana 8+), abridged from Grafana's webhook notifier docs. */
const UNIFIED = {
  receiver: 'sensorhub led',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'pot high' },
      annotations: { summary: 'pot above 80' },
      startsAt: '2026-11-22T06:06:23Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://grafana:3000/alerting/x/edit',
      fingerprint: 'c6eadffa33fcdf37',
      values: { B: 91, C: 1 },
    },
  ],
  groupLabels: { alertname: 'pot high' },
  commonLabels: { alertname: 'pot high' },
  commonAnnotations: {},
  externalURL: 'http://grafana:3000/',
  version: '1',
  groupKey: '{}:{alertname="pot high"}',
  truncatedAlerts: 0,
};

interface Call {
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
}

let calls: Call[];
let failWith: Error | undefined;
const publish: Publish = async (topic, payload, qos, retain) => {
  if (failWith) throw failWith;
  calls.push({ topic, payload: payload.toString('utf8'), qos, retain });
};

let app: FastifyInstance;

beforeAll(async () => {
  const store = new MemoryStore();
  await store.start();
  const auth = new Authenticator({
    store,
    clock: systemClock,
    logger: silentLogger,
    allowAnonymous: false,
    adminPassword: 'admin-password',
    announce: () => {},
    failures: { maxFailures: 100, windowMs: 60_000, blockMs: 60_000 },
  });
  await auth.start();
  await auth.users.add({
    name: 'grafana',
    role: 'client',
    password: 'grafana-password',
    publish: ['/alert'],
  });
  await auth.users.add({ name: 'cam01', role: 'client', password: 'client-password' });
  await auth.users.add({ name: 'viewer', role: 'viewer', password: 'viewer-password' });

  app = Fastify();
  // server.ts's error mapping: AppError → its status and {code, error}.
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof AppError) return reply.status(err.status).send({ code: err.code, error: err.message });
    return reply.status(500).send({ code: 'INTERNAL', error: String(err) });
  });
  const hooks = inboundHooksSchema.parse([
    LED,
    { name: 'siren', topic: 'alarms/siren', payload: { alerting: 'ON' } },
  ]);
  await app.register(grafanaHookRoutes, { auth, publish, hooks });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  calls = [];
  failWith = undefined;
});

function post(name: string, body: unknown, authorization?: string) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/hooks/${name}`,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    payload: JSON.stringify(body),
  });
}

describe('POST /api/v1/hooks/:name', () => {
  it('turns Grafana’s legacy alerting and ok into seed 001’s retained 1 and 0 on /alert', async () => {
    const firing = await post('led', LEGACY, GRAFANA);
    expect(firing.statusCode).toBe(200);
    expect(firing.json()).toEqual({ published: { topic: '/alert', payload: '1', retain: true } });
    const ok = await post('led', { ...LEGACY, state: 'ok', title: '[OK] pot alert' }, GRAFANA);
    expect(ok.json()).toEqual({ published: { topic: '/alert', payload: '0', retain: true } });
    expect(calls).toEqual([
      { topic: '/alert', payload: '1', qos: 1, retain: true },
      { topic: '/alert', payload: '0', qos: 1, retain: true },
    ]);
  });

  it('reads unified alerting’s status, with or without its legacy state field', async () => {
    expect((await post('led', UNIFIED, GRAFANA)).json()).toEqual({
      published: { topic: '/alert', payload: '1', retain: true },
    });
    const resolved = { ...UNIFIED, status: 'resolved', state: 'ok', title: '[RESOLVED] pot high' };
    expect((await post('led', resolved, GRAFANA)).json()).toEqual({
      published: { topic: '/alert', payload: '0', retain: true },
    });
    expect(calls.map((c) => c.payload)).toEqual(['1', '0']);
  });

  it('prefers the more specific state, and falls back to status when only that is mapped', async () => {
    expect(statesOf({ state: 'No_Data', status: 'firing' })).toEqual(['no_data', 'firing', 'alerting']);
    expect(statesOf({ status: 'resolved' })).toEqual(['resolved', 'ok']);
    expect(statesOf([{ state: 'ok' }])).toEqual([]);
    // sensorhub's own webhook body: state no_data, status firing; "led" maps firing only.
    const res = await post('led', { receiver: 'sensorhub', status: 'firing', state: 'no_data' }, GRAFANA);
    expect(res.json()).toEqual({ published: { topic: '/alert', payload: '1', retain: true } });
  });

  it('publishes with the hook’s qos and retain: a non-retained QoS 1 by default', async () => {
    const res = await post('siren', LEGACY, ADMIN);
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([{ topic: 'alarms/siren', payload: 'ON', qos: 1, retain: false }]);
  });

  it('answers 422 HOOK_STATE_UNMAPPED for a state without a payload, and lists the mapped ones', async () => {
    const res = await post('led', { ...LEGACY, state: 'no_data' }, GRAFANA);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code: 'HOOK_STATE_UNMAPPED',
      error: 'hook "led" has no payload for "no_data"; it maps alerting, firing, ok, resolved',
    });
    const proto = await post('led', { state: 'constructor' }, GRAFANA);
    expect(proto.statusCode).toBe(422);
    expect(calls).toEqual([]);
  });

  it('answers 400 HTTP_BAD_REQUEST for a body without a state', async () => {
    for (const body of [{ title: 'x' }, [LEGACY], 'alerting', { state: 3 }, { state: '  ' }]) {
      const res = await post('led', body, GRAFANA);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({
        code: 'HTTP_BAD_REQUEST',
        error:
          'no alert state in the body: expected a JSON object with Grafana\'s "state" (alerting, ok, no_data, pending) or unified alerting\'s "status" (firing, resolved)',
      });
    }
    expect(calls).toEqual([]);
  });

  it('answers 404 HOOK_NOT_FOUND for an unknown name, with the configured ones', async () => {
    const res = await post('leds', LEGACY, GRAFANA);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      code: 'HOOK_NOT_FOUND',
      error: 'no inbound webhook "leds"; configured: led, siren',
    });
  });

  it('needs credentials of an admin or a client whose publish ACL allows the topic', async () => {
    const anonymous = await post('led', LEGACY);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="sensorhub"');
    expect((await post('led', LEGACY, basic('grafana', 'wrong-password'))).statusCode).toBe(401);
    expect((await post('led', LEGACY, VIEWER)).json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    const cam = await post('led', LEGACY, CAM);
    expect(cam.statusCode).toBe(403);
    expect(cam.json()).toEqual({
      code: 'AUTH_FORBIDDEN',
      error:
        'user "cam01" may not publish to "/alert" (hook "led"); use a client user whose publish ACL allows it, e.g. one added with: sensorhub user add grafana --role client --publish \'/alert\'',
    });
    // grafana may publish to /alert only.
    expect((await post('siren', LEGACY, GRAFANA)).statusCode).toBe(403);
    expect((await post('led', LEGACY, ADMIN)).statusCode).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('answers 503 MQTT_PUBLISH_FAILED when the publish fails', async () => {
    failWith = new Error('external broker unreachable');
    const res = await post('led', LEGACY, GRAFANA);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      code: 'MQTT_PUBLISH_FAILED',
      error: 'hook "led": could not publish: external broker unreachable',
    });
  });
});

describe('inboundHookSchema', () => {
  function issues(
    input: unknown,
    schema: typeof inboundHooksSchema | typeof inboundHookSchema = inboundHookSchema,
  ) {
    const r = schema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }

  it('reads seed 001’s hook and fills in qos and retain', () => {
    expect(
      inboundHookSchema.parse({ name: 'led', topic: '/alert', payload: { alerting: '1', ok: '0' } }),
    ).toEqual({
      name: 'led',
      topic: '/alert',
      qos: 1,
      retain: false,
      payload: { alerting: '1', ok: '0' },
    });
  });

  it('reports a typo in a state, a wildcard topic, a bad name, an empty mapping and a duplicate', () => {
    expect(issues({ ...LED, payload: { alerting: '1', okay: '0' } })).toEqual([
      'payload.okay: "okay" is not a Grafana alert state; states are alerting, ok, pending, no_data, paused, unknown, firing, resolved',
    ]);
    expect(issues({ ...LED, topic: 'alerts/#' })).toEqual([
      'topic: "alerts/#" holds a wildcard (+ or #), which a published topic cannot',
    ]);
    expect(issues({ ...LED, name: 'a/b' })[0]).toMatch(/^name: a hook name is 1-64 letters/);
    expect(issues({ ...LED, payload: {} })).toEqual(['payload: map at least one state to a payload']);
    expect(issues([LED, LED], inboundHooksSchema)).toEqual(['1.name: hook name "led" is used twice']);
  });
});

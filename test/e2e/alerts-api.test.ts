import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Alert rules through the API next to provisioned ones, evaluated on what MQTT clients publish, and the
 * inbound Grafana webhook that replaces seed 001's Flask service.
 */
describe('alerts API and inbound hooks', () => {
  let dir: string;
  let srv: TestServer;
  let grafanaPassword: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-alerts-api-'));
    await writeFile(
      join(dir, 'sensorhub.yaml'),
      `alerts:
  rules:
    - name: provisioned-temp
      source: { measurement: temperature, field: value }
      condition: { op: ">", threshold: 100 }
  hooks:
    - name: led
      topic: /alert
      retain: true
      payload: { alerting: "1", ok: "0" }
`,
    );
    srv = await startTestServer({ file: join(dir, 'sensorhub.yaml') });
    const user = await srv.api('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'grafana', role: 'client', publish: ['/alert'], subscribe: [] }),
    });
    expect(user.status, await user.clone().text()).toBe(201);
    grafanaPassword = ((await user.json()) as { password: string }).password;
  });

  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const json = (method: string, body: unknown) => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('creates a rule through the API that evaluates live MQTT data and publishes its action', async () => {
    const rule = {
      name: 'door-open',
      source: { measurement: 'door', field: 'value' },
      groupBy: ['device'],
      reducer: 'last',
      window: '10s',
      condition: { op: '>', threshold: 0.5 },
      actions: [
        {
          type: 'mqtt',
          topic: 'commands/{{labels.device}}/buzzer',
          payload: { firing: 'on', normal: 'off' },
        },
      ],
    };
    const created = await srv.api('/api/v1/alerts/rules', json('POST', rule));
    expect(created.status, await created.clone().text()).toBe(201);

    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    try {
      await client.subscribeAsync('commands/+/buzzer', { qos: 1 });
      const got = new Promise<string>((resolve) =>
        client.on('message', (t, p) => resolve(`${t} ${p.toString()}`)),
      );
      await client.publishAsync('sensors/front/door', '1', { qos: 1 });
      expect(await got).toBe('commands/front/buzzer on');
    } finally {
      await client.endAsync();
    }
    const list = (await (await srv.api('/api/v1/alerts')).json()) as {
      rules: Array<{
        name: string;
        provisioned: boolean;
        instances: Array<{ instance: string; state: string }>;
      }>;
    };
    expect(list.rules.map((r) => [r.name, r.provisioned])).toEqual([
      ['provisioned-temp', true],
      ['door-open', false],
    ]);
    expect(list.rules[1]?.instances).toMatchObject([{ instance: 'device=front', state: 'firing' }]);
    const history = (await (await srv.api('/api/v1/alerts/history?rule=door-open')).json()) as {
      history: Array<{ from: string; to: string; instance: string }>;
    };
    expect(await eventually(async () => history.history[0])).toMatchObject({
      from: 'normal',
      to: 'firing',
      instance: 'device=front',
    });
  });

  it('refuses invalid rules with every problem, and leaves provisioned rules to the config file', async () => {
    const bad = await srv.api(
      '/api/v1/alerts/rules',
      json('POST', {
        name: 'x',
        source: { measurement: 'm' },
        condition: { op: '>', threshold: 10 },
        recovery: 20,
        window: '0s',
      }),
    );
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; error: string };
    expect(body.code).toBe('ALERT_RULE_INVALID');
    expect(body.error).toMatch(/window: must be longer than 0/);
    expect(body.error).toMatch(/recovery: 20 is above the threshold 10/);
    const badAction = await srv.api(
      '/api/v1/alerts/rules',
      json('POST', {
        name: 'y',
        source: { measurement: 'm' },
        condition: { op: '>', threshold: 1 },
        actions: [
          {
            type: 'webhook',
            url: 'http://127.0.0.1:9/x',
            auth: { basic: { username: 'u', password: 'inline' } },
          },
        ],
      }),
    );
    expect(badAction.status).toBe(400);
    expect(((await badAction.json()) as { error: string }).error).toMatch(/secrets are never written inline/);

    const replace = await srv.api(
      '/api/v1/alerts/rules/provisioned-temp',
      json('PUT', { source: { measurement: 'm' }, condition: { op: '>', threshold: 1 } }),
    );
    expect(replace.status).toBe(409);
    expect(((await replace.json()) as { code: string }).code).toBe('ALERT_RULE_PROVISIONED');
    expect((await srv.api('/api/v1/alerts/rules/door-open', { method: 'DELETE' })).status).toBe(204);
    expect((await srv.api('/api/v1/alerts/rules/door-open', { method: 'DELETE' })).status).toBe(404);
  });

  it("takes Grafana's alert webhook and publishes the mapped, retained state (seed 001's Flask app)", async () => {
    const post = (body: unknown, auth: [string, string] = ['grafana', grafanaPassword]) =>
      srv.api('/api/v1/hooks/led', { ...json('POST', body), auth });
    const res = await post({ state: 'alerting', ruleName: 'pot average' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ published: { topic: '/alert', payload: '1', retain: true } });

    // A LED board that connects later gets it (retained).
    const led = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    try {
      const got = new Promise<string>((resolve) => led.on('message', (_t, p) => resolve(p.toString())));
      await led.subscribeAsync('/alert', { qos: 1 });
      expect(await got).toBe('1');
    } finally {
      await led.endAsync();
    }
    expect((await post({ status: 'resolved', alerts: [] })).status).toBe(200);
    expect((await post({ state: 'pending' })).status).toBe(422);
    expect((await post({ hello: 'world' })).status).toBe(400);
    expect((await srv.api('/api/v1/hooks/nope', json('POST', { state: 'ok' }))).status).toBe(404);
    expect((await post({ state: 'ok' }, ['grafana', 'wrong-password'])).status).toBe(401);
  });
});

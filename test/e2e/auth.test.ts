import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOutcome } from '../helpers/mqtt.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

describe('secure by default', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('refuses anonymous and wrong-password MQTT CONNECTs (3.1.1 and 5.0)', async () => {
    expect(await connectOutcome(srv.mqttUrl, {})).toBe('5'); // not authorized
    expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: 'wrong' })).toBe('4');
    expect(
      await connectOutcome(srv.mqttUrl, { username: 'admin', password: 'wrong', protocolVersion: 5 }),
    ).toBe(
      '134', // 0x86 bad user name or password
    );
    expect(await connectOutcome(srv.wsUrl, { username: 'nobody', password: 'x' })).toBe('4');
    expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: srv.password })).toBe(
      'connected',
    );
  });

  it.skipIf(!existsSync('/usr/bin/mosquitto_pub'))('refuses mosquitto_pub without credentials', async () => {
    const url = new URL(srv.mqttUrl);
    const err = await run('mosquitto_pub', [
      '-h',
      url.hostname,
      '-p',
      url.port,
      '-t',
      'sensors/a/b',
      '-m',
      '1',
    ]).catch((e: { stderr: string }) => e);
    expect(String((err as { stderr: string }).stderr)).toMatch(/not authori[sz]ed|refused/i);
  });

  it('requires credentials on the API but not on health endpoints', async () => {
    const anon = await srv.api('/api/v1/query?measurement=x', { auth: false });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/Basic/);
    expect(await anon.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    const wrong = await srv.api('/api/v1/series', { auth: ['admin', 'nope'] });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'AUTH_INVALID' });
    const viaParams = await srv.api(`/api/v1/series?u=admin&p=${encodeURIComponent(srv.password)}`, {
      auth: false,
    });
    expect(viaParams.status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/health', '/metrics']) {
      expect((await srv.api(path, { auth: false })).status, path).toBe(200);
    }
    const ping = await srv.api('/ping', { auth: false });
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toMatch(/sensorhub/);
  });
});

describe('--allow-anonymous', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ flags: { 'allow-anonymous': true } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('accepts clients without credentials, but still checks given ones', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { reconnectPeriod: 0 });
    await client.publishAsync('sensors/anon/temp', '20', { qos: 1 });
    await client.endAsync();
    const res = await srv.api('/api/v1/query?measurement=temp&agg=last', { auth: false });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { series: Array<{ value: unknown[] }> }).series[0]?.value).toEqual([20]);
    expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: 'wrong' })).toBe('4');
  });
});

describe('failed logins per address', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        SENSORHUB_AUTH_MAX_FAILURES: '3',
        SENSORHUB_AUTH_FAILURE_WINDOW: '1m',
        SENSORHUB_AUTH_BLOCK_FOR: '2s',
      },
    });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('block the address for a while, even for the right password, over MQTT and HTTP alike', async () => {
    // A device retrying one stale password is not guessing: it does not get its address blocked.
    for (let i = 0; i < 5; i++) {
      expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: 'stale-password' })).toBe('4');
    }
    expect((await srv.api('/api/v1/series')).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: `guess-${i}` })).toBe('4');
    }
    expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: srv.password })).toBe('5');
    expect(
      await connectOutcome(srv.mqttUrl, { username: 'admin', password: srv.password, protocolVersion: 5 }),
    ).toBe('135');
    const http = await srv.api('/api/v1/series');
    expect(http.status).toBe(429);
    expect(Number(http.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await http.json()).toMatchObject({ code: 'AUTH_BLOCKED' });

    await new Promise((r) => setTimeout(r, 2100));
    expect(await connectOutcome(srv.mqttUrl, { username: 'admin', password: srv.password })).toBe(
      'connected',
    );
    expect((await srv.api('/api/v1/series')).status).toBe(200);
  });
});

describe('connection limits', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: { SENSORHUB_MQTT_MAX_CONNECTIONS_PER_USER: '2', SENSORHUB_MQTT_RECEIVE_MAXIMUM: '50' },
    });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('refuses a user’s connection beyond mqtt.maxConnectionsPerUser until one closes', async () => {
    const opts = { username: 'admin', password: srv.password, reconnectPeriod: 0 };
    const first = await mqtt.connectAsync(srv.mqttUrl, { ...opts, protocolVersion: 5 });
    const second = await mqtt.connectAsync(srv.mqttUrl, opts);
    expect(await connectOutcome(srv.mqttUrl, opts)).toBe('3');
    await second.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    expect(await connectOutcome(srv.mqttUrl, opts)).toBe('connected');
    // MQTT 5 clients are told how many publishes they may have in flight.
    const connack = await new Promise<{ properties?: { receiveMaximum?: number } }>((resolve) => {
      const c = mqtt.connect(srv.mqttUrl, { ...opts, protocolVersion: 5 });
      c.once('connect', (packet) => {
        resolve(packet as never);
        c.end(true);
      });
    });
    expect(connack.properties?.receiveMaximum).toBe(50);
    await first.endAsync();
  });
});

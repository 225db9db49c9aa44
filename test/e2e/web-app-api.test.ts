import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** The small endpoints the web app's devices and ingest pages read: info, stats, broker clients. */
describe('web app API: info, stats, broker clients', () => {
  let srv: TestServer;
  let devicePassword: string;
  const viewer: [string, string] = ['watcher', 'viewer-password-1'];

  beforeAll(async () => {
    srv = await startTestServer();
    const user = await srv.api('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: viewer[0], role: 'viewer', password: viewer[1] }),
    });
    expect(user.status).toBe(201);
    const dev = await srv.api('/api/v1/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bathroom' }),
    });
    expect(dev.status).toBe(201);
    devicePassword = ((await dev.json()) as { password: string }).password;
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('GET /api/v1/info gives the MQTT ports and the default database to readers', async () => {
    const res = await srv.api('/api/v1/info', { auth: viewer });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      database: 'sensorhub',
      mqtt: { mode: 'embedded', port: srv.server.mqttPort, wsPath: '/mqtt', wsTls: false },
    });
  });

  it('GET /api/v1/stats has the ingest counters and gauges as JSON', async () => {
    const ok = await srv.api('/api/v1/ingest/sensors/x/temperature', { method: 'POST', body: '21.5' });
    expect(ok.status).toBe(200);
    const bad = await srv.api('/api/v1/ingest/sensors/x/temperature', { method: 'POST', body: 'warm' });
    expect(bad.status).toBe(400);
    const res = await srv.api('/api/v1/stats', { auth: viewer });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      time: number;
      metrics: Record<string, { type: string; value?: number; count?: number; samples?: unknown[] }>;
    };
    expect(Math.abs(body.time - Date.now())).toBeLessThan(5000);
    const m = body.metrics;
    expect(m.sensorhub_ingest_messages_total?.type).toBe('counter');
    expect(m.sensorhub_ingest_messages_total?.value).toBe(2);
    expect(m.sensorhub_ingest_messages_total?.samples).toContainEqual({
      labels: { result: 'rejected' },
      value: 1,
    });
    expect(m.sensorhub_ingest_rejected_total?.samples).toEqual([
      { labels: { reason: 'ING_DECODE' }, value: 1 },
    ]);
    expect(m.sensorhub_ingest_points_total?.value).toBe(1);
    expect(m.sensorhub_ingest_pending_points).toMatchObject({ type: 'gauge', value: 0 });
    expect(m.sensorhub_devices?.value).toBe(1);
    expect(m.sensorhub_store_commit_seconds?.type).toBe('histogram');
    expect(m.sensorhub_store_commit_seconds?.count).toBeGreaterThanOrEqual(1);
  });

  it('GET /api/v1/broker/clients lists connected clients with user, protocol and subscriptions', async () => {
    const esp = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'bathroom',
      password: devicePassword,
      clientId: 'esp32-bathroom',
      protocolVersion: 5,
    });
    try {
      await esp.subscribeAsync('commands/bathroom/#', { qos: 1 });
      const clients = await eventually(async () => {
        const body = (await (await srv.api('/api/v1/broker/clients', { auth: viewer })).json()) as {
          mode: string;
          visible: boolean;
          clients: Array<Record<string, unknown>>;
        };
        expect(body).toMatchObject({ mode: 'embedded', visible: true });
        return body.clients.find((c) => c.clientId === 'esp32-bathroom' && c.subscriptions === 1);
      });
      expect(clients).toMatchObject({
        username: 'bathroom',
        transport: 'tcp',
        protocolVersion: 5,
        cleanSession: true,
        address: expect.stringContaining('127.0.0.1'),
      });
      expect(Date.now() - Date.parse(clients.connectedAt as string)).toBeLessThan(10_000);
    } finally {
      await esp.endAsync();
    }
    // Gone from the list once it disconnected.
    await eventually(async () => {
      const b = (await (await srv.api('/api/v1/broker/clients')).json()) as { clients: unknown[] };
      return b.clients.length === 0 ? true : undefined;
    });
  });

  it('refuses devices (403) and requests without credentials (401)', async () => {
    for (const path of ['/api/v1/info', '/api/v1/stats', '/api/v1/broker/clients']) {
      const forbidden = await srv.api(path, { auth: ['bathroom', devicePassword] });
      expect(forbidden.status, path).toBe(403);
      expect(((await forbidden.json()) as { code: string }).code).toBe('AUTH_FORBIDDEN');
      const anonymous = await srv.api(path, { auth: false });
      expect(anonymous.status, path).toBe(401);
    }
  });
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('POST /api/v1/publish', () => {
  let srv: TestServer;
  let ledPassword: string;
  beforeAll(async () => {
    srv = await startTestServer();
    const res = await srv.api('/api/v1/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'led' }),
    });
    ledPassword = ((await res.json()) as { password: string }).password;
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const post = (body: unknown, auth?: [string, string]) =>
    srv.api('/api/v1/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(auth ? { auth } : {}),
    });

  it('delivers a command to a subscribed device, and keeps it retained for one that connects later', async () => {
    const led = await mqtt.connectAsync(srv.mqttUrl, { username: 'led', password: ledPassword });
    await led.subscribeAsync('commands/led/#', { qos: 1 });
    const got = new Promise<string>((resolve) =>
      led.on('message', (t, p) => resolve(`${t} ${p.toString()}`)),
    );
    const res = await post({ topic: 'commands/led/color', payload: 'red', qos: 1, retain: true });
    expect(res.status).toBe(204);
    expect(await got).toBe('commands/led/color red');
    await led.endAsync();

    const later = await mqtt.connectAsync(srv.mqttUrl, { username: 'led', password: ledPassword });
    const retained = new Promise<string>((resolve) => later.on('message', (_t, p) => resolve(p.toString())));
    await later.subscribeAsync('commands/led/color', { qos: 1 });
    expect(await retained).toBe('red');
    await later.endAsync();

    const binary = await post({
      topic: 'commands/led/raw',
      payload: Buffer.from([1, 2, 255]).toString('base64'),
      encoding: 'base64',
    });
    expect(binary.status).toBe(204);
  });

  it('checks the caller’s publish ACL and the request', async () => {
    const denied = await post({ topic: 'commands/other/color', payload: 'x' }, ['led', ledPassword]);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    const own = await post({ topic: 'sensors/led/state', payload: 'on' }, ['led', ledPassword]);
    expect(own.status).toBe(204);
    for (const [body, re] of [
      [{ topic: 'a/#', payload: 'x' }, /not a topic one can publish to/],
      [{ topic: '$SYS/x', payload: 'x' }, /not a topic one can publish to/],
      [{ payload: 'x' }, /topic is required/],
      [{ topic: 'a', payload: 1 }, /payload is required/],
      [{ topic: 'a', payload: 'x', qos: 3 }, /qos must be/],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(re);
    }
    expect((await post({ topic: 'a', payload: 'x' }, ['admin', 'wrong'])).status).toBe(401);
  });
});

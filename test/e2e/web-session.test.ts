import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.js';

/** Web app plumbing over real HTTP and WebSocket: session login, CSRF, live points, the served app. */
describe('web sessions, live mode and the served app', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  async function login(username = 'admin', password = TEST_PASSWORD): Promise<Response> {
    return fetch(`${srv.httpUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  }
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

  it('logs in with a password and sets an HttpOnly SameSite=Strict cookie', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ username: 'admin', role: 'admin' });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sensorhub_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');

    const me = await fetch(`${srv.httpUrl}/api/v1/session`, { headers: { cookie: cookieOf(res) } });
    expect(await me.json()).toEqual({ username: 'admin', role: 'admin' });
    const devices = await fetch(`${srv.httpUrl}/api/v1/devices`, { headers: { cookie: cookieOf(res) } });
    expect(devices.status).toBe(200);
  });

  it('answers "not logged in" without an error status, and refuses wrong passwords', async () => {
    const anon = await fetch(`${srv.httpUrl}/api/v1/session`);
    expect(anon.status).toBe(200);
    expect(await anon.json()).toEqual({ username: null, role: null });
    const bad = await login('admin', 'nope');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 'AUTH_INVALID', error: 'bad username or password' });
    expect(bad.headers.get('set-cookie')).toBeNull();
    const malformed = await fetch(`${srv.httpUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": 1}',
    });
    expect(malformed.status).toBe(401);
    expect((await malformed.json()) as { error: string }).toMatchObject({
      error: expect.stringContaining('username'),
    });
  });

  it('needs the CSRF header for changes made with the cookie', async () => {
    const cookie = cookieOf(await login());
    const body = JSON.stringify({ name: 'csrf-probe' });
    const without = await fetch(`${srv.httpUrl}/api/v1/devices`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body,
    });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: string }).error).toContain('x-sensorhub-csrf');
    const withHeader = await fetch(`${srv.httpUrl}/api/v1/devices`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-sensorhub-csrf': '1' },
      body,
    });
    expect(withHeader.status).toBe(201);
  });

  it('does not let devices (role client) log in, and ends sessions on logout and password change', async () => {
    const created = await srv.api('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dev1', password: 'device-password-1', role: 'client' }),
    });
    expect(created.status).toBe(201);
    const refused = await login('dev1', 'device-password-1');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain('role client');

    await srv.api('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ed', password: 'editor-password-1', role: 'editor' }),
    });
    const cookie = cookieOf(await login('ed', 'editor-password-1'));
    expect(await (await fetch(`${srv.httpUrl}/api/v1/session`, { headers: { cookie } })).json()).toEqual({
      username: 'ed',
      role: 'editor',
    });
    // An editor reads like a viewer, but does not manage users.
    expect((await fetch(`${srv.httpUrl}/api/v1/alerts`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${srv.httpUrl}/api/v1/users`, { headers: { cookie } })).status).toBe(403);

    const changed = await srv.api('/api/v1/users/ed/password', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'editor-password-2' }),
    });
    expect(changed.status).toBe(200);
    await expect
      .poll(async () => (await fetch(`${srv.httpUrl}/api/v1/alerts`, { headers: { cookie } })).status)
      .toBe(401);

    const again = cookieOf(await login('ed', 'editor-password-2'));
    const out = await fetch(`${srv.httpUrl}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: again, 'x-sensorhub-csrf': '1' },
    });
    expect(out.status).toBe(204);
    expect((await fetch(`${srv.httpUrl}/api/v1/alerts`, { headers: { cookie: again } })).status).toBe(401);
  });

  it('streams committed points to a live subscriber, filtered by measurement, field and tags', async () => {
    const cookie = cookieOf(await login());
    const ws = new WebSocket(`ws://127.0.0.1:${srv.server.httpPort}/api/v1/live`, { headers: { cookie } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const messages: Array<{
      type: string;
      data?: Record<
        string,
        Array<{ t: number; tags: Record<string, string>; fields: Record<string, unknown> }>
      >;
      error?: string;
    }> = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    ws.send(
      JSON.stringify({
        type: 'subscribe',
        id: 'a',
        measurement: 'temperature',
        fields: ['value'],
        tags: { device: '/^kitchen/' },
      }),
    );
    ws.send(JSON.stringify({ type: 'subscribe', id: 'bad', measurement: 'x', tags: { d: '/(/' } }));
    ws.send('not json');
    await expect.poll(() => messages.filter((m) => m.type === 'error').length).toBe(2);
    expect(messages.find((m) => m.type === 'error' && m.error?.includes('bad tag filter'))).toBeDefined();

    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: TEST_PASSWORD });
    await client.publishAsync('sensors/kitchen-1/temperature', '21.5', { qos: 1 });
    await client.publishAsync('sensors/bedroom/temperature', '19', { qos: 1 });
    await client.publishAsync('sensors/kitchen-2/humidity', '40', { qos: 1 });
    await client.publishAsync('sensors/kitchen-2/temperature', '22.5', { qos: 1 });
    await client.endAsync();

    await expect
      .poll(() => messages.flatMap((m) => (m.type === 'points' ? (m.data?.a ?? []) : [])).length)
      .toBe(2);
    const points = messages.flatMap((m) => (m.type === 'points' ? (m.data?.a ?? []) : []));
    expect(points.map((p) => [p.tags.device, p.fields.value])).toEqual([
      ['kitchen-1', 21.5],
      ['kitchen-2', 22.5],
    ]);
    expect(Math.abs((points[0]?.t ?? 0) - Date.now())).toBeLessThan(60_000);
    ws.close();
  });

  it('refuses live connections without credentials, and cookie connections from another origin', async () => {
    const noAuth = new WebSocket(`ws://127.0.0.1:${srv.server.httpPort}/api/v1/live`);
    const status = await new Promise<number>((resolve) => {
      noAuth.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      noAuth.once('open', () => resolve(101));
    });
    expect(status).toBe(401);
    const cookie = cookieOf(await login());
    const foreign = new WebSocket(`ws://127.0.0.1:${srv.server.httpPort}/api/v1/live`, {
      headers: { cookie, origin: 'https://evil.example' },
    });
    const foreignStatus = await new Promise<number>((resolve) => {
      foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      foreign.once('open', () => resolve(101));
    });
    expect(foreignStatus).toBe(403);
  });

  it('closes a live stream when its user’s password changes, and refuses foreign origins and slow regexes', async () => {
    await srv.api('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'watcher', password: 'watcher-password-1', role: 'viewer' }),
    });
    const cookie = cookieOf(await login('watcher', 'watcher-password-1'));
    const ws = new WebSocket(`ws://127.0.0.1:${srv.server.httpPort}/api/v1/live`, { headers: { cookie } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const errors: string[] = [];
    ws.on('message', (m) => errors.push(String(m)));
    ws.send(JSON.stringify({ type: 'subscribe', id: 'slow', measurement: 'x', tags: { d: '/(a+)+$/' } }));
    await expect.poll(() => errors.join('')).toContain('may not repeat a group');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await srv.api('/api/v1/users/watcher/password', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'watcher-password-2' }),
    });
    expect(await closed).toBe(4401);

    // Basic credentials ride along on a cross-site WebSocket too: a foreign Origin is refused whatever the
    // credentials; a garbage Origin as well.
    for (const origin of ['https://evil.example', 'null']) {
      const foreign = new WebSocket(`ws://127.0.0.1:${srv.server.httpPort}/api/v1/live`, {
        headers: {
          authorization: `Basic ${Buffer.from(`admin:${TEST_PASSWORD}`).toString('base64')}`,
          origin,
        },
      });
      const status = await new Promise<number>((resolve) => {
        foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        foreign.once('open', () => resolve(101));
      });
      expect(status, origin).toBe(403);
    }
  });

  it('ends sessions of a user removed and added again with the same name', async () => {
    const body = JSON.stringify({ name: 'temp', password: 'temp-password-1', role: 'viewer' });
    const headers = { 'content-type': 'application/json' };
    await srv.api('/api/v1/users', { method: 'POST', headers, body });
    const cookie = cookieOf(await login('temp', 'temp-password-1'));
    expect((await fetch(`${srv.httpUrl}/api/v1/devices`, { headers: { cookie } })).status).toBe(200);
    expect((await srv.api('/api/v1/users/temp', { method: 'DELETE' })).status).toBe(204);
    await srv.api('/api/v1/users', {
      method: 'POST',
      headers,
      body: body.replace('temp-password-1', 'temp-password-2'),
    });
    expect((await fetch(`${srv.httpUrl}/api/v1/devices`, { headers: { cookie } })).status).toBe(401);
  });

  it('runs only SELECT and SHOW on GET /query; what changes data or schema needs a POST', async () => {
    const q = (text: string) => `${srv.httpUrl}/query?q=${encodeURIComponent(text)}`;
    const auth = { authorization: `Basic ${Buffer.from(`admin:${TEST_PASSWORD}`).toString('base64')}` };
    const get = await fetch(q('SHOW DATABASES; CREATE DATABASE "viaget"'), { headers: auth });
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: string }).error).toContain('needs a POST request');
    const show = await (await fetch(q('SHOW DATABASES'), { headers: auth })).json();
    expect(JSON.stringify(show)).not.toContain('viaget');
    const post = await fetch(q('CREATE DATABASE "viapost"'), { method: 'POST', headers: auth });
    expect(post.status).toBe(200);
    // With the session cookie, a POST also needs the CSRF header.
    const cookie = cookieOf(await login());
    const noCsrf = await fetch(q('CREATE DATABASE "viacookie"'), { method: 'POST', headers: { cookie } });
    expect(noCsrf.status).toBe(403);
  });

  it('serves the built web app with security headers and long-cached hashed assets', async () => {
    for (const path of ['/', '/dashboards', '/d/anything', '/explore', '/devices']) {
      const res = await fetch(`${srv.httpUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    const html = await (await fetch(`${srv.httpUrl}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${srv.httpUrl}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    const etag = js.headers.get('etag') ?? '';
    const again = await fetch(`${srv.httpUrl}${script}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const missing = await fetch(`${srv.httpUrl}/assets/nope.js`);
    expect(missing.status).toBe(404);
  });
});

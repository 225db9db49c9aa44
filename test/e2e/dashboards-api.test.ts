import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredDashboard } from '../../src/dashboards/model.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The dashboards API on a real server: provisioned dashboards from a folder (read-only), dashboards saved
 * through the API with optimistic concurrency, Grafana import (seed 003's dashboard), and roles.
 */
describe('dashboards API', () => {
  let dir: string;
  let srv: TestServer;
  const editor: [string, string] = ['ed', 'editor-password-1'];
  const viewer: [string, string] = ['vi', 'viewer-password-1'];

  const POT = `uid: pot
title: Potentiometer
panels:
  - { id: v, type: stat, gridPos: { x: 0, y: 0, w: 6, h: 4 }, queries: [{ measurement: pot, field: value, aggregate: last }] }
`;
  const mine = {
    uid: 'mine',
    title: 'Mine',
    tags: ['test'],
    panels: [
      {
        id: 't',
        type: 'timeseries',
        gridPos: { x: 0, y: 0, w: 24, h: 8 },
        queries: [{ measurement: 'temperature', field: 'value', aggregate: 'mean' }],
      },
    ],
  };

  const send = (method: string, body: unknown, auth?: [string, string]) => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(auth ? { auth } : {}),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-dash-api-'));
    await mkdir(join(dir, 'dash'));
    await writeFile(join(dir, 'dash', 'pot.yaml'), POT);
    await writeFile(join(dir, 'dash', 'broken.yaml'), 'uid: broken\n');
    await writeFile(join(dir, 'sensorhub.yaml'), 'dashboards:\n  path: dash\n');
    srv = await startTestServer({ file: join(dir, 'sensorhub.yaml') });
    for (const [name, password, role] of [
      [...editor, 'editor'],
      [...viewer, 'viewer'],
    ]) {
      const res = await srv.api('/api/v1/users', send('POST', { name, password, role }));
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });

  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists provisioned dashboards with the problems of the folder', async () => {
    const res = await srv.api('/api/v1/dashboards', { auth: viewer });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      dashboards: Array<Record<string, unknown>>;
      provisioning: { path: string; errors: string[] };
    };
    expect(body.dashboards).toEqual([
      expect.objectContaining({
        uid: 'pot',
        title: 'Potentiometer',
        source: 'file',
        path: join(dir, 'dash', 'pot.yaml'),
        panels: 1,
        version: 1,
      }),
    ]);
    expect(body.provisioning.path).toBe(join(dir, 'dash'));
    expect(body.provisioning.errors).toEqual([
      `${join(dir, 'dash', 'broken.yaml')}: title: Invalid input: expected string, received undefined`,
    ]);
  });

  it('serves provisioned dashboards read-only', async () => {
    const got = await srv.api('/api/v1/dashboards/pot', { auth: viewer });
    expect(got.status).toBe(200);
    const pot = (await got.json()) as StoredDashboard;
    expect(pot).toMatchObject({
      uid: 'pot',
      source: 'file',
      version: 1,
      time: { from: 'now-1h', to: 'now' },
    });

    const put = await srv.api('/api/v1/dashboards/pot', send('PUT', { ...pot, title: 'X' }, editor));
    expect(put.status).toBe(409);
    const err = (await put.json()) as { code: string; error: string };
    expect(err.code).toBe('DASH_PROVISIONED');
    expect(err.error).toContain(`provisioned from ${join(dir, 'dash', 'pot.yaml')}`);
    expect(err.error).toContain('save a copy under a new uid');

    const del = await srv.api('/api/v1/dashboards/pot', { method: 'DELETE', auth: editor });
    expect(del.status).toBe(409);
    const post = await srv.api('/api/v1/dashboards', send('POST', { ...pot, title: 'Y' }, editor));
    expect(((await post.json()) as { code: string }).code).toBe('DASH_EXISTS');
    // A copy under a new uid is the way to edit it in the UI.
    const copy = await srv.api('/api/v1/dashboards', send('POST', { ...pot, uid: 'pot-copy' }, editor));
    expect(copy.status).toBe(201);
    expect(await copy.json()).toMatchObject({ uid: 'pot-copy', source: 'api', version: 1 });
  });

  it('creates, saves with a version check, and deletes', async () => {
    const created = await srv.api('/api/v1/dashboards', send('POST', mine, editor));
    expect(created.status, await created.clone().text()).toBe(201);
    const v1 = (await created.json()) as StoredDashboard;
    expect(v1).toMatchObject({ uid: 'mine', source: 'api', version: 1, refresh: 'off' });
    expect(Date.parse(v1.updatedAt)).toBeGreaterThan(0);

    const again = await srv.api('/api/v1/dashboards', send('POST', mine, editor));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('DASH_EXISTS');

    const saved = await srv.api('/api/v1/dashboards/mine', send('PUT', { ...v1, title: 'Mine 2' }, editor));
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({ title: 'Mine 2', version: 2 });

    // A second editor who loaded version 1 cannot clobber it.
    const stale = await srv.api('/api/v1/dashboards/mine', send('PUT', { ...v1, title: 'Stale' }, editor));
    expect(stale.status).toBe(409);
    const conflict = (await stale.json()) as { code: string; error: string; details: { version: number } };
    expect(conflict).toMatchObject({ code: 'DASH_VERSION_CONFLICT', details: { version: 2 } });
    expect(conflict.error).toMatch(/since version 1 was loaded/);

    const noVersion = await srv.api('/api/v1/dashboards/mine', send('PUT', mine, editor));
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({
      code: 'DASH_INVALID',
      details: { errors: ['version: required: the version this edit is based on (GET returns it)'] },
    });

    const list = (await (await srv.api('/api/v1/dashboards')).json()) as {
      dashboards: Array<{ uid: string }>;
    };
    expect(list.dashboards.map((d) => d.uid)).toEqual(['mine', 'pot', 'pot-copy']);

    expect((await srv.api('/api/v1/dashboards/mine', { method: 'DELETE', auth: editor })).status).toBe(204);
    const gone = await srv.api('/api/v1/dashboards/mine');
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { code: string }).code).toBe('DASH_NOT_FOUND');
  });

  it('refuses an invalid document with every problem as path: message', async () => {
    const res = await srv.api(
      '/api/v1/dashboards',
      send('POST', {
        uid: 'has space',
        title: 'Bad',
        panels: [{ id: 'a', type: 'pie', gridPos: { x: 20, y: 0, w: 8, h: 4 }, queries: [{ field: 'v' }] }],
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; details: { errors: string[] } };
    expect(body.code).toBe('DASH_INVALID');
    expect(body.details.errors).toEqual([
      'uid: uid is 1–64 letters, digits, - or _',
      expect.stringMatching(/^panels\.0\.type: /),
      'panels.0.queries.0: a query needs either influxql, or measurement and field',
    ]);
    const notJson = await srv.api('/api/v1/dashboards', send('POST', [1, 2]));
    expect(((await notJson.json()) as { details: { errors: string[] } }).details.errors).toEqual([
      '(document): expected a JSON object (a dashboard)',
    ]);
  });

  it('imports seed 003’s Grafana dashboard and lists what it could not carry over', async () => {
    const grafana = JSON.parse(
      await readFile(new URL('../fixtures/dashboards/grafana-bess-overview.json', import.meta.url), 'utf8'),
    ) as unknown;
    // As Grafana's HTTP API exports it: {dashboard, meta}.
    const wrapped = { dashboard: grafana, meta: { slug: 'bess' } };
    const res = await srv.api('/api/v1/dashboards/import?db=bess', send('POST', wrapped, editor));
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { dashboard: StoredDashboard; unsupported: string[] };
    expect(body.dashboard).toMatchObject({
      uid: 'ad5b5lz',
      title: 'Bess',
      database: 'bess',
      source: 'api',
      version: 1,
    });
    expect(body.dashboard.panels).toHaveLength(9);
    expect(body.unsupported).toHaveLength(10);
    expect(body.unsupported).toContain(
      'panel "Battery 1 - Power": transformations are not supported (calculateField); left out',
    );

    const again = await srv.api('/api/v1/dashboards/import', send('POST', grafana, editor));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('DASH_EXISTS');

    const replaced = await srv.api('/api/v1/dashboards/import?overwrite=true', send('POST', grafana, editor));
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as { dashboard: StoredDashboard }).dashboard.version).toBe(2);

    // An exported dashboard (GET) imports as it is, here under a new uid.
    const exported = await (await srv.api('/api/v1/dashboards/ad5b5lz')).json();
    const copy = await srv.api('/api/v1/dashboards/import?uid=bess-copy', send('POST', exported, editor));
    expect(copy.status).toBe(201);
    expect(await copy.json()).toMatchObject({ dashboard: { uid: 'bess-copy', version: 1 }, unsupported: [] });

    const overProvisioned = await srv.api(
      '/api/v1/dashboards/import?overwrite=true&uid=pot',
      send('POST', exported, editor),
    );
    expect(((await overProvisioned.json()) as { code: string }).code).toBe('DASH_PROVISIONED');
    const badFlag = await srv.api(
      '/api/v1/dashboards/import?overwrite=maybe',
      send('POST', exported, editor),
    );
    expect(badFlag.status).toBe(400);
  });

  it('lets viewers read but not write, and only admins reload the folder', async () => {
    expect((await srv.api('/api/v1/dashboards/pot', { auth: viewer })).status).toBe(200);
    for (const [path, method] of [
      ['/api/v1/dashboards', 'POST'],
      ['/api/v1/dashboards/import', 'POST'],
      ['/api/v1/dashboards/pot-copy', 'PUT'],
    ] as const) {
      const res = await srv.api(path, send(method, mine, viewer));
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('AUTH_FORBIDDEN');
    }
    expect((await srv.api('/api/v1/dashboards/pot-copy', { method: 'DELETE', auth: viewer })).status).toBe(
      403,
    );
    expect((await srv.api('/api/v1/dashboards', { auth: false })).status).toBe(401);

    await writeFile(join(dir, 'dash', 'broken.yaml'), 'uid: fixed\ntitle: Fixed\n');
    expect((await srv.api('/api/v1/dashboards/reload', { method: 'POST', auth: editor })).status).toBe(403);
    const reload = await srv.api('/api/v1/dashboards/reload', { method: 'POST' });
    expect(reload.status).toBe(200);
    expect(await reload.json()).toMatchObject({ provisioning: { dashboards: 2, errors: [] } });
    expect((await srv.api('/api/v1/dashboards/fixed', { auth: viewer })).status).toBe(200);
  });
});

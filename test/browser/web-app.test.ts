import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/simulator/index.js';
import { DESKTOP, launchBrowser, login, PHONE, screenshot, watchErrors } from '../helpers/browser.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

/**
 * The web app in a real headless Chromium against a real server with the simulator publishing over MQTT:
 * log in, open the provisioned dashboard, watch live values change without a reload, create and save a
 * dashboard, add a device and see its credentials once. Screenshots of every page at desktop and phone widths
 * go to test-artifacts/screenshots.
 */

const DASHBOARD = `
uid: sensors
title: Sensors
time: { from: now-5m, to: now }
refresh: 'off'
variables:
  - name: device
    query: SHOW TAG VALUES FROM "temperature" WITH KEY = "device"
    includeAll: true
panels:
  - id: temp
    type: timeseries
    title: Temperature
    gridPos: { x: 0, y: 0, w: 16, h: 8 }
    queries:
      - { measurement: temperature, field: value, aggregate: mean, interval: 1s, groupBy: [device], tags: { device: $device } }
    options: { unit: °C, thresholds: [{ value: null, color: green }, { value: 30, color: red }], showThresholds: true }
  - id: last
    type: stat
    title: Last temperature
    gridPos: { x: 16, y: 0, w: 8, h: 4 }
    queries:
      - { measurement: temperature, field: value, aggregate: last, interval: 1s }
    options: { decimals: 2, unit: °C }
  - id: hum
    type: gauge
    title: Humidity
    gridPos: { x: 16, y: 4, w: 8, h: 4 }
    queries:
      - { measurement: humidity, field: value, aggregate: last, interval: 1s }
    options: { min: 0, max: 100, unit: '%' }
  - id: table
    type: table
    title: Latest per device
    gridPos: { x: 0, y: 8, w: 12, h: 6 }
    queries:
      - influxql: SELECT last("value") FROM "temperature" WHERE $timeFilter GROUP BY "device"
  - id: bars
    type: bar
    title: Humidity per device
    gridPos: { x: 12, y: 8, w: 12, h: 6 }
    queries:
      - { measurement: humidity, field: value, aggregate: last, groupBy: [device], interval: 1s }
`;

describe('web app in Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let sim: Simulator;
  let dashDir: string;

  beforeAll(async () => {
    dashDir = await mkdtemp(join(tmpdir(), 'sensorhub-dash-'));
    await mkdir(dashDir, { recursive: true });
    await writeFile(join(dashDir, 'sensors.yaml'), DASHBOARD);
    server = await startTestServer({ flags: { dashboards: dashDir } });
    sim = new Simulator({
      url: server.mqttUrl,
      username: 'admin',
      password: TEST_PASSWORD,
      devices: 3,
      intervalMs: 300,
      profile: 'sensors',
      qos: 1,
      logger: createLogger('silent'),
    });
    await sim.start();
    // An alert rule that fires on the simulated rooms, and a message the rules reject.
    const rule = await server.api('/api/v1/alerts/rules', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'room-warm',
        source: { measurement: 'temperature', field: 'value' },
        groupBy: ['device'],
        reducer: 'avg',
        window: '5s',
        condition: { op: '>', threshold: -100 },
      }),
    });
    expect(rule.status).toBe(201);
    const bad = await mqtt.connectAsync(server.mqttUrl, { username: 'admin', password: TEST_PASSWORD });
    await bad.publishAsync('sensors/attic/temperature', 'twenty-one', { qos: 1 });
    await bad.endAsync();
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    await server?.stop();
    await rm(dashDir, { recursive: true, force: true });
  });

  async function newPage(size = DESKTOP): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: size });
    const page = await context.newPage();
    return { page, errors: watchErrors(page) };
  }

  it('refuses a wrong password with the server’s message, then logs in', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.httpUrl}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'bad username or password' }).waitFor();
    await screenshot(page, 'login-desktop');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboards' }).waitFor();
    // The failed login is a 401 the page handled: only that one request may show in the console.
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    await page.context().close();
  });

  it('opens the provisioned dashboard and shows live values changing without a reload', async () => {
    const { page, errors } = await newPage();
    await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
    await page.getByRole('link', { name: 'Sensors' }).click();
    await page.getByRole('heading', { name: 'Sensors' }).waitFor();
    // Every panel drew its data; the time series has a uPlot canvas and a legend per device.
    await page.locator('[data-panel-id][data-loaded="true"]').nth(4).waitFor();
    await page.locator('[data-panel-id="temp"] canvas').waitFor();
    await expect
      .poll(() => page.locator('[data-panel-id="temp"] .u-legend .u-series').count())
      .toBeGreaterThan(3);
    await page.evaluate('window.marker = 42');

    await page.getByLabel('Refresh').selectOption('live');
    await page.getByTitle('New points stream in').waitFor();
    // Once subscribed, the panels load once more (points committed between their load and the subscription
    // would be in neither); from then on only live points arrive.
    await page.waitForTimeout(1500);
    const queriesAfterLive: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/query?')) queriesAfterLive.push(r.url());
    });
    const stat = page.locator('[data-panel-id="last"] [data-testid="stat-value"]');
    const first = await stat.textContent();
    await expect.poll(async () => stat.textContent(), { timeout: 15_000 }).not.toBe(first);
    const second = await stat.textContent();
    await expect.poll(async () => stat.textContent(), { timeout: 15_000 }).not.toBe(second);
    // Same document (no reload), and the values came over the WebSocket, not from refetching: the builder
    // panels (their queries name the field with AS) sent no query since live mode began; only the InfluxQL
    // table panel, which live points cannot keep current, re-runs its query (every 5 s).
    expect(await page.evaluate('window.marker')).toBe(42);
    await expect.poll(() => queriesAfterLive.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const statements = queriesAfterLive.map((u) => new URL(u).searchParams.get('q') ?? '');
    expect(statements.filter((q) => q.includes(' AS "value"'))).toEqual([]);
    expect(statements.every((q) => q.startsWith('SELECT last("value") FROM "temperature"'))).toBe(true);
    await screenshot(page, 'dashboard-live-desktop');

    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await screenshot(page, 'dashboard-live-phone');
    // On a phone, panels stack full width and nothing overflows the page horizontally.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('creates a dashboard with a time-series panel, and finds it saved after a reload', async () => {
    const { page, errors } = await newPage();
    await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
    await page.getByRole('button', { name: 'New dashboard' }).click();
    await page.getByLabel('Title').fill('My room');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'My room' }).waitFor();
    await page.getByRole('button', { name: 'Add panel' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Title').fill('Room temperature');
    await dialog.getByLabel('Measurement').fill('temperature');
    await dialog.getByLabel('Measurement').press('Tab');
    await dialog.getByLabel('Group by tags').fill('device');
    await dialog.getByLabel('Group by tags').press('Tab');
    await dialog.getByLabel('Generated InfluxQL').filter({ hasText: 'FROM "temperature"' }).waitFor();
    await dialog.locator('.panel canvas').first().waitFor();
    await screenshot(page, 'panel-editor-desktop');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Edit', exact: true }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'My room' }).waitFor();
    await page.getByRole('heading', { name: 'Room temperature' }).waitFor();
    await page.locator('[data-loaded="true"] canvas').first().waitFor();
    const saved = (await (await server.api('/api/v1/dashboards')).json()) as {
      dashboards: Array<{ title: string; source: string; panels: number }>;
    };
    expect(saved.dashboards).toContainEqual(
      expect.objectContaining({ title: 'My room', source: 'api', panels: 1 }),
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('imports seed 003’s Grafana dashboard, lists what it could not map, and draws it', async () => {
    const { page, errors } = await newPage();
    await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
    await page.getByRole('button', { name: 'Import' }).click();
    const dialog = page.getByRole('dialog');
    const grafana = await readFile(
      join(import.meta.dirname, '..', 'fixtures', 'dashboards', 'grafana-bess-overview.json'),
      'utf8',
    );
    await dialog.getByLabel('Dashboard JSON').fill(grafana);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByText('Not imported', { exact: false }).waitFor();
    await screenshot(page, 'grafana-import-desktop');
    await dialog.getByRole('button', { name: /^Open / }).click();
    await page.getByRole('heading', { name: 'Bess', exact: true, level: 1 }).waitFor();
    const panels = page.locator('[data-panel-id]');
    expect(await panels.count()).toBeGreaterThanOrEqual(6);
    await page.locator('[data-panel-id][data-loaded="true"]').nth(5).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('adds a device and shows its credentials once, with connection snippets', async () => {
    const { page, errors } = await newPage();
    await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByRole('button', { name: 'Add device' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('kitchen-esp32');
    await dialog
      .getByRole('button', { name: /add|create/i })
      .last()
      .click();
    const password = (await dialog.getByTestId('device-password').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    await dialog.getByText(/shown only this once/i).waitFor();
    await dialog.getByRole('button', { name: 'Arduino (PubSubClient)', exact: true }).click();
    expect(await dialog.locator('pre').textContent()).toContain('PubSubClient');
    // The mosquitto_pub snippet, run as shown, publishes with the new credentials and the value is stored.
    await dialog.getByRole('button', { name: 'mosquitto_pub', exact: true }).click();
    const snippet = (await dialog.locator('pre').textContent()) ?? '';
    expect(snippet).toContain(password);
    await execFileAsync('bash', ['-c', snippet]);
    await expect
      .poll(async () => {
        const res = await server.api(
          '/query?db=sensorhub&q=' +
            encodeURIComponent('SELECT last("value") FROM /.*/ WHERE "device" = \'kitchen-esp32\''),
        );
        return JSON.stringify(await res.json());
      })
      .toContain('21.5');
    await screenshot(page, 'device-credentials-desktop');
    const devices = (await (await server.api('/api/v1/devices')).json()) as {
      devices: Array<{ name: string }>;
    };
    expect(devices.devices.map((d) => d.name)).toContain('kitchen-esp32');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows the alert firing per device, and a rejected message with its reason, replayed from the page', async () => {
    const { page, errors } = await newPage();
    await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Alerts', exact: true }).waitFor();
    await page.locator('td, th, h3, strong, code', { hasText: 'room-warm' }).first().waitFor();
    await page.locator('.badge', { hasText: 'firing' }).nth(1).waitFor({ timeout: 20_000 });
    await screenshot(page, 'alerts-firing-desktop');

    await page.getByRole('link', { name: 'Ingest' }).click();
    await page.getByRole('heading', { name: 'Ingest', exact: true }).waitFor();
    await page.getByText('sensors/attic/temperature').first().waitFor();
    await page.getByText('ING_DECODE').first().waitFor();
    await page.getByRole('button', { name: /^Replay all/ }).click();
    // The rules still reject it: the report says so with the code, and the letter stays.
    await page
      .getByText(/still rejected/i)
      .first()
      .waitFor();
    await screenshot(page, 'ingest-replay-desktop');
    const letters = (await (await server.api('/api/v1/dead-letters')).json()) as { total: number };
    expect(letters.total).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('every page renders without console errors, at desktop and phone widths', async () => {
    for (const [label, size] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const { page, errors } = await newPage(size);
      await login(page, server.httpUrl, 'admin', TEST_PASSWORD);
      await screenshot(page, `dashboards-${label}`);
      for (const [path, heading] of [
        ['/explore', 'Explore'],
        ['/devices', 'Devices'],
        ['/alerts', 'Alerts'],
        ['/ingest', 'Ingest'],
      ] as const) {
        await page.goto(`${server.httpUrl}${path}`);
        await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await screenshot(page, `${path.slice(1)}-${label}`);
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow, `${path} overflows at ${label} width`).toBeLessThanOrEqual(1);
      }
      // Both themes: the browser's preference first, then the other one.
      await page.goto(`${server.httpUrl}/d/sensors`);
      for (const theme of ['first', 'second']) {
        await page.locator('[data-panel-id][data-loaded="true"]').nth(4).waitFor();
        await screenshot(
          page,
          `dashboard-${label}-${await page.evaluate('document.documentElement.dataset.theme')}`,
        );
        if (theme === 'first')
          await page.getByRole('button', { name: /switch to (light|dark) theme/i }).click();
      }
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth, eventually } from '../helpers/server.js';

const run = promisify(execFile);
const PASSWORD = 'alerts-admin-password-1';
const HOOK_PASSWORD = 'grafana-webhook-password-1';

interface Hook {
  readonly authorization: string | undefined;
  readonly body: {
    state: string;
    status: string;
    sensorhubState: string;
    rule: string;
    value: number | null;
  };
}

/**
 * Seed 001 end to end with real processes: the simulator turns the potentiometer (/pot); when the 10 s
 * (here 2 s) average passes 3000 the rule fires, publishes a retained `1` on /alert and calls a webhook
 * with basic auth; below the recovery threshold it publishes `0`. A subscriber that connects after the
 * transition still gets the state; a restart keeps it.
 */
describe.skipIf(!existsSync('/usr/bin/mosquitto_sub'))('alerts: seed 001 pot → /alert', () => {
  let dir: string;
  let receiver: Server;
  let server: ServerProcess;
  let simulator: ChildProcess | undefined;
  const hooks: Hook[] = [];
  let config: string;

  const env = () => ({ SENSORHUB_ADMIN_PASSWORD: PASSWORD, HOOK_PASSWORD });
  const api = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
      headers: { authorization: basicAuth('admin', PASSWORD) },
    });
    expect(res.status, path).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const subscribeOnce = async () => {
    const { stdout } = await run(
      'mosquitto_sub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(server.mqttPort),
        '-u',
        'admin',
        '-P',
        PASSWORD,
        '-t',
        '/alert',
        '-C',
        '1',
        '-W',
        '10',
      ],
      { timeout: 15_000 },
    );
    return stdout.trim();
  };
  const state = async () => {
    const body = (await api('/api/v1/alerts')) as {
      rules: Array<{ name: string; instances: Array<{ state: string; since: number }> }>;
    };
    return body.rules.find((r) => r.name === 'pot-high')?.instances[0];
  };
  const startSimulator = () => {
    simulator = spawn(
      process.execPath,
      [
        'dist/src/cli/main.js',
        'simulate',
        '--url',
        `mqtt://127.0.0.1:${server.mqttPort}`,
        '--username',
        'admin',
        '--password',
        PASSWORD,
        '--profile',
        'pot-sweep',
        '--devices',
        '1',
        '--interval',
        '100ms',
      ],
      { stdio: 'ignore' },
    );
  };
  const stopSimulator = async () => {
    const s = simulator;
    simulator = undefined;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-alerts-'));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        hooks.push({ authorization: req.headers.authorization, body: JSON.parse(body) as Hook['body'] });
        res.statusCode = 200;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alert`;
    config = join(dir, 'sensorhub.yaml');
    await writeFile(
      config,
      `alerts:
  rules:
    - name: pot-high
      source: { measurement: pot, field: value }
      reducer: avg
      window: 2s
      condition: { op: ">", threshold: 3000 }
      recovery: 2500
      labels: { severity: warning }
      actions:
        - type: mqtt
          topic: /alert
          payload: { firing: "1", normal: "0" }
          retain: true
        - type: webhook
          url: ${hookUrl}
          auth: { basic: { username: grafana, passwordEnv: HOOK_PASSWORD } }
`,
    );
    server = await spawnServer(join(dir, 'data'), env(), ['--config', config]);
  });

  afterAll(async () => {
    await stopSimulator();
    server?.child.kill('SIGKILL');
    await new Promise((r) => receiver?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('fires on a high average: retained 1 for late subscribers, a webhook with basic auth', async () => {
    startSimulator();
    const firing = await eventually(
      async () => hooks.find((h) => h.body.sensorhubState === 'firing'),
      20_000,
    );
    expect(firing.authorization).toBe(basicAuth('grafana', HOOK_PASSWORD));
    expect(firing.body).toMatchObject({ state: 'alerting', status: 'firing', rule: 'pot-high' });
    expect(firing.body.value).toBeGreaterThan(3000);
    // A LED board that connects after the transition gets the current state at once (retained).
    await stopSimulator();
    expect(await subscribeOnce()).toBe('1');
    const { stdout } = await run(
      '/usr/bin/python3',
      [
        resolve('examples/pot-alert/led-controller.py'),
        '--host',
        '127.0.0.1',
        '--port',
        String(server.mqttPort),
        '--username',
        'admin',
        '--count',
        '1',
      ],
      { env: { ...process.env, LED_PASSWORD: PASSWORD }, timeout: 15_000 },
    );
    expect(stdout.trim()).toBe('LED RED (retained)');
  });

  it('keeps its state across a restart, then recovers below the recovery threshold: retained 0', async () => {
    const before = await state();
    expect(before?.state).toBe('firing');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await spawnServer(join(dir, 'data'), env(), ['--config', config]);
    const after = await state();
    expect(after).toMatchObject({ state: 'firing', since: before?.since });

    startSimulator();
    const ok = await eventually(async () => hooks.find((h) => h.body.sensorhubState === 'normal'), 20_000);
    expect(ok.body).toMatchObject({ state: 'ok', status: 'resolved' });
    expect(ok.body.value).toBeLessThan(2500);
    await stopSimulator();
    expect(await subscribeOnce()).toBe('0');

    const history = (await api('/api/v1/alerts/history?rule=pot-high')) as {
      history: Array<{ from: string; to: string; labels: Record<string, string> }>;
    };
    const path = history.history.map((h) => `${h.from}>${h.to}`).reverse();
    expect(path.slice(0, 2)).toEqual(['normal>firing', 'firing>normal']);
    expect(history.history[0]?.labels).toMatchObject({ severity: 'warning' });
    const deliveries = (await api('/api/v1/alerts/deliveries?rule=pot-high')) as {
      deliveries: Array<{ ok: boolean; action: { type: string } }>;
    };
    expect(deliveries.deliveries.some((d) => d.ok && d.action.type === 'mqtt')).toBe(true);
  });
});

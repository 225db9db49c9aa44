import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import type { DeviceInfo } from '../../src/devices/registry.js';
import { runCli } from '../helpers/cli.js';
import { connectOutcome } from '../helpers/mqtt.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const cli = runCli;

describe('device registry and presence', () => {
  let dataDir: string;
  let srv: TestServer;
  let env: Record<string, string>;
  let password: string;

  const device = async (name: string) =>
    (await (await srv.api(`/api/v1/devices/${name}`)).json()) as DeviceInfo;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-devices-'));
    srv = await startTestServer({ dataDir });
    env = { SENSORHUB_URL: srv.httpUrl, SENSORHUB_ADMIN_PASSWORD: srv.password };
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('issues per-device credentials once, limited to the device namespace', async () => {
    const add = await cli(['device', 'add', 'bathroom', '--description', 'ESP32 on the bathroom wall'], env);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/publish sensors\/%u\/#, subscribe commands\/%u\/#/);
    password = /password \(shown only now\): (\S+)/.exec(add.stdout)?.[1] as string;
    expect(password).toBeTruthy();
    const list = await cli(['device', 'list'], env);
    expect(list.stdout).toMatch(/bathroom\s+offline\s+last seen never\s+ESP32 on the bathroom wall/);
    const again = await cli(['device', 'add', 'bathroom'], env);
    expect(again.stderr).toMatch(/DEV_EXISTS/);

    const esp = await mqtt.connectAsync(srv.mqttUrl, { username: 'bathroom', password, protocolVersion: 5 });
    const rc = (topic: string) =>
      new Promise<number>((resolve) =>
        esp.publish(topic, '21.5', { qos: 1 }, (_e, p) =>
          resolve((p as { reasonCode?: number })?.reasonCode ?? 0),
        ),
      );
    expect(await rc('sensors/bathroom/temperature')).toBe(0);
    expect(await rc('sensors/kitchen/temperature')).toBe(0x87);
    const granted = await esp.subscribeAsync('commands/bathroom/#', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await esp.endAsync();
    const stored = (await (
      await srv.api('/api/v1/query?measurement=temperature&agg=count&tag.device=bathroom')
    ).json()) as QueryResponseDto;
    expect(stored.series[0]?.value).toEqual([1]);
  });

  it('shows presence: online while connected, offline with last-seen after it vanishes (and its will goes out)', async () => {
    const watcher = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    await watcher.subscribeAsync('sensors/bathroom/status', { qos: 1 });
    const will = new Promise<string>((resolve) => watcher.on('message', (_t, p) => resolve(p.toString())));

    const esp = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'bathroom',
      password,
      will: { topic: 'sensors/bathroom/status', payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    const online = await eventually(async () => {
      const d = await device('bathroom');
      return d.online ? d : undefined;
    });
    expect(online.connections).toBe(1);
    const metrics = await (await srv.api('/metrics', { auth: false })).text();
    expect(metrics).toMatch(/^sensorhub_devices_online 1$/m);
    expect(metrics).toMatch(/^sensorhub_devices 1$/m);

    const before = Date.now();
    esp.stream.destroy(); // the device vanishes: no DISCONNECT
    expect(await will).toBe('offline');
    const offline = await eventually(async () => {
      const d = await device('bathroom');
      return d.online ? undefined : d;
    });
    expect(Date.parse(offline.lastSeen as string)).toBeGreaterThanOrEqual(before - 1000);
    esp.end(true);
    await watcher.endAsync();
  });

  it('keeps last-seen across a restart, and removing a device revokes its credentials', async () => {
    const lastSeen = (await device('bathroom')).lastSeen;
    await srv.server.stop();
    srv = await startTestServer({ dataDir });
    env = { SENSORHUB_URL: srv.httpUrl, SENSORHUB_ADMIN_PASSWORD: srv.password };
    expect((await device('bathroom')).lastSeen).toBe(lastSeen);

    expect((await cli(['device', 'remove', 'bathroom'], env)).code).toBe(0);
    expect(await connectOutcome(srv.mqttUrl, { username: 'bathroom', password })).toBe('4');
    expect((await srv.api('/api/v1/devices/bathroom')).status).toBe(404);
  });
});

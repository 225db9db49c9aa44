import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { runCli } from '../helpers/cli.js';
import { connectOutcome } from '../helpers/mqtt.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const hasMosquitto = existsSync('/usr/bin/mosquitto_pub');

const cli = runCli;

describe('users, roles and topic ACLs', () => {
  let dataDir: string;
  let srv: TestServer;
  let env: Record<string, string>;
  let bathroomPassword: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-users-'));
    srv = await startTestServer({ dataDir });
    env = { SENSORHUB_URL: srv.httpUrl, SENSORHUB_ADMIN_PASSWORD: srv.password };
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds users through the running server, showing a generated password once', async () => {
    const add = await cli(['user', 'add', 'bathroom'], env);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/bathroom\s+client\s+publish: sensors\/%u\/#\s+subscribe: commands\/%u\/#/);
    bathroomPassword = /password \(shown only now\): (\S+)/.exec(add.stdout)?.[1] as string;
    expect(bathroomPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const viewer = await cli(
      ['user', 'add', 'dashboard', '--role', 'viewer', '--subscribe', 'sensors/#', '--password-stdin'],
      env,
      'dashboard-secret\n',
    );
    expect(viewer.code, viewer.stderr).toBe(0);
    expect(viewer.stdout).not.toMatch(/password/);

    const list = await cli(['user', 'list'], env);
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['admin', 'bathroom', 'dashboard']);
    const dup = await cli(['user', 'add', 'bathroom'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/AUTH_USER_EXISTS/);
    const bad = await cli(['user', 'add', 'bad+name', '--publish', 'a/#/b'], env);
    expect(bad.stderr).toMatch(/AUTH_BAD_USER.*name "bad\+name".*publish: "#" must be a whole last level/);
  });

  it('lets a device publish only below its namespace: 0x87 for MQTT 5, dropped for 3.1.1', async () => {
    const v5 = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'bathroom',
      password: bathroomPassword,
      protocolVersion: 5,
    });
    const ack = (topic: string) =>
      new Promise<number | undefined>((resolve) =>
        v5.publish(topic, '21.5', { qos: 1 }, (err, p) =>
          // MQTT.js leaves reasonCode out when it is 0 (success).
          resolve(
            err ? (err as Error & { code?: number }).code : ((p as { reasonCode?: number }).reasonCode ?? 0),
          ),
        ),
      );
    expect(await ack('sensors/bathroom/temperature')).toBe(0);
    expect(await ack('sensors/kitchen/temperature')).toBe(0x87);
    await v5.endAsync();

    const v3 = await mqtt.connectAsync(srv.mqttUrl, { username: 'bathroom', password: bathroomPassword });
    await v3.publishAsync('sensors/kitchen/humidity', '40', { qos: 1 }); // acked, as 3.1.1 has no "no"
    expect(v3.connected).toBe(true);
    await v3.endAsync();

    const kitchen = (await (
      await srv.api('/api/v1/query?measurement=humidity&agg=count')
    ).json()) as QueryResponseDto;
    expect(kitchen.series).toEqual([]);
    const temp = (await (
      await srv.api('/api/v1/query?measurement=temperature&agg=count&tag.device=bathroom')
    ).json()) as QueryResponseDto;
    expect(temp.series[0]?.value).toEqual([1]);
  });

  it('refuses subscriptions outside the ACL: SUBACK 0x87 (5.0) and 0x80 (3.1.1)', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const c = await mqtt.connectAsync(srv.mqttUrl, {
        username: 'bathroom',
        password: bathroomPassword,
        protocolVersion,
      });
      // MQTT.js reports a refused filter as an error that carries the SUBACK.
      const codes = await new Promise<number[]>((resolve) =>
        c.subscribe(['sensors/#', 'commands/bathroom/#'], (err, granted) => {
          const suback = (err as (Error & { packet?: { granted?: number[] } }) | null)?.packet?.granted;
          resolve(suback ?? (granted ?? []).map((g) => g.qos));
        }),
      );
      expect(codes).toEqual([protocolVersion === 5 ? 0x87 : 0x80, 0]);
      await c.endAsync();
    }
  });

  it.skipIf(!hasMosquitto)(
    'works for mosquitto_sub/pub: a viewer reads what a device publishes',
    async () => {
      const u = new URL(srv.mqttUrl);
      const sub = spawn('mosquitto_sub', [
        ...['-h', u.hostname, '-p', u.port, '-u', 'dashboard', '-P', 'dashboard-secret'],
        ...['-t', 'sensors/#', '-C', '1', '-v', '-W', '10'],
      ]);
      let out = '';
      sub.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      // Listen for the exit now: with -C 1 it may come before mosquitto_pub below has returned.
      const closed = new Promise((r) => sub.once('close', r));
      await new Promise((r) => setTimeout(r, 500));
      await run('mosquitto_pub', [
        ...['-h', u.hostname, '-p', u.port, '-u', 'bathroom', '-P', bathroomPassword, '-q', '1'],
        ...['-t', 'sensors/bathroom/humidity', '-m', '55'],
      ]);
      await closed;
      expect(out.trim()).toBe('sensors/bathroom/humidity 55');
      const denied = await run('mosquitto_sub', [
        ...[
          '-h',
          u.hostname,
          '-p',
          u.port,
          '-u',
          'bathroom',
          '-P',
          bathroomPassword,
          '-t',
          '#',
          '-C',
          '1',
          '-W',
          '2',
        ],
      ]).catch((e: { stderr: string; code: number }) => e);
      expect(String((denied as { stderr?: string }).stderr ?? '')).toMatch(
        /denied|refused|not authori[sz]ed/i,
      );
    },
  );

  it('holds for Python paho-mqtt too: wrong password refused, subscription outside the ACL refused', async () => {
    const u = new URL(srv.mqttUrl);
    const script = `
import sys, time, paho.mqtt.client as mqtt
host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def connect(pw):
    c = mqtt.Client(client_id="paho-acl")
    c.username_pw_set("bathroom", pw)
    result = {}
    c.on_connect = lambda cl, ud, flags, rc: result.setdefault("rc", rc)
    c.on_subscribe = lambda cl, ud, mid, granted: result.setdefault("granted", list(granted))
    c.connect(host, port)
    c.loop_start()
    for _ in range(50):
        if "rc" in result: break
        time.sleep(0.05)
    return c, result
c, r = connect("wrong-password")
print("wrong", r.get("rc"))
c.loop_stop(); c.disconnect()
c, r = connect(password)
c.subscribe([("sensors/#", 1), ("commands/bathroom/#", 1)])
for _ in range(50):
    if "granted" in r: break
    time.sleep(0.05)
print("granted", r.get("granted"))
c.loop_stop(); c.disconnect()
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script, u.hostname, u.port, bathroomPassword]);
    expect(stdout).toMatch(/^wrong 4$/m); // bad user name or password
    expect(stdout).toMatch(/^granted \[128, 1\]$/m);
  });

  it('gives HTTP access by role', async () => {
    const as = (user: string, pw: string, path: string) => srv.api(path, { auth: [user, pw] });
    expect((await as('bathroom', bathroomPassword, '/api/v1/series')).status).toBe(403);
    expect(await (await as('bathroom', bathroomPassword, '/api/v1/series')).json()).toMatchObject({
      code: 'AUTH_FORBIDDEN',
    });
    expect((await as('dashboard', 'dashboard-secret', '/api/v1/series')).status).toBe(200);
    expect((await as('dashboard', 'dashboard-secret', '/api/v1/users')).status).toBe(403);
    const users = (await (await srv.api('/api/v1/users')).json()) as { users: Array<{ name: string }> };
    expect(JSON.stringify(users)).not.toMatch(/passwordHash|scrypt/);
  });

  it('a new password works at once and the old one stops working at once', async () => {
    const open = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'bathroom',
      password: bathroomPassword,
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
    const changed = await cli(['user', 'passwd', 'bathroom'], env);
    expect(changed.code, changed.stderr).toBe(0);
    const next = /new password \(shown only now\): (\S+)/.exec(changed.stdout)?.[1] as string;
    expect(await connectOutcome(srv.mqttUrl, { username: 'bathroom', password: bathroomPassword })).toBe('4');
    expect(await connectOutcome(srv.mqttUrl, { username: 'bathroom', password: next })).toBe('connected');
    // The connection opened with the old password was ended.
    await closed;
    open.end(true);
    bathroomPassword = next;
  });

  it('a removed user cannot log in; the bootstrap admin cannot be removed', async () => {
    expect((await cli(['user', 'remove', 'dashboard'], env)).code).toBe(0);
    expect(
      await connectOutcome(srv.mqttUrl, {
        username: 'dashboard',
        password: 'dashboard-secret',
        protocolVersion: 5,
      }),
    ).toBe('134');
    const admin = await cli(['user', 'remove', 'admin'], env);
    expect(admin.stderr).toMatch(/AUTH_FORBIDDEN/);
  });

  it('edits a stopped server offline, and refuses to while it runs', async () => {
    const busy = await cli(['user', 'list', '--data-dir', dataDir], {});
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/if a server is running on it, use its API/);
    await srv.server.stop();
    const add = await cli(
      ['user', 'add', 'gateway', '--publish', 'plant/#', '--password-stdin', '--data-dir', dataDir],
      {},
      'gateway-secret\n',
    );
    expect(add.code, add.stderr).toBe(0);
    const unreachable = await cli(['user', 'list'], env);
    expect(unreachable.stderr).toMatch(/cannot reach the server .*--data-dir DIR/);
    srv = await startTestServer({ dataDir });
    const gw = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'gateway',
      password: 'gateway-secret',
    });
    await gw.publishAsync('plant/line-1/oee', '0.87', { qos: 1 });
    await gw.endAsync();
    const oee = (await (await srv.api('/api/v1/query?measurement=oee&agg=last')).json()) as QueryResponseDto;
    expect(oee.series[0]?.value).toEqual([0.87]);
  });
});

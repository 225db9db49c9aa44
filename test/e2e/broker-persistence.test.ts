import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../helpers/process.js';

const run = promisify(execFile);
const PASSWORD = 'persistence-test-password';

describe('broker state survives a restart', () => {
  let dir: string;
  const procs: ServerProcess[] = [];
  const start = async () => {
    const p = await spawnServer(dir, { SENSORHUB_ADMIN_PASSWORD: PASSWORD });
    procs.push(p);
    return p;
  };
  const restart = async (p: ServerProcess) => {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    return start();
  };
  const url = (p: ServerProcess) => `mqtt://127.0.0.1:${p.mqttPort}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-persist-'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!existsSync('/usr/bin/mosquitto_sub'))(
    'a retained message reaches a subscriber that connects after the restart (seed 001 /alert)',
    async () => {
      const first = await start();
      const pub = await mqtt.connectAsync(url(first), { username: 'admin', password: PASSWORD });
      await pub.publishAsync('/alert', '1', { qos: 1, retain: true });
      await pub.publishAsync('/gone', 'x', { qos: 1, retain: true });
      await pub.publishAsync('/gone', '', { qos: 1, retain: true }); // cleared again
      await pub.endAsync();
      const second = await restart(first);
      const { stdout } = await run('mosquitto_sub', [
        ...['-h', '127.0.0.1', '-p', String(second.mqttPort), '-u', 'admin', '-P', PASSWORD],
        ...['-t', '/alert', '-t', '/gone', '-v', '-C', '1', '-W', '5'],
      ]);
      expect(stdout.trim()).toBe('/alert 1');
      expect(second.logs().some((l) => l.includes('broker state restored from the store'))).toBe(true);
    },
  );

  it('a persistent session keeps its subscription and the QoS 1 message queued while it was away', async () => {
    let server = procs.at(-1) ?? (await start());
    const led = await mqtt.connectAsync(url(server), {
      username: 'admin',
      password: PASSWORD,
      clientId: 'led-controller',
      clean: false,
    });
    await led.subscribeAsync('commands/led', { qos: 1 });
    await led.endAsync();

    const pub = await mqtt.connectAsync(url(server), { username: 'admin', password: PASSWORD });
    await pub.publishAsync('commands/led', 'red', { qos: 1 });
    await pub.endAsync();

    server = await restart(server);

    const back = mqtt.connect(url(server), {
      username: 'admin',
      password: PASSWORD,
      clientId: 'led-controller',
      clean: false,
      reconnectPeriod: 0,
    });
    const message = await new Promise<string>((resolve, reject) => {
      back.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`));
      back.on('error', reject);
      setTimeout(() => reject(new Error('no queued message after the restart')), 5000);
    });
    expect(message).toBe('commands/led red');
    // The session is still subscribed: a new message arrives without subscribing again.
    const next = new Promise<string>((resolve) => back.on('message', (_t, p) => resolve(p.toString())));
    const pub2 = await mqtt.connectAsync(url(server), { username: 'admin', password: PASSWORD });
    await pub2.publishAsync('commands/led', 'green', { qos: 1 });
    await pub2.endAsync();
    expect(await next).toBe('green');
    back.end(true);
  });
});

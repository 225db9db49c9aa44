import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth, eventually } from '../helpers/server.js';
import { hasMosquitto, type RunningMosquitto, startMosquitto } from '../simulator/mosquitto.js';

const ADMIN = 'external-test-admin';
const INGEST_PASSWORD = 'ingest-secret-1';

/** Every `seq` value stored by one sensorhub, over all device series. */
async function storedSeqs(p: ServerProcess, devices: number): Promise<number[]> {
  const out: number[] = [];
  for (let d = 0; d < devices; d++) {
    const res = await fetch(
      `http://127.0.0.1:${p.httpPort}/api/v1/query?measurement=seq&tag.device=dev-${d}&from=-1h&to=%2B1m`,
      { headers: { authorization: basicAuth('admin', ADMIN) } },
    );
    const body = (await res.json()) as QueryResponseDto;
    for (const v of body.series[0]?.value ?? []) out.push(v as number);
  }
  return out;
}

describe.skipIf(!hasMosquitto)('external-broker mode against a real Mosquitto', { timeout: 120_000 }, () => {
  let mosquitto: RunningMosquitto;
  let dir: string;
  const procs: ServerProcess[] = [];

  const startIngest = async (name: string) => {
    const p = await spawnServer(join(dir, name), {
      SENSORHUB_ADMIN_PASSWORD: ADMIN,
      SENSORHUB_BROKER_MODE: 'external',
      SENSORHUB_BROKER_URL: `mqtt://127.0.0.1:${mosquitto.port}`,
      SENSORHUB_BROKER_USERNAME: 'sensorhub',
      SENSORHUB_BROKER_PASSWORD: INGEST_PASSWORD,
      SENSORHUB_BROKER_CLIENT_ID: `sensorhub-${name}`,
    });
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-external-'));
    mosquitto = await startMosquitto({
      users: { sensorhub: INGEST_PASSWORD, device: 'device-secret-1' },
      // Room for what a stopped member's persistent session queues meanwhile.
      extra: 'max_queued_messages 100000\nmax_inflight_messages 1000',
    });
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await mosquitto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('two sensorhub processes share the subscription and store 20,000 QoS 1 messages exactly once', async () => {
    const a = await startIngest('a');
    const b = await startIngest('b');
    for (const p of [a, b]) {
      expect(p.logs().some((l) => l.includes('subscribed on the external broker'))).toBe(true);
      const ready = await fetch(`http://127.0.0.1:${p.httpPort}/readyz`);
      expect(await ready.json()).toMatchObject({ checks: { broker: true, store: true } });
    }

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, {
      username: 'device',
      password: 'device-secret-1',
      protocolVersion: 5,
    });
    const total = 20_000;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        device.publishAsync(`sensors/dev-${i % 20}/seq`, String(i), { qos: 1 }),
      ),
    );
    await device.endAsync();

    const [inA, inB] = await eventually(async () => {
      const counts: [number[], number[]] = [await storedSeqs(a, 20), await storedSeqs(b, 20)];
      return counts[0].length + counts[1].length >= total ? counts : undefined;
    }, 60_000);
    const all = [...inA, ...inB];
    expect(all.length).toBe(total);
    expect(new Set(all).size).toBe(total);
    // Both took part.
    expect(inA.length).toBeGreaterThan(0);
    expect(inB.length).toBeGreaterThan(0);
  });

  it('a member stopped and restarted mid-stream loses nothing the broker handed it', async () => {
    const [a, b] = procs as [ServerProcess, ServerProcess];
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, {
      username: 'device',
      password: 'device-secret-1',
      protocolVersion: 5,
    });
    const start = 100_000;
    const total = 10_000;
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < total; i++) {
      sends.push(device.publishAsync(`sensors/dev-${i % 20}/seq`, String(start + i), { qos: 1 }));
      if (i === 3000) {
        a.child.kill('SIGTERM');
        expect(await a.exited).toBe(0);
      }
    }
    await Promise.all(sends);
    await device.endAsync();
    const again = await startIngest('a');

    const stored = await eventually(async () => {
      const values = new Set(
        [...(await storedSeqs(again, 20)), ...(await storedSeqs(b, 20))].filter((v) => v >= start),
      );
      return values.size >= total ? values : undefined;
    }, 60_000);
    expect(stored.size).toBe(total);
  });

  it('refuses to start, saying why, when the external broker rejects its login', async () => {
    const err = await spawnServer(join(dir, 'bad'), {
      SENSORHUB_ADMIN_PASSWORD: ADMIN,
      SENSORHUB_BROKER_MODE: 'external',
      SENSORHUB_BROKER_URL: `mqtt://127.0.0.1:${mosquitto.port}`,
      SENSORHUB_BROKER_USERNAME: 'sensorhub',
      SENSORHUB_BROKER_PASSWORD: 'wrong',
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /server exited \(1\)[\s\S]*refused the connection \(reason code 0x8[67]\): check its username and password/,
    );
  });

  it('publishes HTTP commands through the same connection to the external broker', async () => {
    const b = procs[1] as ServerProcess;
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, {
      username: 'device',
      password: 'device-secret-1',
    });
    await device.subscribeAsync('commands/dev-1/#', { qos: 1 });
    const got = new Promise<string>((resolve) =>
      device.on('message', (t, p) => resolve(`${t} ${p.toString()}`)),
    );
    const res = await fetch(`http://127.0.0.1:${b.httpPort}/api/v1/publish`, {
      method: 'POST',
      headers: { authorization: basicAuth('admin', ADMIN), 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'commands/dev-1/reboot', payload: 'now', qos: 1 }),
    });
    expect(res.status).toBe(204);
    expect(await got).toBe('commands/dev-1/reboot now');
    await device.endAsync();
  });
});

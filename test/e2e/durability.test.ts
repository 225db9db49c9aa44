import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth } from '../helpers/server.js';

const PASSWORD = 'durability-test-password';
const dirs: string[] = [];
const procs: ServerProcess[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sensorhub-dur-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, env: Record<string, string> = { SENSORHUB_ADMIN_PASSWORD: PASSWORD }) {
  const p = await spawnServer(dataDir, env);
  procs.push(p);
  return p;
}

async function storedValues(p: ServerProcess, password = PASSWORD): Promise<number[]> {
  const res = await fetch(
    `http://127.0.0.1:${p.httpPort}/api/v1/query?measurement=seq&tag.device=burst&from=-1h&to=%2B1m`,
    { headers: { authorization: basicAuth('admin', password) } },
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as QueryResponseDto;
  return (body.series[0]?.value ?? []) as number[];
}

/** Publishes 0..n-1 at QoS 1 without waiting, collecting the values whose PUBACK arrived. */
function burst(p: ServerProcess, n: number, onAck: (acked: Set<number>) => void) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${p.mqttPort}`, {
    username: 'admin',
    password: PASSWORD,
    reconnectPeriod: 0,
  });
  const acked = new Set<number>();
  client.on('error', () => {});
  client.on('connect', () => {
    for (let i = 0; i < n; i++) {
      client.publish('sensors/burst/seq', String(i), { qos: 1 }, (err) => {
        if (!err) {
          acked.add(i);
          onAck(acked);
        }
      });
    }
  });
  return { client, acked };
}

describe('acknowledged means stored', () => {
  it('kill -9 right after a burst of QoS 1 publishes loses no acknowledged point', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    let killed = false;
    const { client, acked } = burst(first, 20_000, (set) => {
      if (!killed && set.size >= 2000) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    });
    expect(await first.exited).toBe('SIGKILL');
    client.end(true);
    const ackedAtKill = new Set(acked);
    expect(ackedAtKill.size).toBeGreaterThanOrEqual(2000);

    const second = await start(dataDir);
    const stored = new Set(await storedValues(second));
    const missing = [...ackedAtKill].filter((v) => !stored.has(v));
    expect(missing).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM commits what is pending, acks it, and exits 0', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    let signalled = false;
    const { client, acked } = burst(first, 5000, (set) => {
      if (!signalled && set.size >= 500) {
        signalled = true;
        first.child.kill('SIGTERM');
      }
    });
    expect(await first.exited).toBe(0);
    client.end(true);
    // Publishes in flight at the signal were committed and acknowledged before the connection closed.
    expect(acked.size).toBeGreaterThan(500);
    const second = await start(dataDir);
    const stored = new Set(await storedValues(second));
    expect([...acked].filter((v) => !stored.has(v))).toEqual([]);
    expect(first.logs().some((l) => l.includes('sensorhub stopped'))).toBe(true);
  });
});

describe('bootstrap admin', () => {
  it('generates a password on first start, shows it once, stores only its hash', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir, {});
    const match = /password:\s+(\S+)/.exec(first.stderr());
    expect(match, first.stderr()).not.toBeNull();
    const password = match?.[1] as string;
    // The password is in no log line.
    expect(first.logs().some((l) => l.includes(password))).toBe(false);
    first.child.kill('SIGTERM');
    await first.exited;

    const second = await start(dataDir, {});
    expect(second.stderr()).not.toMatch(/password:/);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${second.mqttPort}`, {
      username: 'admin',
      password,
      reconnectPeriod: 0,
    });
    await client.publishAsync('sensors/burst/seq', '7', { qos: 1 });
    await client.endAsync();
    expect(await storedValues(second, password)).toEqual([7]);
  });
});

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { runCli } from '../helpers/cli.js';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth } from '../helpers/server.js';

const PASSWORD = 'backup-test-password';
const ENV = { SENSORHUB_ADMIN_PASSWORD: PASSWORD };
const dirs: string[] = [];
const procs: ServerProcess[] = [];

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sensorhub-backup-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string): Promise<ServerProcess> {
  const p = await spawnServer(dataDir, ENV);
  procs.push(p);
  return p;
}

async function stop(p: ServerProcess): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

async function stored(
  p: ServerProcess,
  device: string,
  auth = basicAuth('admin', PASSWORD),
): Promise<number[]> {
  const res = await fetch(
    `http://127.0.0.1:${p.httpPort}/api/v1/query?measurement=seq&tag.device=${device}&from=-1h&to=%2B1m`,
    { headers: { authorization: auth } },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as QueryResponseDto).series[0]?.value as number[];
}

/** Publishes 0, 1, 2, … at QoS 1, one at a time, until stopped; `acked` holds those whose PUBACK came. */
async function publisher(p: ServerProcess) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${p.mqttPort}`, {
    username: 'admin',
    password: PASSWORD,
    reconnectPeriod: 0,
  });
  const acked = new Set<number>();
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      await client.publishAsync('sensors/pub/seq', String(i), { qos: 1 });
      acked.add(i);
    }
  })();
  const waitFor = async (n: number) => {
    while (acked.size < n) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    acked,
    waitFor,
    async stop() {
      running = false;
      await done;
      await client.endAsync();
    },
  };
}

describe('sensorhub backup / restore', () => {
  it('backs up a server under continuous writes; the restore has every point acknowledged before', async () => {
    const dataDir = await tempDir();
    const out = await tempDir();
    const server = await start(dataDir);
    const env = { ...ENV, SENSORHUB_URL: `http://127.0.0.1:${server.httpPort}` };
    // Users live in the store: one created before the backup must log in after the restore.
    const created = await runCli(
      ['user', 'add', 'grafana', '--role', 'viewer', '--password-stdin'],
      env,
      'viewer-pass-1\n',
    );
    expect(created.code, created.stderr).toBe(0);

    const pub = await publisher(server);
    await pub.waitFor(300);
    const beforeFile = new Set(pub.acked);
    const file = join(out, 'backup.tar');
    const backup = await runCli(['backup', '--out', file], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backup written to .*backup\.tar: snapshot of \d{4}-/);
    const ackedAfterFile = pub.acked.size;

    await pub.waitFor(ackedAfterFile + 200);
    const beforeDir = new Set(pub.acked);
    const dirBackup = await runCli(['backup', '--out', `${join(out, 'as-dir')}/`], env);
    expect(dirBackup.code, dirBackup.stderr).toBe(0);
    expect((await readdir(join(out, 'as-dir'))).sort()).toEqual([
      'sensorhub-backup.json',
      'sensorhub.duckdb',
    ]);
    await pub.waitFor(pub.acked.size + 100);

    // Writes went on during both backups.
    expect(pub.acked.size).toBeGreaterThan(beforeDir.size + 50);

    // A restore into the running server's directory is refused, even with --force.
    const busy = await runCli(['restore', '--from', file, '--data-dir', dataDir, '--force'], {});
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/a server is running on .*; stop it before restoring/);

    await pub.stop();
    const total = pub.acked.size;
    await stop(server);

    // A non-empty directory needs --force.
    const nonEmpty = await tempDir();
    await writeFile(join(nonEmpty, 'notes.txt'), 'keep me');
    const refused = await runCli(['restore', '--from', file, '--data-dir', nonEmpty], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty \(notes\.txt\).*--force/);

    for (const [from, before] of [
      [file, beforeFile],
      [join(out, 'as-dir'), beforeDir],
    ] as const) {
      const fresh = join(await tempDir(), 'data');
      const restored = await runCli(['restore', '--from', from, '--data-dir', fresh], {});
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).toMatch(/restored the backup of .* into .*: \d+ series, \d+ values/);

      const again = await start(fresh);
      const values = new Set(await stored(again, 'pub'));
      expect([...before].filter((v) => !values.has(v))).toEqual([]);
      // A consistent prefix: nothing that was never acknowledged by the end, and no holes.
      expect(values.size).toBeLessThanOrEqual(total + 1);
      expect(Math.max(...values)).toBe(values.size - 1);
      // The restored server works: it stores new points, and the user made before the backup logs in.
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${again.mqttPort}`, {
        username: 'admin',
        password: PASSWORD,
        reconnectPeriod: 0,
      });
      await client.publishAsync('sensors/after/seq', '42', { qos: 1 });
      await client.endAsync();
      expect(await stored(again, 'after', basicAuth('grafana', 'viewer-pass-1'))).toEqual([42]);
      await stop(again);
    }
  }, 90_000);

  it('refuses bad calls clearly', async () => {
    const dir = await tempDir();
    const noOut = await runCli(['backup'], ENV);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('sensorhub backup --out FILE|DIR');

    const unreachable = await runCli(['backup', '--out', join(dir, 'x.tar')], {
      ...ENV,
      SENSORHUB_URL: 'http://127.0.0.1:9',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the server at http:\/\/127\.0\.0\.1:9/);

    await writeFile(join(dir, 'not-a-backup.tar'), 'hello');
    const bad = await runCli(
      ['restore', '--from', join(dir, 'not-a-backup.tar'), '--data-dir', join(dir, 'd')],
      {},
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/truncated|not a sensorhub backup|checksum/);
    // Nothing was left behind in the target.
    await mkdir(join(dir, 'd'), { recursive: true });
    expect(await readdir(join(dir, 'd'))).toEqual([]);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth } from '../helpers/server.js';

const PASSWORD = 'full-disk-test-password';

/** A small tmpfs gives a real ENOSPC; mounting needs root, so the test says so when it cannot. */
function mountTinyDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'sensorhub-tinyfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    console.warn(`full-disk test skipped: cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

const disk = process.getuid?.() === 0 ? mountTinyDisk() : undefined;
const procs: ServerProcess[] = [];

afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  if (disk) {
    execFileSync('umount', ['-l', disk]);
    rmSync(disk, { recursive: true, force: true });
  }
});

describe.skipIf(!disk)('a full disk', { timeout: 120_000 }, () => {
  it('refuses what it cannot store, stays up, says so, recovers when space returns, and loses nothing acked', async () => {
    const root = disk as string;
    const dataDir = join(root, 'data');
    const filler = join(root, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024));
    const server = await spawnServer(dataDir, { SENSORHUB_ADMIN_PASSWORD: PASSWORD });
    procs.push(server);
    const http = `http://127.0.0.1:${server.httpPort}`;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttPort}`, {
      username: 'admin',
      password: PASSWORD,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const publish = (i: number) =>
      new Promise<number | string>((resolve) => {
        const fields = Array.from({ length: 40 }, (_, k) => `"f${k}":${i}.${k}`).join(',');
        client.publish(`disk/dev-${i % 50}`, `{"seq":${i},${fields}}`, { qos: 1 }, (err, packet) =>
          resolve(err ? err.message : ((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0)),
        );
      });

    const acked: number[] = [];
    let failure: number | string | undefined;
    // Rounds of concurrent publishes, so the disk fills in seconds; each round is one or two commits.
    for (let round = 0; round < 200 && failure === undefined; round++) {
      const ids = Array.from({ length: 200 }, (_, k) => round * 200 + k);
      const codes = await Promise.all(ids.map(publish));
      codes.forEach((rc, k) => {
        if (rc === 0) acked.push(ids[k] as number);
        else failure ??= rc;
      });
    }
    expect(failure, 'the disk never filled').toBeDefined();
    expect(String(failure)).toMatch(/Unspecified error|128/);
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    // A commit that fails can leave room for a smaller one (DuckDB drops the failed WAL tail), and a later
    // success makes the store ready again (docs/operations.md): keep publishing into the full disk until a
    // failure is the last word, as it is while the disk stays full.
    let ready = await fetch(`${http}/readyz`);
    for (let round = 0; ready.status !== 503 && round < 50; round++) {
      const ids = Array.from({ length: 50 }, (_, k) => 50_000 + round * 50 + k);
      const codes = await Promise.all(ids.map(publish));
      codes.forEach((rc, k) => {
        if (rc === 0) acked.push(ids[k] as number);
      });
      ready = await fetch(`${http}/readyz`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { store: false } });
    expect(server.logs().some((l) => l.includes('No space left on device'))).toBe(true);

    // Space comes back: the next publishes are stored again.
    rmSync(filler);
    let recovered = false;
    for (let i = 100_000; i < 100_050 && !recovered; i++) {
      if ((await publish(i)) === 0) {
        acked.push(i);
        recovered = true;
      }
    }
    expect(recovered).toBe(true);
    await client.endAsync();

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const again = await spawnServer(dataDir, { SENSORHUB_ADMIN_PASSWORD: PASSWORD });
    procs.push(again);
    const stored = new Set<number>();
    for (let d = 0; d < 50; d++) {
      const r = await fetch(
        `http://127.0.0.1:${again.httpPort}/api/v1/query?measurement=dev-${d}&field=seq&from=-1h&to=%2B1m`,
        { headers: { authorization: basicAuth('admin', PASSWORD) } },
      );
      for (const v of ((await r.json()) as QueryResponseDto).series[0]?.value ?? []) stored.add(v as number);
    }
    expect(acked.filter((v) => !stored.has(v))).toEqual([]);
    again.child.kill('SIGTERM');
    await again.exited;
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const T0 = 1_704_067_200; // 2024-01-01T00:00:00Z

/** `sensorhub export` from one running server, `sensorhub import` into another: the same points. */
describe('export and import', () => {
  let dir: string;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-transfer-'));
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(`env,room=bath\\ 1,floor=1 t=${20 + (i % 7) / 10},ok=${i % 2 === 0} ${T0 + i}`);
      if (i % 10 === 0) lines.push(`door,room=hall state="open ${i}",count=${i} ${T0 + i}`);
    }
    const res = await a.api('/write?db=home&precision=s', { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (srv: TestServer, q: string) => {
    const res = await srv.api(`/query?db=home&q=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
    return body.results[0]?.series?.[0]?.values;
  };

  it('exports line protocol that imports (gzipped) into another server unchanged', async () => {
    const out = join(dir, 'home.lp');
    const env = (srv: TestServer) => ({ SENSORHUB_URL: srv.httpUrl, SENSORHUB_ADMIN_PASSWORD: srv.password });
    const exp = await runCli(
      [
        'export',
        '--db',
        'home',
        '--from',
        '2024-01-01T00:00:00Z',
        '--to',
        '2024-01-02T00:00:00Z',
        '--out',
        out,
      ],
      env(a),
    );
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stderr).toContain('exported 1100 points from home');
    const text = await readFile(out, 'utf8');
    expect(text).toContain('env,floor=1,room=bath\\ 1 ok=true,t=20 1704067200000000000');
    expect(text).toContain('door,room=hall count=0,state="open 0" 1704067200000000000');

    await writeFile(join(dir, 'home.lp.gz'), gzipSync(`${text}this is not line protocol\n`));
    const imp = await runCli(['import', join(dir, 'home.lp.gz'), '--db', 'home'], env(b));
    expect(imp.code).toBe(1);
    expect(imp.stderr).toMatch(/imported 1100 lines, 1 rejected/);
    expect(imp.stderr).toMatch(/1 × partial write: unable to parse/);

    const q = `SELECT count(t), mean(t), count(ok) FROM env WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'`;
    expect(await count(b, q)).toEqual(await count(a, q));
    const d = `SELECT * FROM door WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'`;
    expect(await count(b, d)).toEqual(await count(a, d));
  });

  it('exports and imports CSV', async () => {
    const c = await mkdtemp(join(tmpdir(), 'sensorhub-transfer-csv-'));
    const fresh = await startTestServer();
    try {
      const out = join(c, 'door.csv');
      const exp = await runCli(
        [
          'export',
          '--db',
          'home',
          '--measurement',
          'door',
          '--from',
          '2024-01-01T00:00:00Z',
          '--to',
          '2024-01-02T00:00:00Z',
          '--format',
          'csv',
          '--out',
          out,
        ],
        { SENSORHUB_URL: a.httpUrl, SENSORHUB_ADMIN_PASSWORD: a.password },
      );
      expect(exp.code, exp.stderr).toBe(0);
      const csvText = await readFile(out, 'utf8');
      expect(csvText.split('\n')[0]).toBe('measurement,time,tags,field,value');
      expect(csvText).toContain('door,1704067200000000,room=hall,state,"""open 0"""');
      const imp = await runCli(['import', out, '--db', 'home'], {
        SENSORHUB_URL: fresh.httpUrl,
        SENSORHUB_ADMIN_PASSWORD: fresh.password,
      });
      expect(imp.code, imp.stderr).toBe(0);
      const d = `SELECT * FROM door WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'`;
      expect(await count(fresh, d)).toEqual(await count(a, d));
    } finally {
      await fresh.stop();
      await rm(c, { recursive: true, force: true });
    }
  });
});

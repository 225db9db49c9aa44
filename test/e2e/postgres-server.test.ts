import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pgLib from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type PostgresServer, postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { type ServerProcess, spawnServer } from '../helpers/process.js';
import { basicAuth, eventually } from '../helpers/server.js';

const PASSWORD = 'pg-admin-password-1';
const unavailable = postgresUnavailable();

/**
 * `sensorhub start` on a real PostgreSQL (storage.url; password from SENSORHUB_STORAGE_PASSWORD): MQTT
 * publishes are stored there, queried back through the REST and InfluxQL APIs, and survive a restart.
 */
describe.skipIf(unavailable !== undefined)('sensorhub on PostgreSQL', () => {
  let pg: PostgresServer;
  let dir: string;
  let server: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    pg = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-pg-e2e-'));
    env = {
      SENSORHUB_ADMIN_PASSWORD: PASSWORD,
      SENSORHUB_STORAGE_URL: await pg.createDatabase(),
      SENSORHUB_STORAGE_PASSWORD: pg.password,
    };
    server = await spawnServer(join(dir, 'data'), env);
  }, 60_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
      headers: { authorization: basicAuth('admin', PASSWORD) },
    });
    expect(res.status, path).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('stores MQTT publishes in PostgreSQL and answers REST and InfluxQL queries, across a restart', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttPort}`, {
      username: 'admin',
      password: PASSWORD,
    });
    try {
      for (const v of [20.5, 21, 21.5])
        await client.publishAsync('sensors/cellar/temperature', String(v), { qos: 1 });
      await client.publishAsync('sensors/cellar/temperature', 'warm', { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const rest = (await get('/api/v1/query?measurement=temperature&tag.device=cellar&from=-5m')) as {
      series: Array<{ value: number[] }>;
    };
    expect(rest.series[0]?.value).toEqual([20.5, 21, 21.5]);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await spawnServer(join(dir, 'data'), env);

    const q = encodeURIComponent(
      'SELECT mean("value"), count("value") FROM "temperature" WHERE time >= now() - 5m GROUP BY "device"',
    );
    const influx = (await get(`/query?db=sensorhub&q=${q}`)) as {
      results: Array<{
        series?: Array<{ tags: Record<string, string>; columns: string[]; values: unknown[][] }>;
      }>;
    };
    const series = influx.results[0]?.series?.[0];
    expect(series?.tags).toEqual({ device: 'cellar' });
    expect(series?.columns).toEqual(['time', 'mean', 'count']);
    expect(series?.values[0]?.slice(1)).toEqual([21, 3]);
    const letters = await eventually(async () => {
      const d = (await get('/api/v1/dead-letters?code=ING_DECODE')) as { total: number };
      return d.total === 1 ? d : undefined;
    });
    expect(letters.total).toBe(1);
  });

  it('provisions least-privilege roles: the reader reads, and may not write', async () => {
    const r = await runCli(['storage', 'roles', '--reader', 'grafana_reader'], {
      SENSORHUB_STORAGE_URL: env.SENSORHUB_STORAGE_URL as string,
      SENSORHUB_STORAGE_PASSWORD: pg.password,
      SENSORHUB_READER_PASSWORD: 'reader-password-1',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('roles ready: sensorhub_ingest (ingest), grafana_reader (reader)');
    expect(r.stdout).toMatch(/passwords \(shown only now\):\n {2}sensorhub_ingest: \S+/);
    const url = new URL(env.SENSORHUB_STORAGE_URL as string);
    const reader = new pgLib.Client({
      host: url.hostname,
      port: Number(url.port),
      database: url.pathname.slice(1),
      user: 'grafana_reader',
      password: 'reader-password-1',
    });
    await reader.connect();
    try {
      const rows = await reader.query('SELECT count(*)::int AS n FROM sensorhub.readings');
      expect(rows.rows[0]?.n).toBe(3);
      await expect(reader.query('DELETE FROM sensorhub.samples')).rejects.toThrow(/permission denied/);
      await expect(reader.query('SELECT * FROM sensorhub.meta')).rejects.toThrow(/permission denied/);
    } finally {
      await reader.end();
    }
  });
});

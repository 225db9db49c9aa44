import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Retention end to end, on real time: the server keeps 10 s, checks every 200 ms, and the test writes
 * points a few seconds inside the window, then watches them go.
 */
describe('retention per database', () => {
  let srv: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-retention-'));
    const config = join(dir, 'sensorhub.yaml');
    // Line protocol over MQTT, so that a device can send timestamps (and old ones).
    await writeFile(
      config,
      [
        'ingest:',
        '  rules:',
        '    - name: lp',
        '      topic: lp/#',
        '      format: influx',
        '      database: mqttdb',
        '      precision: ms',
        '',
      ].join('\n'),
    );
    srv = await startTestServer({
      file: config,
      env: { SENSORHUB_RETENTION: '10s', SENSORHUB_RETENTION_CHECK_INTERVAL: '200ms' },
    });
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const influxql = async (q: string, db?: string) => {
    const res = await srv.api(`/query?q=${encodeURIComponent(q)}${db ? `&db=${db}` : ''}`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      results: Array<{ error?: string; series?: Array<{ columns: string[]; values: unknown[][] }> }>;
    };
  };
  const values = async (db: string, measurement: string) =>
    (await influxql(`SELECT v FROM ${measurement}`, db)).results[0]?.series?.[0]?.values.map((r) => r[1]) ??
    [];
  const write = (db: string, body: string) =>
    srv.api(`/write?db=${db}&precision=ms`, { method: 'POST', body });

  it('refuses /write points beyond retention as InfluxDB does, stores the rest, then deletes them as they age', async () => {
    const now = Date.now();
    const res = await write('w', `m v=1 ${now - 7000}\nm v=2 ${now + 60_000}\nm v=3 ${now - 60_000}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-sensorhub-error-code')).toBe('ING_BEYOND_RETENTION');
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(
      /^partial write: points beyond retention policy: point time .* is beyond the retention of database "w" \(policy "autogen", 10s\): the oldest time it accepts now is .* dropped=1$/,
    );
    expect(await values('w', 'm')).toEqual([1, 2]);
    // The refused point is a dead letter with the reason (written in the background).
    const dead = await eventually(async () => {
      const r = (await (await srv.api('/api/v1/dead-letters?code=ING_BEYOND_RETENTION')).json()) as {
        deadLetters: Array<{ topic: string; message: string }>;
      };
      return r.deadLetters.length > 0 ? r.deadLetters : undefined;
    });
    expect(dead.map((d) => d.topic)).toEqual(['/write?db=w&precision=ms']);
    expect(dead[0]?.message).toContain('beyond the retention of database "w"');
    // 7 s old with a 10 s window: the job (every 200 ms) deletes it about 3 s from now.
    await eventually(async () => ((await values('w', 'm')).length === 1 ? true : undefined), 8000);
    expect(await values('w', 'm')).toEqual([2]);
  });

  it('makes MQTT points beyond retention dead letters, and stores the others', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    const now = Date.now();
    await client.publishAsync('lp/a', `t v=1 ${now - 3_600_000}`, { qos: 1 });
    await client.publishAsync('lp/b', `t v=2 ${now}`, { qos: 1 });
    await client.endAsync();
    expect(await values('mqttdb', 't')).toEqual([2]);
    const dead = await eventually(async () => {
      const r = (await (
        await srv.api('/api/v1/dead-letters?code=ING_BEYOND_RETENTION&topic=lp/a')
      ).json()) as {
        deadLetters: Array<{ code: string; message: string; rule: string }>;
      };
      return r.deadLetters.length > 0 ? r.deadLetters : undefined;
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'ING_BEYOND_RETENTION', rule: 'lp' });
    expect(dead[0]?.message).toContain('beyond the retention of database "mqttdb"');
  });

  it('answers SHOW RETENTION POLICIES in InfluxDB’s shape', async () => {
    const shown = await influxql('SHOW RETENTION POLICIES ON w');
    expect(shown.results[0]).toEqual({
      statement_id: 0,
      series: [
        {
          columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
          values: [['autogen', '10s', '1h0m0s', 1, true]],
        },
      ],
    });
    expect((await influxql('SHOW RETENTION POLICIES ON nope')).results[0]?.error).toBe(
      'database not found: nope',
    );
  });

  it('creates databases WITH DURATION (INF keeps everything) and alters their policy', async () => {
    const created = await influxql(
      'CREATE DATABASE "forever" WITH DURATION INF; CREATE DATABASE "hourly" WITH DURATION 1h NAME "hour"',
    );
    expect(created.results).toEqual([{ statement_id: 0 }, { statement_id: 1 }]);
    expect((await write('forever', 'm v=1 1704067200000')).status).toBe(204);
    expect(await values('forever', 'm')).toEqual([1]);
    const shown = await influxql('SHOW RETENTION POLICIES ON forever; SHOW RETENTION POLICIES ON hourly');
    expect(shown.results.map((r) => r.series?.[0]?.values[0])).toEqual([
      ['autogen', '0s', '168h0m0s', 1, true],
      ['hour', '1h0m0s', '1h0m0s', 1, true],
    ]);
    // The same CREATE again is fine; another duration is InfluxDB's conflict.
    expect((await influxql('CREATE DATABASE "hourly" WITH DURATION 1h NAME "hour"')).results[0]?.error).toBe(
      undefined,
    );
    expect((await influxql('CREATE DATABASE "hourly" WITH DURATION 2h')).results[0]?.error).toBe(
      'retention policy conflicts with an existing policy',
    );

    expect((await influxql('ALTER RETENTION POLICY "hour" ON "hourly" DURATION 2d')).results[0]).toEqual({
      statement_id: 0,
    });
    expect((await influxql('SHOW RETENTION POLICIES ON hourly')).results[0]?.series?.[0]?.values).toEqual([
      ['hour', '48h0m0s', '1h0m0s', 1, true],
    ]);
    // The write path follows (the server re-reads policies within a second).
    const dayOld = Date.now() - 86_400_000;
    await eventually(async () =>
      (await write('hourly', `m v=5 ${dayOld}`)).status === 204 ? true : undefined,
    );
    expect(
      (await influxql('ALTER RETENTION POLICY "autogen" ON "hourly" DURATION 1d')).results[0]?.error,
    ).toBe('retention policy not found: autogen');
  });

  it('refuses a second policy and dropping the one, saying what to do instead', async () => {
    const second = await influxql('CREATE RETENTION POLICY "week" ON "w" DURATION 7d REPLICATION 1 DEFAULT');
    expect(second.results[0]?.error).toBe(
      'sensorhub keeps one retention policy per database: "w" has "autogen" (10s); change it with ALTER RETENTION POLICY "autogen" ON "w" DURATION 168h0m0s',
    );
    const drop = await influxql('DROP RETENTION POLICY "autogen" ON "w"');
    expect(drop.results[0]?.error).toContain('ALTER RETENTION POLICY "autogen" ON "w" DURATION INF');
    // CREATE of the policy it has, with the same settings, is accepted (InfluxDB's idempotent create).
    const same = await influxql('CREATE RETENTION POLICY "autogen" ON "w" DURATION 10s REPLICATION 1');
    expect(same.results[0]).toEqual({ statement_id: 0 });
  });

  it('reports per-database stats at GET /api/v1/databases and in /metrics', async () => {
    const res = await srv.api('/api/v1/databases');
    expect(res.status).toBe(200);
    const { databases } = (await res.json()) as {
      databases: Array<{
        name: string;
        retention: { duration: string; seconds: number | null };
        samples: number;
      }>;
    };
    const byName = new Map(databases.map((d) => [d.name, d]));
    expect(byName.get('forever')).toMatchObject({
      retention: { policy: 'autogen', duration: '0s', seconds: null, provisioned: false },
      series: 1,
      samples: 1,
      oldest: '2024-01-01T00:00:00.000Z',
      newest: '2024-01-01T00:00:00.000Z',
    });
    expect(byName.get('w')?.retention).toMatchObject({ duration: '10s', seconds: 10 });
    expect(typeof (byName.get('forever') as { bytes?: unknown }).bytes).toBe('number');
    expect((await srv.api('/api/v1/databases', { auth: false })).status).toBe(401);

    await eventually(async () => {
      const text = await (await srv.api('/metrics')).text();
      return text.includes('sensorhub_database_samples{database="forever"} 1') ? text : undefined;
    });
    const text = await (await srv.api('/metrics')).text();
    expect(text).toMatch(/sensorhub_retention_deleted_samples_total\{database="w"\} [1-9]/);
    expect(text).toContain('sensorhub_database_retention_seconds{database="w"} 10');
  });
});

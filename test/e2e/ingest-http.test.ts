import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterDto, QueryResponseDto } from '../../src/contract/api.js';
import { runCli } from '../helpers/cli.js';
import { basicAuth, eventually, startTestServer, type TestServer } from '../helpers/server.js';

const KPI_CONFIG = resolve('examples/kpi-collection/sensorhub.yaml');

describe('JSON over HTTP, rules test and dead-letter operations', () => {
  let srv: TestServer;
  let devicePassword: string;

  beforeAll(async () => {
    srv = await startTestServer();
    const res = await srv.api('/api/v1/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'porch' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    devicePassword = ((await res.json()) as { password: string }).password;
  });

  afterAll(async () => {
    await srv?.stop();
  });

  const ingest = (topic: string, body: string, auth: [string, string] | false = ['porch', devicePassword]) =>
    fetch(`${srv.httpUrl}/api/v1/ingest/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...(auth ? { authorization: basicAuth(...auth) } : {}) },
      body,
    });

  it('POST /api/v1/ingest/<topic> runs the same rules as MQTT and answers after the commit', async () => {
    const res = await ingest('sensors/porch/temperature', '12.5');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'stored', points: 1 });
    // Stored before the answer: the very next query sees it.
    const q = (await (
      await srv.api('/api/v1/query?measurement=temperature&tag.device=porch&from=-1m')
    ).json()) as QueryResponseDto;
    expect(q.series[0]?.value).toEqual([12.5]);

    const json = await ingest('sensors/porch/env', '{"t":11,"h":80}');
    expect(await json.json()).toEqual({ result: 'stored', points: 1 });
  });

  it('refuses a bad payload with its code and keeps it as a dead letter', async () => {
    const res = await ingest('sensors/porch/temperature', 'warm');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; error: string };
    expect(body.code).toBe('ING_DECODE');
    expect(body.error).toContain('"warm" is not a number');
    const letters = await eventually(async () => {
      const r = (await (await srv.api('/api/v1/dead-letters?clientId=http:porch')).json()) as {
        deadLetters: DeadLetterDto[];
      };
      return r.deadLetters.length > 0 ? r.deadLetters : undefined;
    });
    expect(letters[0]).toMatchObject({
      source: 'http',
      topic: 'sensors/porch/temperature',
      payload: 'warm',
      code: 'ING_DECODE',
    });
  });

  it('checks credentials and the device’s publish ACL', async () => {
    expect((await ingest('sensors/porch/temperature', '1', false)).status).toBe(401);
    expect((await ingest('sensors/porch/temperature', '1', ['porch', 'wrong-password'])).status).toBe(401);
    const other = await ingest('sensors/kitchen/temperature', '1');
    expect(other.status).toBe(403);
    expect(((await other.json()) as { code: string }).code).toBe('AUTH_FORBIDDEN');
    expect((await ingest('sensors/%23', '1')).status).toBe(400);
  });

  it('POST /api/v1/rules/test shows what a message would become, without storing it', async () => {
    const res = await srv.api('/api/v1/rules/test', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'sensors/lab/pressure', payload: '1013.25' }),
    });
    const body = (await res.json()) as {
      result: string;
      rule: string;
      lineProtocol: string;
      explain: unknown[];
    };
    expect(body).toMatchObject({ result: 'stored', rule: 'default-sensors' });
    expect(body.lineProtocol).toMatch(/^pressure,device=lab value=1013\.25 \d+$/);
    const q = (await (
      await srv.api('/api/v1/query?measurement=pressure&from=-1h')
    ).json()) as QueryResponseDto;
    expect(q.series).toEqual([]);
  });

  it('lists dead letters with filters and a total, deletes them by filter', async () => {
    for (const v of ['a', 'b', 'c']) await ingest('sensors/porch/humidity', v);
    // Dead letters are written in batches off the publish path (every 200 ms).
    const page = await eventually(async () => {
      const r = (await (await srv.api('/api/v1/dead-letters?topic=sensors/%2B/humidity&limit=2')).json()) as {
        total: number;
        deadLetters: DeadLetterDto[];
      };
      // The list and the total are two reads: a batch of dead letters may land between them.
      return r.total === 3 && r.deadLetters.length === 2 ? r : undefined;
    });
    expect(page.deadLetters.map((d) => d.payload)).toEqual(['c', 'b']);
    const del = await srv.api('/api/v1/dead-letters?topic=sensors/%2B/humidity', { method: 'DELETE' });
    expect(await del.json()).toEqual({ deleted: 3 });
    const after = (await (await srv.api('/api/v1/dead-letters?topic=sensors/%23')).json()) as {
      total: number;
    };
    expect(after.total).toBe(1);
    expect((await srv.api('/api/v1/dead-letters', { method: 'DELETE' })).status).toBe(400);
  });

  it('replays dead letters of line-protocol writes as line protocol, into their database', async () => {
    const write = await srv.api('/write?db=lp&precision=s', {
      method: 'POST',
      body: 'cpu,host=a usage=1 1763805600\ncpu,host=b usage=\n',
    });
    expect(write.status).toBe(400);
    const letters = await eventually(async () => {
      const r = (await (await srv.api('/api/v1/dead-letters?rule=line-protocol')).json()) as {
        deadLetters: DeadLetterDto[];
      };
      return r.deadLetters.length > 0 ? r.deadLetters : undefined;
    });
    expect(letters[0]).toMatchObject({ topic: '/write?db=lp&precision=s', payload: 'cpu,host=b usage=' });
    const replay = await srv.api('/api/v1/dead-letters/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: 'line-protocol', dryRun: true }),
    });
    expect(await replay.json()).toMatchObject({
      matched: 1,
      rejected: 1,
      skipped: 0,
      rejectedByCode: { ING_LINE_PROTOCOL: 1 },
    });
  });

  it('the CLI lists and replays dead letters through the running server', async () => {
    const env = { SENSORHUB_URL: srv.httpUrl, SENSORHUB_ADMIN_PASSWORD: srv.password };
    const list = await runCli(['dead-letters', 'list', '--code', 'ING_DECODE'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('sensors/porch/temperature');
    expect(list.stdout).toMatch(/1 shown of 1 matching/);
    const replay = await runCli(['dead-letters', 'replay', '--code', 'ING_DECODE'], env);
    // "warm" is still not a number under the same rules: kept, and the exit status says so.
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(/replayed 1: stored 0 \(0 points\), still rejected 1/);
    expect(replay.stdout).toContain('ING_DECODE: 1');
  });
});

describe('sensorhub rules', () => {
  it('test shows the rules tried and the resulting point, offline', async () => {
    const r = await runCli(
      [
        'rules',
        'test',
        '/kpi/engineTemp/temp-pub01',
        '{"timestamp":"2025-11-22T10:00:00Z","value":87.5,"unit":"°C"}',
        '--config',
        KPI_CONFIG,
      ],
      {},
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('→ kpi: topic matches /kpi/+kpi/+client (kpi=engineTemp, client=temp-pub01)');
    expect(r.stdout).toContain('kpi,client=temp-pub01,kpi=engineTemp,unit=°C value=87.5 1763805600000000');
  });

  it('test names the rejection and exits 1; an unmatched topic exits 3', async () => {
    const bad = await runCli(
      ['rules', 'test', '/kpi/engineTemp/temp-pub01', '{"value":"hot"}', '--config', KPI_CONFIG],
      {},
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/rejected by rule "kpi": ING_SCHEMA: .*\/value: must be number/);
    const none = await runCli(['rules', 'test', 'other/topic', '1', '--config', KPI_CONFIG], {});
    expect(none.code).toBe(3);
    expect(none.stdout).toContain('· kpi: topic does not match /kpi/+kpi/+client');
  });

  it('check reports every problem as file: path: message', async () => {
    const ok = await runCli(['rules', 'check', '--config', KPI_CONFIG], {});
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok: 2 rule\(s\)/);
    const bad = await runCli(
      ['rules', 'check', '--rules', resolve('examples/kpi-collection/kpi_msg_schema.json')],
      {},
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /kpi_msg_schema\.json: expected a list of rules, or a mapping with a "rules" list/,
    );
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InfluxDB, Point as InfluxPoint } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { basicAuth, eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** Debian's python3 with python3-influxdb (installed by .ci/run), not whatever python3 is first on PATH. */
const PYTHON = '/usr/bin/python3';

interface QueryBody {
  series: Array<{
    measurement: string;
    tags: Record<string, string>;
    field: string;
    time: number[];
    value: unknown[];
  }>;
}

interface DeadLetterBody {
  deadLetters: Array<{
    source: string;
    clientId: string;
    topic: string;
    payload: string;
    rule: string;
    code: string;
    message: string;
  }>;
}

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  input?: Buffer | string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs a Python snippet with the server's address in HOST/PORT and `env`; fails with its stderr. */
async function python(script: string, srv: TestServer, env: Record<string, string> = {}): Promise<string> {
  const url = new URL(srv.httpUrl);
  const r = await run(PYTHON, ['-c', script], { HOST: url.hostname, PORT: url.port, ...env });
  if (r.code !== 0) throw new Error(`python failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

describe('InfluxDB line protocol over HTTP', { timeout: 60_000 }, () => {
  let srv: TestServer;

  /** The raw points of one field of one measurement in [from, to], through the query API. */
  async function stored(
    db: string,
    measurement: string,
    field: string,
    extra = '',
    from = '2020-01-01T00:00:00Z',
  ): Promise<QueryBody['series']> {
    const params = `db=${encodeURIComponent(db)}&measurement=${encodeURIComponent(measurement)}&field=${field}&from=${from}&to=now${extra}`;
    const res = await srv.api(`/api/v1/query?${params}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as QueryBody).series;
  }

  async function createToken(permissions: Array<{ action: string; database: string }>, name?: string) {
    const res = await srv.api('/api/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ permissions, ...(name ? { name } : {}) }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; name: string; token: string };
  }

  /** POSTs to a path of the test server, or to a full URL. */
  function write(
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(path.startsWith('http') ? path : `${srv.httpUrl}${path}`, { method: 'POST', body, headers });
  }

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  describe('API tokens', () => {
    it('creates, lists and revokes tokens (admin only), showing the token once', async () => {
      const created = await createToken(
        [
          { action: 'write', database: 'farm' },
          { action: 'read', database: 'farm' },
        ],
        'telegraf',
      );
      expect(created.token).toMatch(/^shk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/);
      const list = (await (await srv.api('/api/v1/tokens')).json()) as {
        tokens: Array<Record<string, unknown>>;
      };
      const mine = list.tokens.find((t) => t.id === created.id);
      expect(mine).toEqual({
        id: created.id,
        name: 'telegraf',
        permissions: [
          { action: 'write', database: 'farm' },
          { action: 'read', database: 'farm' },
        ],
        createdAt: expect.any(String),
        lastUsedAt: null,
      });
      expect(JSON.stringify(list)).not.toContain(created.token.slice(13));

      // A token does not manage tokens, nor anything else but writes and its reads.
      const asToken = await fetch(`${srv.httpUrl}/api/v1/tokens`, {
        headers: { authorization: `Token ${created.token}` },
      });
      expect(asToken.status).toBe(403);
      const users = await fetch(`${srv.httpUrl}/api/v1/users`, {
        headers: { authorization: `Token ${created.token}` },
      });
      expect(users.status).toBe(403);

      expect((await srv.api(`/api/v1/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      const again = await srv.api(`/api/v1/tokens/${created.id}`, { method: 'DELETE' });
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ code: 'AUTH_TOKEN_NOT_FOUND' });
    });

    it('refuses bad token specs with the reason', async () => {
      const res = await srv.api('/api/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ permissions: [{ action: 'admin', database: '' }] }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe('AUTH_BAD_TOKEN');
      expect(body.error).toMatch(/action "admin" is not read or write/);
      expect(body.error).toMatch(/database ""/);
    });
  });

  describe('POST /write and /api/v2/write with curl and fetch', () => {
    it('writes line protocol as admin and answers 204 only once stored', async () => {
      const res = await write(
        '/write?db=curl&precision=s',
        'weather,station=a temp=21.5,ok=true,note="fine" 1767225600\nweather,station=b temp=19 1767225601\n',
        { authorization: basicAuth('admin', srv.password) },
      );
      expect(res.status).toBe(204);
      expect(res.headers.get('x-influxdb-version')).toMatch(/sensorhub/);
      expect(res.headers.get('x-influxdb-build')).toBe('OSS');
      // No polling: 204 means committed.
      const temps = await stored('curl', 'weather', 'temp');
      expect(temps.map((s) => [s.tags.station, s.time, s.value])).toEqual([
        ['a', [1767225600000], [21.5]],
        ['b', [1767225601000], [19]],
      ]);
      expect((await stored('curl', 'weather', 'note'))[0]?.value).toEqual(['fine']);
      expect((await stored('curl', 'weather', 'ok'))[0]?.value).toEqual([true]);
    });

    it('takes gzip bodies from curl --data-binary', async () => {
      const lines = Array.from(
        { length: 1000 },
        (_, i) => `gz,host=h${i % 10} v=${i} ${1767225600000 + i}`,
      ).join('\n');
      const r = await run(
        'curl',
        [
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-u',
          `admin:${srv.password}`,
          '-H',
          'Content-Encoding: gzip',
          '--data-binary',
          '@-',
          `${srv.httpUrl}/write?db=curl&precision=ms`,
        ],
        {},
        gzipSync(lines),
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('204');
      const series = await stored('curl', 'gz', 'v');
      expect(series).toHaveLength(10);
      expect(series.reduce((n, s) => n + s.value.length, 0)).toBe(1000);
    });

    it('gives lines without a timestamp the same server time', async () => {
      const before = Date.now();
      const res = await write('/write?db=curl', 'untimed,n=1 v=1\nuntimed,n=2 v=2\nuntimed,n=3 v=3', {
        authorization: basicAuth('admin', srv.password),
      });
      expect(res.status).toBe(204);
      const series = await stored('curl', 'untimed', 'v', '', '-1m');
      const times = series.map((s) => s.time[0]);
      expect(new Set(times).size).toBe(1);
      expect(times[0]).toBeGreaterThanOrEqual(before);
      expect(times[0]).toBeLessThanOrEqual(Date.now());
    });

    it('answers an empty body with 204, like InfluxDB', async () => {
      const res = await write('/write?db=curl', '', { authorization: basicAuth('admin', srv.password) });
      expect(res.status).toBe(204);
    });
    it('answers /ping (GET and HEAD) with the InfluxDB headers', async () => {
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(`${srv.httpUrl}/ping`, { method });
        expect(res.status).toBe(204);
        expect(res.headers.get('x-influxdb-version')).toMatch(/sensorhub/);
        expect(res.headers.get('x-influxdb-build')).toBe('OSS');
      }
    });
  });

  describe('real InfluxDB clients', () => {
    const PY_WRITE = `
import os
from influxdb import InfluxDBClient
c = InfluxDBClient(host=os.environ['HOST'], port=int(os.environ['PORT']), username=os.environ['U'],
                   password=os.environ['P'], database=os.environ['DB'], gzip=os.environ.get('GZIP') == '1')
n = int(os.environ['N'])
base = int(os.environ['BASE'])
points = [{"measurement": os.environ['M'], "tags": {"host": "h%d" % (i % 10), "region": "eu west"},
           "time": base + i, "fields": {"v": i * 0.5, "count": i, "up": i % 2 == 0}} for i in range(n)]
assert c.write_points(points, time_precision=os.environ['PRECISION'])
print(c.ping())
`;

    it('python influxdb: 10,000 points in one write as admin, each one stored', async () => {
      const version = await python(PY_WRITE, srv, {
        U: 'admin',
        P: srv.password,
        DB: 'py',
        M: 'batch',
        N: '10000',
        BASE: '1767225600',
        PRECISION: 's',
      });
      expect(version.trim()).toMatch(/sensorhub/);
      const v = await stored('py', 'batch', 'v', '', '2026-01-01T00:00:00Z');
      expect(v).toHaveLength(10);
      expect(v.reduce((n, s) => n + s.value.length, 0)).toBe(10_000);
      expect(v[0]?.tags).toEqual({ host: 'h0', region: 'eu west' });
      const h3 = v.find((s) => s.tags.host === 'h3');
      expect(h3?.time[0]).toBe(1767225603000);
      expect(h3?.value[0]).toBe(1.5);
      // Integers (count=3i) are numbers in sensorhub; booleans stay booleans.
      const count = await stored('py', 'batch', 'count', '&tag.host=h3', '2026-01-01T00:00:00Z');
      expect(count[0]?.value.slice(0, 2)).toEqual([3, 13]);
      const up = await stored('py', 'batch', 'up', '&tag.host=h4', '2026-01-01T00:00:00Z');
      expect(up[0]?.value[0]).toBe(true);
    });

    it('python influxdb: a token as the password, gzip, every precision exact to the microsecond', async () => {
      const { token } = await createToken([{ action: 'write', database: 'py' }], 'python');
      const cases: Array<[string, string, number]> = [
        // precision, first timestamp in that unit, its epoch µs
        ['h', '490896', 490896 * 3_600_000_000],
        ['m', '29453760', 29453760 * 60_000_000],
        ['ms', '1767225600123', 1767225600123000],
        ['u', '1767225600123456', 1767225600123456],
        ['n', '1767225600123456789', 1767225600123456],
      ];
      for (const [precision, base, micros] of cases) {
        await python(PY_WRITE, srv, {
          U: 'python',
          P: token,
          DB: 'py',
          M: `prec_${precision}`,
          N: '3',
          BASE: base,
          PRECISION: precision,
          GZIP: '1',
        });
        const result = await srv.server.store.query({
          database: 'py',
          measurement: `prec_${precision}`,
          field: 'v',
          tags: { host: 'h0' },
          from: micros - 1,
          to: micros + 1,
          aggregate: 'raw',
          limit: 10,
        });
        expect(result.series[0]?.time, precision).toEqual([micros]);
      }
    });

    it('python influxdb: a refused write raises InfluxDBClientError with the reason', async () => {
      const out = await python(
        `
import os
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError
c = InfluxDBClient(host=os.environ['HOST'], port=int(os.environ['PORT']), username='admin', password=os.environ['P'])
try:
    c.write_points(['pyerr,t= v=2'], database='pyerr', protocol='line')
except InfluxDBClientError as e:
    print(e.code)
    print(e.content)
`,
        srv,
        { P: srv.password },
      );
      const [code, content] = out.trim().split('\n');
      expect(code).toBe('400');
      expect(content).toMatch(/unable to parse 'pyerr,t= v=2': .*empty value.* \(line 1\)/);
    });

    it('@influxdata/influxdb-client (v2 API): writePoint and flush with a token', async () => {
      const { token } = await createToken([{ action: 'write', database: 'v2db' }], 'node-client');
      const client = new InfluxDB({ url: srv.httpUrl, token });
      const writeApi = client.getWriteApi('my-org', 'v2db/autogen', 'ns', { maxRetries: 0 });
      writeApi.useDefaultTags({ site: 'lab' });
      for (let i = 0; i < 500; i++) {
        writeApi.writePoint(
          new InfluxPoint('mem')
            .tag('host', `n${i % 5}`)
            .floatField('used', i + 0.25)
            .intField('pages', i)
            .booleanField('swap', false)
            .stringField('state', 'ok')
            .timestamp(`${1767225600000 + i}000000`),
        );
      }
      await writeApi.flush();
      await writeApi.close();
      const used = await stored('v2db', 'mem', 'used', '', '2026-01-01T00:00:00Z');
      expect(used).toHaveLength(5);
      expect(used[0]?.tags).toEqual({ host: 'n0', site: 'lab' });
      expect(used.reduce((n, s) => n + s.value.length, 0)).toBe(500);
      expect(used.find((s) => s.tags.host === 'n1')?.value[0]).toBe(1.25);
      expect(
        (await stored('v2db', 'mem', 'state', '&tag.host=n1', '2026-01-01T00:00:00Z'))[0]?.value[0],
      ).toBe('ok');

      // A token without write on the bucket: the client surfaces InfluxDB's 403 shape.
      const denied = client.getWriteApi('my-org', 'elsewhere', 'ns', { maxRetries: 0 });
      denied.writeRecord('mem used=1');
      const err = (await denied.close().catch((e: unknown) => e)) as { statusCode?: number; body?: string };
      expect(err.statusCode).toBe(403);
      expect(JSON.parse(err.body ?? '{}')).toMatchObject({ code: 'forbidden' });
    });

    it('counts HTTP writes in /metrics', async () => {
      const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
      const written = /sensorhub_http_write_points_total\{result="written"\} (\d+)/.exec(text);
      expect(Number(written?.[1])).toBeGreaterThanOrEqual(10_000);
      expect(text).toMatch(/sensorhub_http_write_requests_total\{api="v1",status="204"\} \d+/);
    });
  });

  describe('sensorhub token (the CLI)', () => {
    it('creates, lists and revokes through a running server’s API', async () => {
      const env = { SENSORHUB_ADMIN_PASSWORD: srv.password };
      const created = await runCli(
        ['token', 'create', '--write', 'cli', '--read', 'cli', '--name', 'from-cli', '--url', srv.httpUrl],
        env,
      );
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const token = /token \(shown only now\): (shk_\S+)/.exec(created.stdout)?.[1] as string;
      expect(token).toMatch(/^shk_[a-z2-7]{8}_/);
      const id = token.slice(4, 12);
      expect(created.stdout).toMatch(new RegExp(`created ${id}  from-cli +write: cli +read: cli`));
      expect((await write('/write?db=cli', 'c v=1', { authorization: `Token ${token}` })).status).toBe(204);

      const list = await runCli(['token', 'list', '--url', srv.httpUrl], env);
      expect(list.stdout).toMatch(new RegExp(`^${id}  from-cli`, 'm'));
      expect(list.stdout).not.toContain(token.slice(13));

      const revoked = await runCli(['token', 'revoke', id, '--url', srv.httpUrl], env);
      expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
      expect((await write('/write?db=cli', 'c v=2', { authorization: `Token ${token}` })).status).toBe(401);
      const again = await runCli(['token', 'revoke', id, '--url', srv.httpUrl], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/AUTH_TOKEN_NOT_FOUND: no token with id/);
    });

    it('refuses a create without permissions and says how', async () => {
      const r = await runCli(['token', 'create', '--name', 'x'], {});
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/give at least one --write DB or --read DB/);
    });

    it('creates a token in a stopped server’s data directory', async () => {
      const other = await startTestServer();
      const { dataDir } = other;
      await other.server.stop();
      const created = await runCli(['token', 'create', '--write', 'offline', '--data-dir', dataDir], {});
      expect(created.stderr).toBe('');
      const token = /token \(shown only now\): (shk_\S+)/.exec(created.stdout)?.[1] as string;
      const again = await startTestServer({ dataDir });
      try {
        const res = await fetch(`${again.httpUrl}/write?db=offline`, {
          method: 'POST',
          body: 'o v=1',
          headers: { authorization: `Token ${token}` },
        });
        expect(res.status).toBe(204);
      } finally {
        await again.stop();
        await other.stop();
      }
    });
  });

  describe('credentials', () => {
    it('takes a token as Token, Bearer, basic-auth password or p parameter', async () => {
      const { token } = await createToken([{ action: 'write', database: 'tok' }], 'writer');
      const forms: Array<[string, Record<string, string>]> = [
        ['/write?db=tok&precision=s', { authorization: `Token ${token}` }],
        ['/write?db=tok&precision=s', { authorization: `Bearer ${token}` }],
        ['/write?db=tok&precision=s', { authorization: basicAuth('anyone', token) }],
        [`/write?db=tok&precision=s&u=whoever&p=${token}`, {}],
        ['/api/v2/write?org=x&bucket=tok&precision=s', { authorization: `Token ${token}` }],
      ];
      for (const [i, [path, headers]] of forms.entries()) {
        const res = await write(path, `forms v=${i} ${1767225600 + i}`, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}: ${await res.text()}`).toBe(204);
      }
      const series = await stored('tok', 'forms', 'v');
      expect(series[0]?.value).toHaveLength(forms.length);
    });

    it('refuses missing, wrong and revoked credentials with 401 in InfluxDB’s words', async () => {
      const none = await write('/write?db=x', 'm v=1');
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ error: 'unable to parse authentication credentials' });
      expect(none.headers.get('x-influxdb-error')).toBe('unable to parse authentication credentials');
      expect(none.headers.get('x-sensorhub-error-code')).toBe('AUTH_REQUIRED');
      expect(none.headers.get('x-influxdb-version')).toMatch(/sensorhub/);

      const wrong = await write('/write?db=x', 'm v=1', {
        authorization: basicAuth('admin', 'not-the-password'),
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ error: 'authorization failed' });

      const fake = `shk_aaaaaaaa_${'A'.repeat(43)}`;
      const badToken = await write('/api/v2/write?bucket=x', 'm v=1', { authorization: `Token ${fake}` });
      expect(badToken.status).toBe(401);
      expect(await badToken.json()).toEqual({ code: 'unauthorized', message: 'unauthorized access' });

      const { id, token } = await createToken([{ action: 'write', database: 'x' }]);
      expect((await write('/write?db=x', 'm v=1', { authorization: `Token ${token}` })).status).toBe(204);
      expect((await srv.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
      const revoked = await write('/write?db=x', 'm v=2', { authorization: `Token ${token}` });
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toEqual({ error: 'authorization failed' });
    });

    it('gives a token only what it lists (403 elsewhere)', async () => {
      const { token, name, id } = await createToken(
        [
          { action: 'write', database: 'farm' },
          { action: 'read', database: 'farm' },
        ],
        'farm-only',
      );
      const auth = { authorization: `Token ${token}` };
      const other = await write('/write?db=office', 'm v=1', auth);
      expect(other.status).toBe(403);
      expect(await other.json()).toEqual({
        error: `token "${name}" (${id}) may not write to database "office"`,
      });
      const otherV2 = await write('/api/v2/write?bucket=office', 'm v=1', auth);
      expect(otherV2.status).toBe(403);
      expect(await otherV2.json()).toMatchObject({ code: 'forbidden' });

      expect((await write('/write?db=farm', 'soil moisture=0.31 1767225600000000000', auth)).status).toBe(
        204,
      );
      // Reads: its database, named with db=; nothing that spans databases.
      const read = await fetch(
        `${srv.httpUrl}/api/v1/query?db=farm&measurement=soil&field=moisture&from=2020-01-01T00:00:00Z`,
        { headers: auth },
      );
      expect(read.status).toBe(200);
      expect(((await read.json()) as QueryBody).series[0]?.value).toEqual([0.31]);
      for (const path of [
        '/api/v1/query?measurement=soil&field=moisture',
        '/api/v1/query?db=office&measurement=soil',
        '/api/v1/series',
        '/api/v1/dead-letters?db=farm',
        '/api/v1/devices?db=farm',
      ]) {
        const res = await fetch(`${srv.httpUrl}${path}`, { headers: auth });
        expect(res.status, path).toBe(403);
      }
      // Its last use is recorded (at most once a minute).
      await eventually(async () => {
        const list = (await (await srv.api('/api/v1/tokens')).json()) as {
          tokens: Array<{ id: string; lastUsedAt: string | null }>;
        };
        return list.tokens.find((t) => t.id === id)?.lastUsedAt ?? undefined;
      });
    });

    it('still takes a user password that merely looks like a token', async () => {
      const password = 'shk_chosen-by-a-person';
      const res = await srv.api('/api/v1/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'lookalike', role: 'viewer', password }),
      });
      expect(res.status).toBe(201);
      const series = await fetch(`${srv.httpUrl}/api/v1/series`, {
        headers: { authorization: basicAuth('lookalike', password) },
      });
      expect(series.status).toBe(200);
    });

    it('lets only admins among users write', async () => {
      const res = await srv.api('/api/v1/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'grafana', role: 'viewer', password: 'viewer-password-1' }),
      });
      expect(res.status).toBe(201);
      const denied = await write('/write?db=x', 'm v=1', {
        authorization: basicAuth('grafana', 'viewer-password-1'),
      });
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { error: string }).error).toMatch(
        /user "grafana" \(role viewer\) may not write/,
      );
    });
  });

  describe('bad input', () => {
    const admin = () => ({ authorization: basicAuth('admin', srv.password) });

    it('writes the good lines of a partial write and dead-letters the bad ones', async () => {
      const body = [
        'pw,s=1 v=1 1767225600000000000',
        'this line is bad',
        'pw,s=2 v=2 1767225601000000000',
        '',
        'pw,s=3 v=oops 1767225602000000000',
      ].join('\n');
      const res = await write('/write?db=bad', body, admin());
      expect(res.status).toBe(400);
      const { parseLineProtocol } = await import('../../src/ingest/line-protocol/parse.js');
      const [e1, e2] = parseLineProtocol(body).errors;
      expect(await res.json()).toEqual({
        error: `partial write: unable to parse 'this line is bad': ${e1?.message} (line 2)\nunable to parse 'pw,s=3 v=oops 1767225602000000000': ${e2?.message} (line 5) dropped=2`,
      });
      expect(res.headers.get('x-influxdb-error')).toBe(
        `partial write: unable to parse 'this line is bad': ${e1?.message} (line 2)`,
      );
      expect(res.headers.get('x-sensorhub-error-code')).toBe('ING_LINE_PROTOCOL');
      const series = await stored('bad', 'pw', 'v');
      expect(series.map((s) => s.value)).toEqual([[1], [2]]);

      const letters = await eventually(async () => {
        const r = (await (
          await srv.api('/api/v1/dead-letters?code=ING_LINE_PROTOCOL&topic=/write?db=bad')
        ).json()) as DeadLetterBody;
        return r.deadLetters.length === 2 ? r.deadLetters : undefined;
      });
      expect(letters.map((d) => d.payload).sort()).toEqual([
        'pw,s=3 v=oops 1767225602000000000',
        'this line is bad',
      ]);
      for (const d of letters) {
        expect(d).toMatchObject({
          source: 'http',
          clientId: 'admin',
          topic: '/write?db=bad',
          rule: 'line-protocol',
        });
      }
      expect(letters.find((d) => d.payload === 'this line is bad')?.message).toBe(
        `${e1?.message} (line 2, column ${e1?.column})`,
      );
    });

    it('answers a write with no good line with the bare parse error, v2 in v2’s shape', async () => {
      const v1 = await write('/write?db=bad', 'nope', admin());
      expect(v1.status).toBe(400);
      expect(((await v1.json()) as { error: string }).error).toMatch(
        /^unable to parse 'nope': .+ \(line 1\)$/,
      );
      const v2 = await write('/api/v2/write?bucket=bad&org=o', 'ok v=1 1767225600000000000\nnope', admin());
      expect(v2.status).toBe(400);
      const body = (await v2.json()) as { code: string; message: string };
      expect(body.code).toBe('invalid');
      expect(body.message).toMatch(/^partial write: unable to parse 'nope': .+ \(line 2\) dropped=1$/);
    });

    it('refuses a field type conflict for that point only', async () => {
      expect((await write('/write?db=bad', 'conf v=1 1767225600000000000', admin())).status).toBe(204);
      const res = await write(
        '/write?db=bad&precision=s',
        'conf v="text" 1767225601\nconf v=2 1767225602',
        admin(),
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error:
          'partial write: field type conflict: measurement "conf": field "v" is float; this point has it as string dropped=1',
      });
      expect(res.headers.get('x-sensorhub-error-code')).toBe('STO_FIELD_TYPE_CONFLICT');
      expect((await stored('bad', 'conf', 'v'))[0]?.value).toEqual([1, 2]);
      const letters = await eventually(async () => {
        const r = (await (
          await srv.api('/api/v1/dead-letters?code=STO_FIELD_TYPE_CONFLICT')
        ).json()) as DeadLetterBody;
        return r.deadLetters.length > 0 ? r.deadLetters : undefined;
      });
      expect(letters[0]).toMatchObject({
        payload: 'conf v="text" 1767225601',
        topic: '/write?db=bad&precision=s',
      });
    });

    it('names what is missing or malformed in the request', async () => {
      const cases: Array<[string, Record<string, string>, number, unknown]> = [
        ['/write', {}, 400, { error: 'database is required' }],
        ['/api/v2/write?org=o', {}, 400, { code: 'invalid', message: 'bucket is required' }],
        [
          '/write?db=a%01b',
          {},
          400,
          { error: 'database name "a\\u0001b" must be 1-255 characters without control characters' },
        ],
        [
          '/write?db=x&precision=fortnight',
          {},
          400,
          { error: 'precision "fortnight" is not one of n, ns, u, us, ms, s, m, h' },
        ],
        [
          '/write?db=x',
          { 'content-encoding': 'br' },
          400,
          { error: 'Content-Encoding "br" is not supported; send gzip or none' },
        ],
      ];
      for (const [path, headers, status, body] of cases) {
        const res = await write(path, 'm v=1', { ...admin(), ...headers });
        expect(res.status, path).toBe(status);
        expect(await res.json()).toEqual(body);
      }
      const notGzip = await write('/write?db=x', 'm v=1', { ...admin(), 'content-encoding': 'gzip' });
      expect(notGzip.status).toBe(400);
      expect(((await notGzip.json()) as { error: string }).error).toMatch(/^the body is not valid gzip/);
    });

    it('stops a gzip bomb at the limit with 413', async () => {
      const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(200 * 1024);
      const res = await write('/write?db=x', bomb, { ...admin(), 'content-encoding': 'gzip' });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        error: 'request body is larger than 67108864 bytes after gzip decompression; send smaller batches',
      });
      expect(res.headers.get('x-sensorhub-error-code')).toBe('HTTP_BODY_TOO_LARGE');
    });

    it('refuses a body declared larger than the limit before reading it', async () => {
      const url = new URL(srv.httpUrl);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/write?db=x',
            headers: { ...admin(), 'content-length': String(65 * 1024 * 1024) },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => {
              text += d.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.write('m v=1\n');
      });
      expect(status).toBe(413);
      expect(JSON.parse(body)).toEqual({
        error: 'request body is larger than 67108864 bytes; send smaller batches',
      });
    });

    it('refuses writes with 503 and Retry-After while too many points wait for commit', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sensorhub-busy-'));
      const file = join(dir, 'sensorhub.yaml');
      await writeFile(file, 'ingest:\n  maxPendingPoints: 1\n');
      const busy = await startTestServer({ file });
      try {
        const auth = { authorization: basicAuth('admin', busy.password) };
        const big = Array.from(
          { length: 100_000 },
          (_, i) => `busy,n=${i % 50} v=${i} ${1767225600000 + i}`,
        ).join('\n');
        let bigDone = false;
        const bigWrite = write(`${busy.httpUrl}/write?db=busy&precision=ms`, big, auth).finally(() => {
          bigDone = true;
        });
        // While the big write waits for its commit, more than maxPendingPoints (1) are pending.
        const responses: Response[] = [];
        while (!bigDone && !responses.some((r) => r.status === 503)) {
          responses.push(await write(`${busy.httpUrl}/write?db=busy`, 'small v=1', auth));
        }
        expect((await bigWrite).status).toBe(204);
        const refused = responses.find((r) => r.status === 503) as Response;
        expect(refused, `statuses: ${responses.map((r) => r.status).join(',')}`).toBeDefined();
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(refused.headers.get('x-sensorhub-error-code')).toBe('STO_BUSY');
        expect(((await refused.json()) as { error: string }).error).toMatch(
          /points are waiting for commit \(ingest.maxPendingPoints 1\); retry shortly/,
        );
      } finally {
        await busy.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

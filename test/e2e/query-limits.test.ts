import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { loadConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Point } from '../../src/core/point.js';
import { influxqlRoutes } from '../../src/http/plugins/influxql-api.js';
import { type ExecuteContext, executeStatements } from '../../src/query/influxql/execute.js';
import { parseInfluxQLStatements } from '../../src/query/influxql/parser.js';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import type { QueryResult, SeriesQuery } from '../../src/storage/store.js';
import { basicAuth, startTestServer, type TestServer } from '../helpers/server.js';

const T0 = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z in µs
const RANGE = `time >= '2024-01-01T00:00:00Z' AND time < '2024-01-02T00:00:00Z'`;

/** `hosts` series of cpu (v, w) and one of mem, `n` points each, one per second. */
function points(hosts: string[], n: number): Point[] {
  const out: Point[] = [];
  for (const host of hosts)
    for (let i = 0; i < n; i++) {
      out.push({
        database: 'db',
        measurement: 'cpu',
        tags: { host },
        fields: { v: i, w: -i },
        time: T0 + i * 1e6,
      });
    }
  for (let i = 0; i < n; i++)
    out.push({ database: 'db', measurement: 'mem', tags: {}, fields: { v: i }, time: T0 + i * 1e6 });
  return out;
}

/** A store whose reads take `delayMs` (a slow disk), counting them. */
class SlowStore extends MemoryStore {
  reads = 0;
  constructor(
    private readonly delayMs: number,
    private readonly onRead: () => void = () => {},
  ) {
    super();
  }
  override async query(q: SeriesQuery): Promise<QueryResult> {
    this.reads++;
    this.onRead();
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return super.query(q);
  }
}

async function storeWith(data: Point[], store = new MemoryStore()) {
  await store.start();
  await store.write(data);
  return store;
}

function run(q: string, ctx: Partial<ExecuteContext> & Pick<ExecuteContext, 'store'>) {
  return executeStatements(parseInfluxQLStatements(q), {
    database: 'db',
    nowMicros: T0 + 86_400e6,
    maxPoints: 1_000_000,
    admin: true,
    ...ctx,
  });
}

describe('query.maxPoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SENSORHUB_QUERY_MAX_POINTS: '150' } });
    const lines = ['a', 'b', 'c'].flatMap((h) =>
      Array.from({ length: 100 }, (_, i) => `cpu,host=${h} v=${i} ${T0 / 1e6 + i}`),
    );
    lines.push(...Array.from({ length: 100 }, (_, i) => `mem v=${i} ${T0 / 1e6 + i}`));
    const res = await server.api('/write?db=db&precision=s', { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
  });
  afterAll(() => server?.stop());

  const query = async (q: string) => {
    const res = await server.api(`/query?db=db&q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      results: Array<{ statement_id: number; error?: string; series?: unknown[] }>;
    };
  };

  it('refuses a statement that reads more, in its InfluxDB-shaped result; the next statement runs', async () => {
    const body = await query(
      `SELECT v FROM cpu WHERE ${RANGE}; SELECT count(v) FROM cpu WHERE host = 'a' AND ${RANGE}`,
    );
    expect(body.results[0]).toEqual({
      statement_id: 0,
      error: expect.stringMatching(/query\.maxPoints \(150\).*\(QRY_TOO_MANY_POINTS\)$/),
    });
    expect(body.results[1]).toMatchObject({
      statement_id: 1,
      series: [{ values: [[expect.anything(), 100]] }],
    });
  });

  it('counts every read of the statement, over measurements', async () => {
    // 100 values of cpu,host=a and 100 of mem: each read is under the limit, the statement is not.
    const body = await query(`SELECT v FROM /cpu|mem/ WHERE (host = 'a' OR host = '') AND ${RANGE}`);
    expect(body.results[0]?.error).toMatch(/QRY_TOO_MANY_POINTS/);
  });
});

describe('query.maxSeries', () => {
  it('refuses before reading any point when the catalog shows too many series', async () => {
    const store = await storeWith(points(['a', 'b', 'c', 'd', 'e'], 10), new SlowStore(0));
    const [all] = await run(`SELECT mean(v) FROM cpu WHERE ${RANGE} GROUP BY host`, { store, maxSeries: 3 });
    expect(all?.error).toMatch(/query\.maxSeries \(3\).*\(QRY_TOO_MANY_SERIES\)$/);
    expect((store as SlowStore).reads).toBe(0);

    const [one] = await run(`SELECT mean(v) FROM cpu WHERE host = 'a' AND ${RANGE}`, { store, maxSeries: 3 });
    expect(one?.series?.[0]?.values).toEqual([[T0, 4.5]]);
    // Two fields of one series count as one series.
    const [fields] = await run(`SELECT v, w FROM cpu WHERE host = 'a' AND ${RANGE}`, { store, maxSeries: 1 });
    expect(fields?.error).toBeUndefined();
    expect(fields?.series?.[0]?.values).toHaveLength(10);
  });

  it('counts series over the measurements of a regex FROM', async () => {
    const store = await storeWith(points(['a', 'b'], 5));
    const [r] = await run(`SELECT v FROM /.*/ WHERE ${RANGE}`, { store, maxSeries: 2 });
    expect(r?.error).toMatch(/QRY_TOO_MANY_SERIES/);
    const [ok] = await run(`SELECT v FROM /.*/ WHERE ${RANGE}`, { store, maxSeries: 3 });
    expect(ok?.error).toBeUndefined();
  });
});

describe('query.timeout', () => {
  it('stops waiting for a statement at its deadline; the next statement still runs', async () => {
    const store = await storeWith(points(['a'], 5), new SlowStore(400));
    const started = performance.now();
    const [slow, next] = await run(`SELECT v FROM cpu WHERE ${RANGE}; SHOW MEASUREMENTS`, {
      store,
      timeoutMs: 100,
    });
    const ms = performance.now() - started;
    expect(slow?.error).toMatch(/query\.timeout \(0\.1 s\).*\(QRY_TIMEOUT\)$/);
    expect(ms).toBeLessThan(350);
    expect(next?.series?.[0]?.values).toEqual([['cpu'], ['mem']]);
  });

  it('checks the deadline between store reads (injected clock)', async () => {
    let now = 0;
    // Each read costs 60 ms of the fake clock: the second of the statement's reads ends past 100 ms.
    const store = await storeWith(
      points(['a', 'b'], 5),
      new SlowStore(0, () => {
        now += 60;
      }),
    );
    const [r] = await run(`SELECT v, w FROM cpu WHERE ${RANGE}`, { store, timeoutMs: 100, nowMs: () => now });
    expect(r?.error).toMatch(/QRY_TIMEOUT/);
    expect((store as SlowStore).reads).toBe(2);
    now = 0;
    const [none] = await run(`SELECT v, w FROM cpu WHERE ${RANGE}`, {
      store,
      timeoutMs: 0,
      nowMs: () => now,
    });
    expect(none?.error).toBeUndefined();
  });

  it('answers over HTTP in InfluxDB shape, with the limits from the route options', async () => {
    const store = await storeWith(points(['a', 'b', 'c'], 5), new SlowStore(300));
    const auth = new Authenticator({
      store,
      clock: systemClock,
      logger: silentLogger,
      allowAnonymous: false,
      adminPassword: 'admin-password',
      announce: () => {},
      failures: { maxFailures: 100, windowMs: 60_000, blockMs: 60_000 },
    });
    await auth.start();
    const app: FastifyInstance = Fastify();
    await app.register(influxqlRoutes, {
      auth,
      store,
      maxPoints: 1000,
      maxSeries: 2,
      timeoutMs: 100,
      nowMicros: () => T0 + 86_400e6,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const q = `SELECT v FROM cpu WHERE host = 'a' AND ${RANGE}; SELECT v FROM cpu WHERE ${RANGE}`;
      const res = await fetch(`http://127.0.0.1:${port}/query?db=db&q=${encodeURIComponent(q)}`, {
        headers: { authorization: basicAuth('admin', 'admin-password') },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: Array<{ statement_id: number; error?: string }> };
      expect(body.results).toEqual([
        { statement_id: 0, error: expect.stringContaining('(QRY_TIMEOUT)') },
        { statement_id: 1, error: expect.stringContaining('(QRY_TOO_MANY_SERIES)') },
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('query limits in the config', () => {
  it('reads query.maxSeries and query.timeout from the environment, with defaults', async () => {
    const defaults = await loadConfig({ env: {}, flags: {} });
    expect(defaults.query).toEqual({ maxPoints: 1_000_000, maxSeries: 100_000, timeout: 30_000 });
    const set = await loadConfig({
      env: {
        SENSORHUB_QUERY_MAX_SERIES: '500',
        SENSORHUB_QUERY_TIMEOUT: '5s',
        SENSORHUB_QUERY_MAX_POINTS: '2000',
      },
      flags: {},
    });
    expect(set.query).toEqual({ maxPoints: 2000, maxSeries: 500, timeout: 5000 });
    await expect(loadConfig({ env: { SENSORHUB_QUERY_TIMEOUT: 'soon' }, flags: {} })).rejects.toThrow(
      /query\.timeout/,
    );
  });
});

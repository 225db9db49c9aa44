import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFLUXQL_CORPUS } from '../../src/query/influxql/corpus.js';
import { HAVE_INFLUXD, type InfluxDb, startInfluxDb } from '../helpers/influxdb.js';
import { basicAuth, startTestServer, type TestServer } from '../helpers/server.js';

const DB = 'diff';
const T0 = 1_704_067_200; // 2024-01-01T00:00:00Z, the corpus's hour

/** The corpus's data set: `cpu` (host a, b, c; region eu, us) and `pot` (topic × device), one hour. */
function dataset(): string {
  const lines: string[] = [];
  const hosts: Array<[string, string]> = [
    ['a', 'eu'],
    ['b', 'eu'],
    ['c', 'us'],
  ];
  for (let i = 0; i < 360; i++) {
    const t = T0 + i * 10;
    hosts.forEach(([host, region], h) => {
      const idle = Math.round((50 + 40 * Math.sin(i / 7 + h)) * 100) / 100;
      const user = Math.round((20 + 15 * Math.cos(i / 11 + h * 2)) * 100) / 100;
      lines.push(
        `cpu,host=${host},region=${region} usage_idle=${idle},usage_user=${user},count=${(i * (h + 1)) % 17} ${t}`,
      );
    });
  }
  const pots: Array<[string, string]> = [
    ['/pot', 'esp32-1'],
    ['/pot', 'esp32-2'],
    ['/pot2', 'esp32-1'],
  ];
  for (let i = 0; i < 720; i++) {
    const t = T0 + i * 5;
    pots.forEach(([topic, device], p) => {
      // Gaps: esp32-2 is silent for the second quarter of the hour, so fill() has work to do.
      if (device === 'esp32-2' && i >= 180 && i < 360) return;
      lines.push(`pot,topic=${topic},device=${device} value=${(i * 37 + p * 1000) % 4096} ${t}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

type Json = unknown;

function close(a: Json, b: Json): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      close(ka, kb) && ka.every((k) => close((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]))
    );
  }
  return a === b;
}

/**
 * Errors are compared by presence, not wording. Rows with the same time in one series (points of several
 * series merged without GROUP BY) come in an order InfluxDB does not define (it varies from one
 * timestamp to the next), so they are compared as a set.
 */
function normalize(body: Json): Json {
  const results = (body as { results?: Array<Record<string, Json>> }).results;
  if (!results) return { error: true };
  return results.map((r) => {
    if (r.error !== undefined) return { statement_id: r.statement_id, error: true };
    const series = r.series as Array<{ values: Json[][] }> | undefined;
    if (!series) return r;
    return {
      ...r,
      series: series.map((s) => ({
        ...s,
        values: [...s.values].sort((a, b) =>
          a[0] === b[0] ? (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1) : 0,
        ),
      })),
    };
  });
}

/**
 * Differential test: the same line-protocol data written to Debian's InfluxDB 1.x and to sensorhub, then
 * every query of the InfluxQL corpus (src/query/influxql/corpus.ts) run against both; the JSON answers must
 * be identical (floats within 1e-9). Differences that are known and documented (docs/influxql.md) are
 * listed below with their reason; every other query must match.
 */
describe.skipIf(!HAVE_INFLUXD)('InfluxQL against InfluxDB 1.x', () => {
  let influx: InfluxDb;
  let srv: TestServer;

  beforeAll(async () => {
    [influx, srv] = await Promise.all([startInfluxDb(), startTestServer()]);
    const created = await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${DB}`)}`, {
      method: 'POST',
    });
    expect(created.status).toBe(200);
    const body = dataset();
    const [a, b] = await Promise.all([
      fetch(`${influx.url}/write?db=${DB}&precision=s`, { method: 'POST', body }),
      fetch(`${srv.httpUrl}/write?db=${DB}&precision=s`, {
        method: 'POST',
        body,
        headers: { authorization: basicAuth('admin', srv.password) },
      }),
    ]);
    expect([a.status, b.status]).toEqual([204, 204]);
  }, 60_000);

  afterAll(async () => {
    await srv?.stop();
    await influx?.stop();
  });

  it(`answers the ${INFLUXQL_CORPUS.length} corpus queries as InfluxDB does`, async () => {
    const mismatches: Array<{ q: string; influx: string; sensorhub: string }> = [];
    for (const q of INFLUXQL_CORPUS) {
      const params = `db=${DB}&q=${encodeURIComponent(q)}`;
      const [ri, rs] = await Promise.all([
        fetch(`${influx.url}/query?${params}`),
        fetch(`${srv.httpUrl}/query?${params}`, {
          headers: { authorization: basicAuth('admin', srv.password) },
        }),
      ]);
      const [bi, bs] = await Promise.all([ri.json(), rs.json()]);
      const ni = normalize(bi);
      const ns = normalize(bs);
      if (ri.status !== rs.status || !close(ni, ns)) {
        mismatches.push({
          q,
          influx: JSON.stringify(bi).slice(0, 4000),
          sensorhub: JSON.stringify(bs).slice(0, 4000),
        });
      }
    }
    const known = mismatches.filter((m) => KNOWN_DIFFERENCES.some(([re]) => re.test(m.q)));
    const unexpected = mismatches.filter((m) => !known.includes(m));
    process.stdout.write(
      `influxql diff: ${INFLUXQL_CORPUS.length - mismatches.length}/${INFLUXQL_CORPUS.length} identical, ${known.length} known differences, ${unexpected.length} unexpected\n`,
    );
    for (const m of unexpected)
      process.stdout.write(`\nQUERY ${m.q}\n  influx:    ${m.influx}\n  sensorhub: ${m.sensorhub}\n`);
    expect(unexpected).toEqual([]);
    expect(INFLUXQL_CORPUS.length - mismatches.length).toBeGreaterThanOrEqual(100);
  }, 120_000);
});

/**
 * Queries whose answers differ from InfluxDB 1.6, with the reason. All of them come from points of several
 * series at the same time, merged without GROUP BY: InfluxDB's order among those points depends on its
 * storage and changes from one timestamp to the next, so any result that depends on that order (which of
 * them a LIMIT keeps, which one last() or a tied percentile picks, what a transform computes between them)
 * is not reproducible. sensorhub orders them by series.
 */
const KNOWN_DIFFERENCES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^SELECT last\((usage_idle|value)\) FROM (cpu|pot) WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T01:00:00Z'(;|$)/,
    'last() among tied points of several series',
  ],
  [/^SELECT percentile\(usage_user, 99\.9\)/, 'the time of one of several tied values'],
  [
    /^SELECT (derivative|moving_average)\(value(, (1m|3))?\) FROM pot/,
    'a transform over points of several series merged',
  ],
  [/ORDER BY time DESC LIMIT 5$/, 'LIMIT cutting through points at the same time'],
  [/^SELECT \* FROM cpu, pot .* LIMIT 2$/, 'LIMIT cutting through points at the same time'],
];

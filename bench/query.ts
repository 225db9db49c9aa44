/**
 * Query benchmark: the same data written to sensorhub (started as a user starts it) and to Debian's
 * InfluxDB 1.x, then the dashboard queries of issue 5 through each one's InfluxQL endpoint, in the same run:
 *
 * - one series over 24 h in 1-minute buckets;
 * - every series (BENCH_SERIES, default 1,000) over 24 h in 1-minute buckets;
 * - `last()` per series for every series.
 *
 * BENCH_POINTS (default 2,000,000; the issue's figure is 10,000,000) points spread over 24 h. sensorhub runs
 * three times: on DuckDB with rollups (the default 1m and 1h levels, waited for until the rollup job has
 * rolled the data up and clustered it), on DuckDB without (`storage.rollups: []`: aggregates pushed down
 * over raw points), both waited for until they have compacted the closed hours into series order, and on
 * PostgreSQL (Debian's, started on a free port; BENCH_POSTGRES=0 or no PostgreSQL skips it) with rollups.
 * Each query warms up (up to 50 runs or 3 s: a server that has been up a while has its code compiled), then
 * runs BENCH_RUNS (default 9) times, quick ones on for up to 2 s (51 runs at most); the table shows the p50
 * per target and the ratios (InfluxDB time /
 * sensorhub time: above 1 means sensorhub is faster), then bytes per stored point: each data directory
 * (DuckDB, InfluxDB), and PostgreSQL's database size less that of the empty database. Prints one JSON
 * line last.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresUnavailable, startPostgres } from '../test/helpers/postgres.js';
import { startInfluxDb } from './lib/influxd.js';
import { roundNumbers } from './lib/report.js';
import { startSensorhub } from './lib/servers.js';

const DB = 'bench';
const DAY = 86_400;
/** Yesterday 00:00 UTC: recent, so that retention keeps it and the 1-minute rollups (kept 90 days) hold it. */
const T0 = Math.floor(Date.now() / 1000 / DAY) * DAY - DAY;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(p);
    else if (entry.isFile()) total += (await stat(p)).size;
  }
  return total;
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

async function write(t: Target, body: string): Promise<void> {
  const res = await fetch(`${t.url}/write?db=${DB}&precision=s`, {
    method: 'POST',
    body,
    headers: t.headers,
  });
  if (res.status !== 204) throw new Error(`${t.name} /write: ${res.status} ${await res.text()}`);
}

/**
 * One query: `ms` until the whole answer is received (the server's time, what the targets are about), and
 * `parsedMs` until the client has also parsed its JSON (35 MB for 1,000 series: ~0.3 s of the client's
 * own time, the same for every server).
 */
async function query(
  t: Target,
  q: string,
): Promise<{ ms: number; parsedMs: number; series: number; values: number }> {
  const started = performance.now();
  const res = await fetch(`${t.url}/query?db=${DB}&epoch=ms&q=${encodeURIComponent(q)}`, {
    headers: t.headers,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  const body = JSON.parse(text) as {
    error?: string;
    results?: Array<{ error?: string; series?: Array<{ values: unknown[] }> }>;
  };
  const parsedMs = performance.now() - started;
  const r = body.results?.[0];
  if (!res.ok || body.error || r?.error)
    throw new Error(`${t.name}: ${body.error ?? r?.error ?? res.status}`);
  const series = r?.series ?? [];
  return { ms, parsedMs, series: series.length, values: series.reduce((n, s) => n + s.values.length, 0) };
}

/** A counter's total over its label sets in a Prometheus text body. */
function counterTotal(metrics: string, name: string, labels: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * Waits until a counter of `t`'s /metrics (over the label sets containing `labels`) has moved and then
 * stayed still for longer than the rollup job's period (15 s).
 */
async function waitForCounter(t: Target, name: string, labels: string): Promise<void> {
  const read = async () => {
    const res = await fetch(`${t.url}/metrics`, { headers: t.headers });
    return counterTotal(await res.text(), name, labels);
  };
  let last = await read();
  let stableSince = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await read();
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    } else if (last > 0 && performance.now() - stableSince > 17_000) return;
  }
}

/**
 * Waits until the rollup job has rolled up what was written (the 1m level's rolled-bucket counter) and,
 * on every sensorhub, compacted the closed hours into series order.
 */
async function waitForRollups(rolled: Target, all: readonly Target[]): Promise<void> {
  await Promise.all([
    waitForCounter(rolled, 'sensorhub_rollup_buckets_total', 'interval="60"'),
    ...all.map((t) => waitForCounter(t, 'sensorhub_compacted_slices_total', '')),
  ]);
}

/** PostgreSQL's size of the database at `url`, in bytes. */
async function databaseBytes(
  pg: Awaited<ReturnType<typeof startPostgres>> | undefined,
  url: string,
): Promise<number> {
  if (pg === undefined) return 0;
  const [row] = await pg.sql<{ bytes: string }>(
    'SELECT pg_database_size(current_database())::TEXT AS bytes',
    [],
    url,
  );
  return Number(row?.bytes ?? 0);
}

/** Runs `f` with these environment variables set (startSensorhub passes its environment on). */
async function withEnv<T>(vars: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function configFile(name: string, body: string): Promise<string> {
  const file = join(tmpdir(), `sensorhub-bench-query-${name}-${process.pid}.yaml`);
  await writeFile(file, body);
  return file;
}

async function main(): Promise<number> {
  const seriesCount = Number(process.env.BENCH_SERIES ?? 1000);
  const points = Number(process.env.BENCH_POINTS ?? 2_000_000);
  const runs = Number(process.env.BENCH_RUNS ?? 9);
  const skipPostgres = process.env.BENCH_POSTGRES === '0' ? 'BENCH_POSTGRES=0' : postgresUnavailable();
  const perSeries = Math.floor(points / seriesCount);
  const step = DAY / perSeries;

  // Queries the pushdown cannot serve read raw points (bounded by query.maxPoints): allow the whole set.
  const queryConfig = `query:\n  maxPoints: ${points * 2}\n`;
  const password = randomBytes(18).toString('base64url');
  progress('starting sensorhub (rollups on, rollups off) and influxd');
  // The data set is from 2024: keep it whatever the default retention.
  process.env.SENSORHUB_CONFIG = await configFile(
    'rollups',
    `${queryConfig}storage:\n  retention:\n    default: INF\n`,
  );
  const sh = await startSensorhub(password, undefined);
  process.env.SENSORHUB_CONFIG = await configFile(
    'raw',
    `${queryConfig}storage:\n  retention:\n    default: INF\n  rollups: []\n`,
  );
  const raw = await startSensorhub(password, undefined);
  process.env.SENSORHUB_CONFIG = await configFile(
    'postgres',
    `${queryConfig}storage:\n  retention:\n    default: INF\n`,
  );
  const pg = skipPostgres === undefined ? await startPostgres() : undefined;
  const pgUrl = await pg?.createDatabase();
  const pgEmptyBytes = pgUrl === undefined ? 0 : await databaseBytes(pg, pgUrl);
  const onPg =
    pg === undefined || pgUrl === undefined
      ? undefined
      : await withEnv({ SENSORHUB_STORAGE_URL: pgUrl, SENSORHUB_STORAGE_PASSWORD: pg.password }, () =>
          startSensorhub(password, undefined),
        );
  if (skipPostgres !== undefined) progress(`PostgreSQL skipped: ${skipPostgres}`);
  const influx = await startInfluxDb();
  try {
    const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
    const targets: Target[] = [
      { name: 'sensorhub', url: `http://127.0.0.1:${sh.httpPort}`, headers: auth },
      { name: 'sensorhubRaw', url: `http://127.0.0.1:${raw.httpPort}`, headers: auth },
      ...(onPg === undefined
        ? []
        : [{ name: 'sensorhubPg', url: `http://127.0.0.1:${onPg.httpPort}`, headers: auth }]),
      { name: 'influxdb', url: influx.url, headers: {} },
    ];
    const created = await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${DB}`)}`, {
      method: 'POST',
    });
    if (!created.ok) throw new Error(`CREATE DATABASE: ${created.status}`);

    progress(
      `writing ${(perSeries * seriesCount).toLocaleString('en-US')} points (${seriesCount} series) to both`,
    );
    const writeStart = performance.now();
    const BATCH = 10_000;
    let lines: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < perSeries; i++) {
      const t = Math.floor(T0 + i * step);
      for (let s = 0; s < seriesCount; s++) {
        lines.push(`env,device=d${s} value=${((i * 7 + s * 13) % 1000) / 10} ${t}`);
        if (lines.length >= BATCH) {
          const body = lines.join('\n');
          lines = [];
          pending.push(...targets.map((tg) => write(tg, body)));
          if (pending.length >= 12) await Promise.all(pending.splice(0));
        }
      }
    }
    if (lines.length > 0) pending.push(...targets.map((tg) => write(tg, lines.join('\n'))));
    await Promise.all(pending);
    progress(`written in ${((performance.now() - writeStart) / 1000).toFixed(1)} s; waiting for the rollups`);
    await waitForRollups(targets[0] as Target, targets.slice(0, 2));
    const pgTarget = targets.find((t) => t.name === 'sensorhubPg');
    if (pgTarget !== undefined)
      await waitForCounter(pgTarget, 'sensorhub_rollup_buckets_total', 'interval="60"');

    const range = `time >= ${T0}s AND time < ${T0 + DAY}s`;
    const queries: Array<[string, string]> = [
      [
        '1 series, 24 h, 1m buckets',
        `SELECT mean(value) FROM env WHERE device = 'd1' AND ${range} GROUP BY time(1m)`,
      ],
      [
        `${seriesCount} series, 24 h, 1m buckets`,
        `SELECT mean(value) FROM env WHERE ${range} GROUP BY time(1m), device`,
      ],
      [`last() of ${seriesCount} series`, `SELECT last(value) FROM env WHERE ${range} GROUP BY device`],
    ];
    const rows: Array<{
      query: string;
      sensorhubMs: number;
      sensorhubRawMs: number;
      sensorhubPostgresMs: number | null;
      influxdbMs: number;
      sensorhubParsedMs: number;
      influxdbParsedMs: number;
      ratio: number;
      ratioParsed: number;
      ratioRaw: number;
      ratioPostgres: number | null;
      series: number;
      values: number;
    }> = [];
    for (const [label, q] of queries) {
      const times: Record<string, number[]> = {};
      const parsed: Record<string, number[]> = {};
      let shape = { series: 0, values: 0 };
      for (const t of targets) {
        const warmStart = performance.now();
        for (let w = 0; w < 50 && (w === 0 || performance.now() - warmStart < 3000); w++) await query(t, q);
        times[t.name] = [];
        parsed[t.name] = [];
        // At least `runs` runs; quick queries run on for up to 2 s (at most 51 runs) for a steadier p50.
        const runStart = performance.now();
        for (let r = 0; r < runs || (r < 51 && performance.now() - runStart < 2000); r++) {
          const res = await query(t, q);
          (times[t.name] as number[]).push(res.ms);
          (parsed[t.name] as number[]).push(res.parsedMs);
          if (t.name === 'influxdb') shape = { series: res.series, values: res.values };
        }
      }
      const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const s = p50(times.sensorhub as number[]);
      const r = p50(times.sensorhubRaw as number[]);
      const g = times.sensorhubPg === undefined ? null : p50(times.sensorhubPg);
      const i = p50(times.influxdb as number[]);
      const sp = p50(parsed.sensorhub as number[]);
      const ip = p50(parsed.influxdb as number[]);
      rows.push({
        query: label,
        sensorhubMs: s,
        sensorhubRawMs: r,
        sensorhubPostgresMs: g,
        influxdbMs: i,
        sensorhubParsedMs: sp,
        influxdbParsedMs: ip,
        ratio: i / s,
        ratioParsed: ip / sp,
        ratioRaw: i / r,
        ratioPostgres: g === null ? null : i / g,
        ...shape,
      });
      progress(
        `${label}: sensorhub ${s.toFixed(1)} ms (no rollups ${r.toFixed(1)} ms, PostgreSQL ${g?.toFixed(1) ?? '-'} ms), influxdb ${i.toFixed(1)} ms`,
      );
    }

    const stored = perSeries * seriesCount;
    const bytes = {
      sensorhub: sh.dataDir ? (await dirBytes(sh.dataDir)) / stored : Number.NaN,
      sensorhubNoRollups: raw.dataDir ? (await dirBytes(raw.dataDir)) / stored : Number.NaN,
      postgres:
        pg === undefined || pgUrl === undefined
          ? null
          : ((await databaseBytes(pg, pgUrl)) - pgEmptyBytes) / stored,
      influxdb: (await dirBytes(influx.dir)) / stored,
    };
    const width = Math.max(...rows.map((r) => r.query.length));
    const ms = (v: number | null, w: number) => (v === null ? '-' : v.toFixed(1)).padStart(w);
    const ratio = (v: number | null, w: number) => (v === null ? '-' : v.toFixed(2)).padStart(w);
    process.stdout.write(
      `\nquery benchmark: ${stored.toLocaleString('en-US')} points, ${seriesCount} series over 24 h; p50 of ${runs} to 51 runs after warm-up; ms until the whole answer is received\n\n`,
    );
    process.stdout.write(
      `${'query'.padEnd(width)}  sensorhub ms  no rollups ms  PostgreSQL ms  influxdb ms  influxdb/sensorhub  influxdb/no rollups  influxdb/PostgreSQL\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.query.padEnd(width)}  ${ms(r.sensorhubMs, 12)}  ${ms(r.sensorhubRawMs, 13)}  ${ms(r.sensorhubPostgresMs, 13)}  ${ms(r.influxdbMs, 11)}  ${ratio(r.ratio, 18)}  ${ratio(r.ratioRaw, 19)}  ${ratio(r.ratioPostgres, 19)}\n`,
      );
    }
    process.stdout.write(
      `\nwith the client's JSON.parse of the answer (the same work for both servers):\n${'query'.padEnd(width)}  sensorhub ms  influxdb ms  influxdb/sensorhub\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.query.padEnd(width)}  ${ms(r.sensorhubParsedMs, 12)}  ${ms(r.influxdbParsedMs, 11)}  ${ratio(r.ratioParsed, 18)}\n`,
      );
    }
    process.stdout.write(
      `\nbytes per stored point: sensorhub on DuckDB with rollups ${bytes.sensorhub.toFixed(1)}, without rollups ${bytes.sensorhubNoRollups.toFixed(1)} (data directory, WAL included); on PostgreSQL with rollups ${bytes.postgres === null ? '-' : bytes.postgres.toFixed(1)} (database size less the empty database's); InfluxDB ${bytes.influxdb.toFixed(1)} (data directory)\n`,
    );
    process.stdout.write(
      `${JSON.stringify(roundNumbers({ bench: 'query', points: stored, series: seriesCount, runs, postgres: skipPostgres ?? 'measured', results: rows, bytesPerPoint: bytes }))}\n`,
    );
    return 0;
  } finally {
    await Promise.all([sh.stop(), raw.stop(), onPg?.stop(), influx.stop()]);
    await pg?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);

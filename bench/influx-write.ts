/**
 * HTTP write benchmark: InfluxDB line protocol over `POST /write`, sensorhub (`sensorhub start`, a child
 * process with a fresh data directory) against Debian's InfluxDB 1.x (`influxd`, also a child process with
 * a fresh directory) on the same pre-built batches in the same run. N keep-alive clients each keep one
 * request in flight for a fixed time; a 204 is counted as acknowledged (both servers answer it only once
 * the points are durable: sensorhub after its commit, InfluxDB after its WAL write). Afterwards the points
 * are counted back on each server. Prints a table, then one JSON line (the last line of stdout).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { LatencyHistogram } from './lib/histogram.js';
import { startInfluxDb } from './lib/influxd.js';
import { roundNumbers } from './lib/report.js';
import { RssSampler, readCpuSeconds } from './lib/rss.js';
import { hasSensorhub, SENSORHUB_MAIN, startSensorhub } from './lib/servers.js';

const INFLUXD = '/usr/bin/influxd';
const DATABASE = 'bench';
const MEASUREMENT = 'bench';
const FIELDS = ['temperature', 'humidity', 'pressure'] as const;
/** Durable points/s sensorhub is to reach (the issue's target). */
const TARGET_POINTS_PER_SEC = 500_000;

type TargetName = 'sensorhub' | 'influxdb';

interface Options {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly clients: number;
  readonly batch: number;
  readonly series: number;
  readonly targets: readonly TargetName[];
}

const USAGE = `Usage: npm run bench:write -- [--seconds N] [--warmup N] [--clients N] [--batch N] [--series N]
                             [--targets sensorhub,influxdb]
Env: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CLIENTS (8 concurrent keep-alive HTTP clients, one request
in flight each), BENCH_BATCH (5000 lines per request), BENCH_SERIES (1000), BENCH_TARGETS (sensorhub,influxdb).
Flags win over env. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles sensorhub.`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      clients: { type: 'string' },
      batch: { type: 'string' },
      series: { type: 'string' },
      targets: { type: 'string' },
    },
  });
  const problems: string[] = [];
  const num = (name: string, text: string | undefined, fallback: number, min: number, max: number) => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      problems.push(`${name}: "${text}" is not a number in ${min}..${max}`);
    return n;
  };
  const targets = (values.targets ?? env.BENCH_TARGETS ?? 'sensorhub,influxdb')
    .split(',')
    .map((t) => t.trim());
  for (const t of targets)
    if (t !== 'sensorhub' && t !== 'influxdb') problems.push(`targets: unknown "${t}"`);
  const options: Options = {
    seconds: num('seconds', values.seconds ?? env.BENCH_SECONDS, 10, 0.5, 3600),
    warmupSeconds: num('warmup', values.warmup ?? env.BENCH_WARMUP, 2, 0, 600),
    clients: Math.round(num('clients', values.clients ?? env.BENCH_CLIENTS, 8, 1, 1000)),
    batch: Math.round(num('batch', values.batch ?? env.BENCH_BATCH, 5000, 1, 1_000_000)),
    series: Math.round(num('series', values.series ?? env.BENCH_SERIES, 1000, 1, 1_000_000)),
    targets: targets as TargetName[],
  };
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return options;
}

function progress(message: string): void {
  process.stderr.write(`[bench:write] ${message}\n`);
}

/**
 * The request bodies: one template of `batch` lines over `series` series with 3 fields, whose timestamps
 * (seconds, fixed width) are rewritten in place for batch number b. Every batch is thus a distinct set of
 * points (no two share series and time, which would merge them), yet batch b is byte for byte the same for
 * both servers, and building it costs the client a few hundred microseconds.
 */
class Batches {
  readonly template: Buffer;
  readonly #timeAt: Int32Array;
  readonly #perSeries: number;
  /** Seconds: 30 days ago, so that "now" queries cover every batch and nothing lands in the future. */
  readonly t0: number;

  constructor(
    readonly batch: number,
    readonly series: number,
  ) {
    this.t0 = Math.floor(Date.now() / 1000) - 30 * 86_400;
    this.#perSeries = Math.ceil(batch / series);
    const parts: string[] = [];
    const timeAt: number[] = [];
    let offset = 0;
    for (let j = 0; j < batch; j++) {
      const s = j % series;
      const head =
        `${MEASUREMENT},host=host-${String(s).padStart(5, '0')},region=region-${s % 10} ` +
        `temperature=${(15 + (j % 200) / 10).toFixed(2)},humidity=${(30 + (j % 50)).toFixed(1)},pressure=${(990 + (j % 40) * 0.75).toFixed(2)} `;
      timeAt.push(offset + Buffer.byteLength(head));
      const line = `${head}${this.t0}\n`;
      parts.push(line);
      offset += Buffer.byteLength(line);
    }
    this.template = Buffer.from(parts.join(''));
    this.#timeAt = Int32Array.from(timeAt);
  }

  /** Points per series in one batch; batch b uses seconds t0 + b * perSeries … + perSeries - 1. */
  get perSeries(): number {
    return this.#perSeries;
  }

  /** Writes batch b's timestamps into `into` (a copy of the template). */
  fill(into: Buffer, b: number): void {
    for (let j = 0; j < this.batch; j++) {
      const t = this.t0 + b * this.#perSeries + Math.floor(j / this.series);
      into.write(String(t), this.#timeAt[j] as number, 'latin1');
    }
  }
}

interface Target {
  readonly name: TargetName;
  readonly pid: number;
  readonly port: number;
  readonly headers: Record<string, string>;
  /** Field values stored per field, counted back after the run. */
  count(field: string, from: number): Promise<number>;
  stop(): Promise<void>;
}

interface RunResult {
  readonly target: TargetName;
  readonly pointsPerSec: number;
  readonly requestsPerSec: number;
  readonly latency: ReturnType<LatencyHistogram['summary']>;
  readonly serverCpu: number | undefined;
  readonly loadCpu: number;
  readonly peakRssMiB: number;
  readonly ackedPoints: number;
  readonly storedPoints: number;
  readonly durable: boolean;
  readonly errors: Readonly<Record<string, number>>;
  readonly ackedEachSecond: readonly number[];
}

function post(
  agent: Agent,
  port: number,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/write?db=${DATABASE}&precision=s`,
        agent,
        headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 500) text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** N clients, each one request in flight, for warm-up + measured seconds; then the points are counted back. */
async function drive(target: Target, batches: Batches, opts: Options): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
  const latency = new LatencyHistogram();
  const errors: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = start + opts.warmupSeconds * 1000;
  const end = measureFrom + opts.seconds * 1000;
  const ackedEachSecond: number[] = new Array(Math.ceil(opts.seconds)).fill(0);
  let next = 0;
  let ackedPoints = 0;
  let measuredPoints = 0;
  let measuredRequests = 0;
  const rss = new RssSampler(target.pid);
  rss.start();
  let cpuStart: number | undefined;
  let loadStart = process.cpuUsage();
  const mark = setTimeout(
    () => {
      void readCpuSeconds(target.pid).then((c) => {
        cpuStart = c;
      });
      loadStart = process.cpuUsage();
    },
    Math.max(0, measureFrom - performance.now()),
  );

  const client = async () => {
    const body = Buffer.from(batches.template);
    while (performance.now() < end) {
      const b = next++;
      batches.fill(body, b);
      const sent = performance.now();
      let status: number;
      let text = '';
      try {
        ({ status, text } = await post(agent, target.port, target.headers, body));
      } catch (err) {
        status = 0;
        text = (err as Error).message;
      }
      const done = performance.now();
      if (status === 204) ackedPoints += batches.batch;
      else {
        const key = `${status} ${text.slice(0, 120)}`;
        errors[key] = (errors[key] ?? 0) + 1;
      }
      if (sent >= measureFrom && done <= end) {
        latency.record(done - sent);
        measuredRequests++;
        if (status === 204) {
          measuredPoints += batches.batch;
          const second = Math.floor((done - measureFrom) / 1000);
          ackedEachSecond[second] = (ackedEachSecond[second] ?? 0) + batches.batch;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  clearTimeout(mark);
  const cpuEnd = await readCpuSeconds(target.pid);
  const load = process.cpuUsage(loadStart);
  const memory = await rss.stop();
  agent.destroy();

  progress(`${target.name}: ${next} requests sent; counting the stored points`);
  const counts = await Promise.all(FIELDS.map((f) => target.count(f, batches.t0)));
  const storedPoints = Math.min(...counts);
  return {
    target: target.name,
    pointsPerSec: measuredPoints / opts.seconds,
    requestsPerSec: measuredRequests / opts.seconds,
    latency: latency.summary(),
    serverCpu:
      cpuStart === undefined || cpuEnd === undefined ? undefined : (cpuEnd - cpuStart) / opts.seconds,
    loadCpu: (load.user + load.system) / 1e6 / opts.seconds,
    peakRssMiB: memory.peakRssMiB,
    ackedPoints,
    storedPoints,
    durable: counts.every((c) => c >= ackedPoints),
    errors,
    ackedEachSecond,
  };
}

async function sensorhubTarget(): Promise<Target> {
  const password = randomBytes(18).toString('base64url');
  progress(`sensorhub: starting ${SENSORHUB_MAIN}`);
  const server = await startSensorhub(password, undefined);
  const baseUrl = `http://127.0.0.1:${server.httpPort}`;
  const admin = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  try {
    // Writers use a token with write on the bench database, as Telegraf would.
    const res = await fetch(`${baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', permissions: [{ action: 'write', database: DATABASE }] }),
    });
    if (res.status !== 201)
      throw new Error(`creating the bench token failed: ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    return {
      name: 'sensorhub',
      pid: server.pid,
      port: server.httpPort as number,
      headers: { authorization: `Token ${token}` },
      count: async (field, from) => {
        const url = new URL('/api/v1/query', baseUrl);
        const params = { db: DATABASE, measurement: MEASUREMENT, field, agg: 'count', to: 'now' };
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        url.searchParams.set('from', new Date(from * 1000).toISOString());
        const r = await fetch(url, { headers: { authorization: admin } });
        if (!r.ok) throw new Error(`counting ${field} on sensorhub: ${r.status} ${await r.text()}`);
        const body = (await r.json()) as { series: Array<{ value: number[] }> };
        return body.series.reduce((n, s) => n + s.value.reduce((a, b) => a + b, 0), 0);
      },
      stop: async () => {
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Debian's influxd 1.x with every listener on a free port of 127.0.0.1 and its data in a temp dir. */
async function influxTarget(): Promise<Target> {
  progress(`influxdb: starting ${INFLUXD} ${versionOf()}`);
  const influx = await startInfluxDb();
  const baseUrl = influx.url;
  const stop = () => influx.stop();
  try {
    const created = await fetch(`${baseUrl}/query?q=${encodeURIComponent(`CREATE DATABASE ${DATABASE}`)}`, {
      method: 'POST',
    });
    if (!created.ok) throw new Error(`CREATE DATABASE failed: ${created.status} ${await created.text()}`);
    return {
      name: 'influxdb',
      pid: influx.pid,
      port: influx.port,
      headers: {},
      count: async (field, from) => {
        const q = `SELECT count("${field}") FROM "${MEASUREMENT}" WHERE time >= ${from}s`;
        const r = await fetch(`${baseUrl}/query?db=${DATABASE}&q=${encodeURIComponent(q)}`);
        if (!r.ok) throw new Error(`counting ${field} on influxdb: ${r.status} ${await r.text()}`);
        const body = (await r.json()) as {
          results: Array<{ series?: Array<{ values: Array<[string, number]> }> }>;
        };
        return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function versionOf(): string {
  try {
    return execFileSync(INFLUXD, ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function measure(name: TargetName, batches: Batches, opts: Options): Promise<RunResult> {
  const target = name === 'sensorhub' ? await sensorhubTarget() : await influxTarget();
  try {
    progress(
      `${name}: ${opts.clients} clients × ${opts.batch}-line requests, ${opts.warmupSeconds} s warm-up + ${opts.seconds} s`,
    );
    return await drive(target, batches, opts);
  } finally {
    await target.stop();
    progress(`${name}: stopped`);
  }
}

const COLUMNS: ReadonlyArray<[string, (r: RunResult) => string]> = [
  ['target', (r) => r.target],
  ['points/s acked', (r) => fmt(r.pointsPerSec, 0)],
  ['values/s', (r) => fmt(r.pointsPerSec * FIELDS.length, 0)],
  ['requests/s', (r) => fmt(r.requestsPerSec, 1)],
  ['p50 ms', (r) => fmt(r.latency.p50Ms, 1)],
  ['p99 ms', (r) => fmt(r.latency.p99Ms, 1)],
  ['max ms', (r) => fmt(r.latency.maxMs, 1)],
  ['server CPU', (r) => (r.serverCpu === undefined ? '-' : `${fmt(r.serverCpu * 100, 0)}%`)],
  ['peak RSS MiB', (r) => fmt(r.peakRssMiB, 0)],
  ['stored/acked', (r) => `${r.storedPoints}/${r.ackedPoints}`],
  ['durable', (r) => (r.durable ? 'yes' : 'NO')],
  ['client CPU', (r) => `${fmt(r.loadCpu * 100, 0)}%`],
];

function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(results: readonly RunResult[]): string {
  const rows = [COLUMNS.map(([t]) => t), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts = parseOptions(argv, process.env);
  const loadBefore = loadavg()[0] ?? 0;
  const batches = new Batches(opts.batch, opts.series);
  const results: RunResult[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  for (const name of opts.targets) {
    if (name === 'sensorhub' && !hasSensorhub()) {
      failures.push(`sensorhub not measured: ${SENSORHUB_MAIN} does not exist (npm run build)`);
      continue;
    }
    if (name === 'influxdb' && !existsSync(INFLUXD)) {
      notes.push(`influxdb not measured: ${INFLUXD} is not installed (apt-get install influxdb)`);
      continue;
    }
    try {
      results.push(await measure(name, batches, opts));
    } catch (err) {
      failures.push(`${name} FAILED: ${err instanceof Error ? err.message : String(err)}`);
      progress(failures[failures.length - 1] as string);
    }
  }
  const of = (t: TargetName) => results.find((r) => r.target === t);
  const sensorhub = of('sensorhub');
  const influx = of('influxdb');
  const ratio =
    sensorhub && influx && influx.pointsPerSec > 0 ? sensorhub.pointsPerSec / influx.pointsPerSec : undefined;
  for (const r of results) {
    for (const [e, n] of Object.entries(r.errors)) notes.push(`${r.target}: ${n} × ${e}`);
    if (!r.durable)
      notes.push(`${r.target}: DURABILITY FAILED: stored ${r.storedPoints} < acked ${r.ackedPoints}`);
  }
  if (sensorhub && sensorhub.pointsPerSec < TARGET_POINTS_PER_SEC) {
    notes.push(
      `sensorhub below the target of ${fmt(TARGET_POINTS_PER_SEC, 0)} durable points/s (${fmt(sensorhub.pointsPerSec, 0)})`,
    );
  }
  const loadAfter = loadavg()[0] ?? 0;
  if (Math.max(loadBefore, loadAfter) > 1.5) {
    notes.push(`machine busy: load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  }

  const bytes = batches.template.length;
  process.stdout.write(
    `\nHTTP write benchmark: POST /write?precision=s, ${opts.clients} clients × 1 request in flight, ${opts.batch} lines (${fmt(bytes / 1024, 0)} KiB) per request, ${opts.series} series × ${FIELDS.length} fields, ${opts.warmupSeconds} s warm-up + ${opts.seconds} s\n\n`,
  );
  process.stdout.write(`${table(results)}\n\n`);
  if (ratio !== undefined) process.stdout.write(`sensorhub/influxdb acked points/s: ${ratio.toFixed(2)}\n`);
  for (const n of [...failures, ...notes]) process.stdout.write(`note: ${n}\n`);

  const ok = failures.length === 0 && results.every((r) => r.durable && Object.keys(r.errors).length === 0);
  const line = {
    bench: 'influx-write',
    ok,
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
    clients: opts.clients,
    batchLines: opts.batch,
    batchBytes: bytes,
    series: opts.series,
    cores: availableParallelism(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    node: process.version,
    sensorhubToInfluxdb: ratio ?? null,
    targetPointsPerSec: TARGET_POINTS_PER_SEC,
    failures,
    results,
  };
  process.stdout.write(`${JSON.stringify(roundNumbers(line))}\n`);
  return ok ? 0 : 1;
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

/**
 * Ingest benchmark: sensorhub as a user runs it (`sensorhub start`, a child process), fed by a separate
 * load-generator process over real MQTT, compared against Mosquitto on the same load in the same run.
 * Prints a table, then one JSON line (the last line of stdout).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  BAD_EVERY,
  FIELDS_PER_MESSAGE,
  JSON_FIELDS,
  type LoadConfig,
  type LoadEvent,
  type LoadResult,
  type Scenario,
} from './lib/load-protocol.js';
import { type BenchOptions, parseOptions, USAGE } from './lib/options.js';
import { canPin, spawnTracked } from './lib/processes.js';
import { countDeadLetters, QuerySampler, type QueryTarget, runQuery, sumValues } from './lib/query.js';
import { formatTable, percentile, roundNumbers, type ScenarioReport } from './lib/report.js';
import { RssSampler, readCpuSeconds } from './lib/rss.js';
import {
  hasMosquitto,
  hasSensorhub,
  type RunningServer,
  SENSORHUB_MAIN,
  startMosquitto,
  startSensorhub,
} from './lib/servers.js';
import { createDeviceUser } from './lib/users.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));
const DATABASE = 'sensorhub';

interface Cpus {
  readonly server: number | undefined;
  readonly load: number | undefined;
}

interface StoredTarget {
  readonly measurement: string;
  readonly field: string;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Where the server's built-in rules (src/ingest/rules.ts DEFAULT_RULES) put each scenario's messages:
 * `sensors/<device>/<sensor>` → measurement <sensor>, field value; any other topic with a JSON object →
 * measurement <last topic level>, one field per key.
 */
function storedTargets(scenario: Scenario, connections: number): StoredTarget[] {
  if (scenario === 'plain' || scenario === 'plain-bad') return [{ measurement: 'temp', field: 'value' }];
  const targets: StoredTarget[] = [];
  for (let i = 1; i <= connections; i++) {
    for (const field of JSON_FIELDS) targets.push({ measurement: `dev-${i}`, field });
  }
  return targets;
}

interface WindowHooks {
  onMeasuring(): void;
  onMeasured(): void;
}

function runLoadgen(config: LoadConfig, cpu: number | undefined, hooks: WindowHooks): Promise<LoadResult> {
  const child = spawnTracked(
    process.execPath,
    [LOADGEN],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    cpu,
  );
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (event: LoadEvent) => {
      if (event.type === 'connected')
        progress(`  ${config.connections} connections up in ${event.connectMs.toFixed(0)} ms`);
      else if (event.type === 'measuring') hooks.onMeasuring();
      else if (event.type === 'measured') hooks.onMeasured();
      else {
        settled = true;
        if (event.type === 'result') resolve(event.result);
        else reject(new Error(`load generator failed: ${event.message}`));
      }
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited (${code}) without a result`));
    });
    child.send(config);
  });
}

/** Counts what the store holds per target (agg=count over the last hour), a few queries at a time. */
async function countStored(api: QueryTarget, targets: readonly StoredTarget[]): Promise<number[]> {
  const counts: number[] = new Array(targets.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i] as StoredTarget;
      const params = {
        db: DATABASE,
        measurement: t.measurement,
        field: t.field,
        agg: 'count',
        from: '-1h',
        to: 'now',
      };
      counts[i] = sumValues((await runQuery(api, params)).body);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return counts;
}

function loadConfig(
  opts: BenchOptions,
  server: RunningServer,
  scenario: Scenario,
  auth?: { username: string; password: string },
): LoadConfig {
  return {
    host: '127.0.0.1',
    port: server.mqttPort,
    ...(auth ? { username: auth.username, password: auth.password } : {}),
    scenario,
    connections: opts.connections,
    window: opts.window,
    warmupMs: opts.warmupSeconds * 1000,
    durationMs: opts.seconds * 1000,
    drainMs: 15_000,
    clientIdPrefix: `bench-${scenario}`,
  };
}

interface Measured {
  readonly load: LoadResult;
  readonly peakRssMiB: number;
  /** Server CPU during the measured window, as a fraction of one core. */
  readonly serverCpu: number | undefined;
}

/** Runs the load against `server` while sampling its memory and CPU; `during` runs inside the window. */
async function measure(
  server: RunningServer,
  config: LoadConfig,
  cpus: Cpus,
  during?: { start(): void; stop(): Promise<void> },
): Promise<Measured> {
  const rss = new RssSampler(server.pid);
  rss.start();
  let cpuStart: Promise<[number | undefined, number]> | undefined;
  let cpuEnd: Promise<[number | undefined, number]> | undefined;
  const cpuNow = async (): Promise<[number | undefined, number]> => [
    await readCpuSeconds(server.pid),
    performance.now(),
  ];
  const load = await runLoadgen(config, cpus.load, {
    onMeasuring: () => {
      cpuStart = cpuNow();
      during?.start();
    },
    onMeasured: () => {
      cpuEnd = cpuNow();
    },
  });
  await during?.stop();
  const memory = await rss.stop();
  const [cpu0, t0] = (await cpuStart) ?? [undefined, 0];
  const [cpu1, t1] = (await cpuEnd) ?? [undefined, 0];
  const serverCpu = cpu0 === undefined || cpu1 === undefined ? undefined : (cpu1 - cpu0) / ((t1 - t0) / 1000);
  return { load, peakRssMiB: memory.peakRssMiB, serverCpu };
}

function baseReport(target: string, scenario: Scenario, m: Measured) {
  const { load } = m;
  // Malformed messages are acknowledged too; only the good ones carry values.
  const goodShare = load.publishedTotal > 0 ? 1 - load.badTotal / load.publishedTotal : 1;
  return {
    target,
    scenario,
    ackedPerSec: load.ackedPerSec,
    valuesPerSec: load.ackedPerSec * goodShare * FIELDS_PER_MESSAGE[scenario],
    badTotal: load.badTotal,
    latencyP50Ms: load.latency.p50Ms,
    latencyP99Ms: load.latency.p99Ms,
    latencyMaxMs: load.latency.maxMs,
    peakRssMiB: m.peakRssMiB,
    serverCpu: m.serverCpu,
    ackedTotal: load.ackedTotal,
    expectedValues: (load.ackedTotal - load.badTotal) * FIELDS_PER_MESSAGE[scenario],
    loadgenCpu: load.cpuFraction,
    ackedEachSecond: load.ackedEachSecond,
  };
}

/** `client`: the load logs in as a device user whose ACL is checked on every publish; `admin`: no ACL check. */
type LoginAs = 'client' | 'admin';

async function benchSensorhub(
  opts: BenchOptions,
  scenario: Scenario,
  cpus: Cpus,
  as: LoginAs = 'client',
): Promise<ScenarioReport> {
  const password = randomBytes(18).toString('base64url');
  progress(`sensorhub/${scenario}: starting ${SENSORHUB_MAIN}`);
  const server = await startSensorhub(password, cpus.server);
  let report: Omit<ScenarioReport, 'shutdownMs'>;
  let shutdownMs: number;
  try {
    const api: QueryTarget = { baseUrl: `http://127.0.0.1:${server.httpPort}`, username: 'admin', password };
    const targets = storedTargets(scenario, opts.connections);
    const probe = targets[0] as StoredTarget;
    const dashboardQuery = async () =>
      (await runQuery(api, { db: DATABASE, ...probe, agg: 'mean', interval: '1m', from: '-1h' })).ms;
    const sampler = new QuerySampler(dashboardQuery, Math.max(200, (opts.seconds * 1000) / 6));
    progress(
      `sensorhub/${scenario}: ${opts.connections} connections × ${opts.window} in flight, ${opts.seconds} s`,
    );
    // By default the load runs as a device would: a `client` user whose topic ACL is checked on every publish.
    const login =
      as === 'client'
        ? await createDeviceUser(api.baseUrl, api, ['sensors/+/temp', 'bench/+'])
        : { username: 'admin', password };
    const config = loadConfig(opts, server, scenario, login);
    const m = await measure(server, config, cpus, opts.queries ? sampler : undefined);
    const counts = await countStored(api, targets);
    // Each target holds one value per acked message of its connection(s): every field's total must reach acked.
    const byField = new Map<string, number>();
    targets.forEach((t, i) => {
      byField.set(t.field, (byField.get(t.field) ?? 0) + (counts[i] ?? 0));
    });
    const good = m.load.ackedTotal - m.load.badTotal;
    // Every malformed message must be kept as a dead letter, and nothing else may be rejected (dead letters
    // are written in batches: wait a moment for them).
    const deadLetters = await countDeadLetters(api, m.load.badTotal);
    const durable =
      byField.size === FIELDS_PER_MESSAGE[scenario] &&
      [...byField.values()].every((n) => n >= good) &&
      deadLetters === m.load.badTotal;
    report = {
      ...baseReport('sensorhub', scenario, m),
      queryP50Ms: percentile(sampler.latenciesMs, 50),
      queryMaxMs: percentile(sampler.latenciesMs, 100),
      querySamples: sampler.latenciesMs.length,
      storedValues: counts.reduce((a, b) => a + b, 0),
      deadLetters,
      durable,
      errors: [...m.load.errors, ...sampler.errors],
    };
  } finally {
    shutdownMs = await server.stop();
    progress(`sensorhub/${scenario}: stopped in ${shutdownMs.toFixed(0)} ms`);
  }
  return { ...report, shutdownMs };
}

async function benchMosquitto(opts: BenchOptions, cpus: Cpus): Promise<ScenarioReport> {
  progress('mosquitto/plain: starting /usr/sbin/mosquitto');
  const server = await startMosquitto(cpus.server);
  let report: Omit<ScenarioReport, 'shutdownMs'>;
  let shutdownMs: number;
  try {
    const m = await measure(server, loadConfig(opts, server, 'plain'), cpus);
    report = {
      ...baseReport('mosquitto', 'plain', m),
      queryP50Ms: undefined,
      queryMaxMs: undefined,
      querySamples: 0,
      storedValues: undefined,
      deadLetters: undefined,
      durable: undefined,
      errors: m.load.errors,
    };
  } finally {
    shutdownMs = await server.stop();
  }
  return { ...report, shutdownMs };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts = parseOptions(argv, process.env);
  const pinned = opts.pin && canPin(opts.cores);
  const loadBefore = loadavg()[0] ?? 0;
  const cpus: Cpus = pinned ? { server: 0, load: 1 } : { server: undefined, load: undefined };
  const reports: ScenarioReport[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  // One target failing (e.g. the server does not start) should not hide the others' figures.
  const attempt = async (label: string, run: () => Promise<ScenarioReport>) => {
    try {
      reports.push(await run());
    } catch (err) {
      failures.push(`${label} FAILED: ${err instanceof Error ? err.message : String(err)}`);
      progress(failures[failures.length - 1] as string);
    }
  };
  if (opts.targets.includes('sensorhub')) {
    if (!hasSensorhub())
      failures.push(`sensorhub not measured: ${SENSORHUB_MAIN} does not exist (npm run build)`);
    else {
      for (const scenario of opts.scenarios) {
        await attempt(`sensorhub/${scenario}`, () => benchSensorhub(opts, scenario, cpus));
      }
      // The same plain load as admin, whose publishes skip the ACL check: what the checks cost, same run.
      if (opts.scenarios.includes('plain')) {
        await attempt('sensorhub/plain (admin)', async () => ({
          ...(await benchSensorhub(opts, 'plain', cpus, 'admin')),
          target: 'sensorhub-admin',
        }));
      }
    }
  }
  const peer = opts.targets.includes('mosquitto');
  if (peer && hasMosquitto()) await attempt('mosquitto/plain', () => benchMosquitto(opts, cpus));
  else if (peer) notes.push('peer not measured: /usr/sbin/mosquitto is not installed');

  const plain = (target: string) => reports.find((r) => r.target === target && r.scenario === 'plain');
  const sensorhubPlain = plain('sensorhub');
  const mosquittoPlain = plain('mosquitto');
  const ratio =
    sensorhubPlain && mosquittoPlain ? sensorhubPlain.ackedPerSec / mosquittoPlain.ackedPerSec : undefined;
  const withBad = reports.find((r) => r.target === 'sensorhub' && r.scenario === 'plain-bad');
  // Good values per second with 1% malformed messages mixed in, against the clean plain load: a few bad
  // payloads must not stall ingestion (Telegraf users' complaint).
  const badRatio = sensorhubPlain && withBad ? withBad.valuesPerSec / sensorhubPlain.valuesPerSec : undefined;
  const adminPlain = plain('sensorhub-admin');
  const aclRatio =
    sensorhubPlain && adminPlain ? sensorhubPlain.ackedPerSec / adminPlain.ackedPerSec : undefined;
  for (const r of reports) {
    for (const e of r.errors) notes.push(`${r.target}/${r.scenario}: ${e}`);
    if (r.durable === false) {
      notes.push(
        `${r.target}/${r.scenario}: DURABILITY FAILED: stored ${r.storedValues} < acked ${r.expectedValues}`,
      );
    }
    if (r.loadgenCpu > 0.9)
      notes.push(
        `${r.target}/${r.scenario}: load generator at ${(r.loadgenCpu * 100).toFixed(0)}% CPU, may be the limit`,
      );
  }

  const loadAfter = loadavg()[0] ?? 0;
  // Other processes on the machine (builds, tests) take cores from the server and skew every figure.
  if (Math.max(loadBefore, loadAfter) > 1.5) {
    notes.push(`machine busy: load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  }
  const setup = `${opts.connections} connections × ${opts.window} QoS 1 in flight, ${opts.warmupSeconds} s warm-up + ${opts.seconds} s`;
  process.stdout.write(
    `\ningest benchmark: ${setup}; ${pinned ? 'server on cpu 0, load on cpu 1' : 'not pinned'}\n\n`,
  );
  process.stdout.write(`${formatTable(reports)}\n\n`);
  if (ratio !== undefined)
    process.stdout.write(`sensorhub/mosquitto acked msg/s (plain): ${ratio.toFixed(2)}\n`);
  if (badRatio !== undefined)
    process.stdout.write(
      `good values/s with 1 in ${BAD_EVERY} malformed / without (plain-bad vs plain): ${badRatio.toFixed(2)}\n`,
    );
  if (aclRatio !== undefined)
    process.stdout.write(`with ACL checks / without (plain, client user vs admin): ${aclRatio.toFixed(2)}\n`);
  for (const note of [...failures, ...notes]) process.stdout.write(`note: ${note}\n`);

  const ok = failures.length === 0 && reports.every((r) => r.durable !== false && r.errors.length === 0);
  const line = {
    bench: 'ingest',
    ok,
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
    connections: opts.connections,
    window: opts.window,
    pinned,
    cores: opts.cores,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    node: process.version,
    sensorhubToMosquittoPlain: ratio ?? null,
    aclToNoAclPlain: aclRatio ?? null,
    withBadToCleanPlain: badRatio ?? null,
    failures,
    results: reports,
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

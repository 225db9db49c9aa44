/**
 * Alert engine benchmark: 1,000 devices × 10 rules = 10,000 alert instances, fed 100,000 points/s (batches of
 * 5,000 points, as the write batcher commits them; 1,000 series, 100 points/s each) through
 * `AlertEngine.observe`, in-process. Two phases on one engine:
 *
 * 1. throughput: a fake clock moves 50 ms per batch and batches go in back to back, for BENCH_STREAM_SECONDS
 *    (default 30) of stream; this also fills every window to steady state. Gives the points/s one core
 *    sustains in the engine alone (points per CPU second inside observe and tick), and the memory its
 *    windows take.
 * 2. real time: the clock follows the wall clock, a batch every 50 ms and tick() every second, for
 *    BENCH_SECONDS (default 5). Gives the engine's CPU per second of stream (CPU time inside observe and
 *    tick, as a fraction of one core: the ingest CPU that alerts add; higher than phase 1's because every
 *    batch starts with cold caches, as it would in the server), batch times p50/p99 (a transition is
 *    delivered synchronously inside observe, so that is also the observe → onTransition latency bound),
 *    and transitions/s.
 *
 * Prints a table, then one JSON line (the last line of stdout).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileActions } from '../src/alerts/actions/compile.js';
import { ActionRunner } from '../src/alerts/actions/runner.js';
import { AlertEngine } from '../src/alerts/engine.js';
import { type AlertRuleInput, alertRuleSchema, compileAlertRule } from '../src/alerts/model.js';
import type { Clock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { MetricsRegistry } from '../src/core/metrics.js';
import type { Point } from '../src/core/point.js';
import { LatencyHistogram } from './lib/histogram.js';
import { roundNumbers } from './lib/report.js';

const DEVICES = 1_000;
const POINTS_PER_SECOND = 100_000;
const BATCH = 5_000;
const BATCH_MICROS = (BATCH / POINTS_PER_SECOND) * 1_000_000; // 50 ms of stream
const POINTS_PER_DEVICE = BATCH / DEVICES;
/** The budget: ≤ 15% of ingest CPU; ingest takes ~1.3 cores at 100k points/s. */
const TARGET_CORES = 0.15 * 1.3;

const env = (field: string) => ({ measurement: 'env', field });

/** Ten rules over five fields of one measurement, every one grouped by device: 10,000 instances. */
const RULES: readonly AlertRuleInput[] = [
  {
    name: 'temp-high',
    source: env('temperature'),
    reducer: 'avg',
    window: '10s',
    condition: { op: '>', threshold: 30 },
    recovery: 29,
  },
  {
    name: 'temp-low',
    source: env('temperature'),
    reducer: 'min',
    window: '30s',
    condition: { op: '<', threshold: 9 },
  },
  {
    name: 'temp-spike',
    source: env('temperature'),
    reducer: 'max',
    window: '10s',
    condition: { op: '>', threshold: 31 },
    for: '5s',
  },
  {
    name: 'humidity-high',
    source: env('humidity'),
    reducer: 'avg',
    window: '30s',
    condition: { op: '>', threshold: 70 },
    keepFiringFor: '10s',
  },
  {
    name: 'humidity-range',
    source: env('humidity'),
    reducer: 'last',
    window: '10s',
    condition: { op: 'outside', low: 30, high: 75 },
  },
  {
    name: 'co2-high',
    source: env('co2'),
    reducer: 'avg',
    window: '10s',
    condition: { op: '>', threshold: 1000 },
    recovery: 900,
    for: '10s',
  },
  {
    name: 'co2-peak',
    source: env('co2'),
    reducer: 'max',
    window: '1m',
    condition: { op: '>', threshold: 1200 },
  },
  {
    name: 'battery-low',
    source: env('battery'),
    reducer: 'last',
    window: '10s',
    condition: { op: '<', threshold: 3.4 },
    recovery: 3.5,
    noData: { after: '30s' },
  },
  {
    name: 'rssi-weak',
    source: env('rssi'),
    reducer: 'avg',
    window: '10s',
    condition: { op: '<', threshold: -85 },
  },
  {
    name: 'msg-rate',
    source: env('temperature'),
    reducer: 'count',
    window: '10s',
    condition: { op: '<', threshold: 900 },
  },
];

function compileRules() {
  return RULES.map((r) => compileAlertRule(alertRuleSchema.parse({ groupBy: ['device'], ...r })));
}

const DEVICE_NAMES = Array.from({ length: DEVICES }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
const DEVICE_TAGS = DEVICE_NAMES.map((device) => Object.freeze({ device }));
/** Each device's own period (20–60 s), so values cross their thresholds at different times. */
const PERIODS = DEVICE_NAMES.map((_, i) => 20 + ((i * 7919) % 41));

/** One batch ending at `end` (µs): 5 points per device, 10 ms apart, with slowly oscillating fields. */
function makeBatch(end: number): Point[] {
  const points: Point[] = new Array(BATCH);
  let n = 0;
  for (let k = POINTS_PER_DEVICE - 1; k >= 0; k--) {
    const time = end - k * (BATCH_MICROS / POINTS_PER_DEVICE);
    const seconds = time / 1_000_000;
    for (let d = 0; d < DEVICES; d++) {
      const phase = Math.sin((2 * Math.PI * seconds) / (PERIODS[d] as number) + d);
      const noise = ((d * 31 + n) % 17) / 17 - 0.5;
      points[n++] = {
        database: 'sensorhub',
        measurement: 'env',
        tags: DEVICE_TAGS[d] as Readonly<Record<string, string>>,
        fields: {
          temperature: 20 + 12 * phase + noise,
          humidity: 55 + 22 * phase + noise * 4,
          co2: 800 + 300 * phase + noise * 40,
          battery: 3.6 + 0.25 * phase,
          rssi: -75 - 12 * phase + noise * 6,
        },
        time,
      };
    }
  }
  return points;
}

/** A full GC when the runtime allows it (flag set at run time), so heap numbers are live data only. */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Without gc the heap figure includes garbage; it is still an upper bound.
  }
}

/** JS heap and ArrayBuffer memory (the windows' Float64Arrays live outside the JS heap), MiB. */
function memoryMiB(): { heap: number; buffers: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, buffers: m.arrayBuffers / 2 ** 20 };
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface ThroughputResult {
  readonly streamSeconds: number;
  readonly points: number;
  /** CPU time inside observe and tick (CPU, not wall: a busy machine's preemptions do not count). */
  readonly cpuSeconds: number;
  readonly pointsPerSec: number;
  readonly transitions: number;
}

interface RealtimeResult {
  readonly seconds: number;
  readonly points: number;
  readonly batches: number;
  /** CPU time inside observe and tick per wall second (process CPU: includes GC threads' work). */
  readonly engineCores: number;
  /** Wall time inside observe and tick per wall second (includes time the OS gave other processes). */
  readonly engineWallCores: number;
  readonly processCores: number;
  readonly batchP50Ms: number;
  readonly batchP99Ms: number;
  readonly batchMaxMs: number;
  readonly tickP50Ms: number;
  readonly tickMaxMs: number;
  readonly transitions: number;
  readonly transitionsPerSec: number;
  readonly lateBatches: number;
  /** Transition (its time) → its MQTT action published, through the real action runner. */
  readonly actionLatencyP50Ms: number;
  readonly actionLatencyP99Ms: number;
  readonly actionLatencyMaxMs: number;
  readonly actions: number;
}

async function main(): Promise<number> {
  const seconds = Number(process.env.BENCH_SECONDS ?? '5');
  const streamSeconds = Number(process.env.BENCH_STREAM_SECONDS ?? '30');
  if (!(seconds >= 1) || !(streamSeconds >= 1))
    throw new Error('BENCH_SECONDS and BENCH_STREAM_SECONDS must be numbers ≥ 1');

  let now = 1_700_000_000_000_000;
  let transitions = 0;
  // Phase 2 runs every transition's action (an MQTT publish, recorded in-process) through the real action
  // runner: its queueing behind the engine's batches is the transition → action latency.
  let runActions = false;
  // The time a published action sees: the stream clock, which follows the wall clock in phase 2.
  let currentMicros = () => now;
  const actionLatency = new LatencyHistogram();
  const runner = new ActionRunner({
    publish: async (_topic, payload) => {
      actionLatency.record(currentMicros() / 1000 - Date.parse(payload.toString()));
    },
    logger: silentLogger,
    metrics: new MetricsRegistry(),
    clock: { nowMicros: () => now, nowMs: () => now / 1000 } as Clock,
  });
  const actions = compileActions(
    [
      {
        type: 'mqtt',
        on: ['firing', 'normal'],
        topic: 'bench/{{rule}}',
        payload: '{{time}}',
        qos: 1,
        retain: false,
      },
    ],
    'bench',
  );
  const engine = new AlertEngine({
    clock: { nowMicros: () => now },
    logger: silentLogger,
    onTransition: (t) => {
      transitions++;
      if (runActions) runner.run(actions, t);
    },
  });
  collectGarbage();
  const before = memoryMiB();
  engine.setRules(compileRules());

  // Phase 1: as fast as it goes, on a fake clock.
  progress(`throughput: ${streamSeconds} s of stream at ${POINTS_PER_SECOND} points/s, back to back`);
  const batches1 = Math.round((streamSeconds * 1_000_000) / BATCH_MICROS);
  let busyCpuMicros = 0;
  for (let b = 0; b < batches1; b++) {
    now += BATCH_MICROS;
    const batch = makeBatch(now);
    const cpu = process.cpuUsage();
    engine.observe(batch);
    if (b % 20 === 19) engine.tick(); // once per stream second
    busyCpuMicros += cpuSince(cpu);
  }
  const throughput: ThroughputResult = {
    streamSeconds,
    points: batches1 * BATCH,
    cpuSeconds: busyCpuMicros / 1e6,
    pointsPerSec: (batches1 * BATCH) / (busyCpuMicros / 1e6),
    transitions,
  };
  collectGarbage();
  const after = memoryMiB();
  const engineMiB = after.heap + after.buffers - before.heap - before.buffers;
  const stats = engine.stats();
  const windowPoints = engine.instances().reduce((sum, i) => sum + i.windowPoints, 0);

  // Phase 2: real time. The fake clock now follows the wall clock from where phase 1 left it.
  progress(`real time: ${seconds} s, a ${BATCH}-point batch every ${BATCH_MICROS / 1000} ms, tick every 1 s`);
  const offset = now - performance.now() * 1000;
  const clockNow = () => offset + performance.now() * 1000;
  currentMicros = clockNow;
  const batchTimes = new LatencyHistogram();
  const tickTimes = new LatencyHistogram();
  const transitionsBefore = transitions;
  runActions = true;
  let engineMs = 0;
  let engineCpuMicros = 0;
  let batches2 = 0;
  let lateBatches = 0;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const wallEnd = wallStart + seconds * 1000;
  let nextTick = wallStart + 1000;
  while (true) {
    const due = wallStart + (batches2 + 1) * (BATCH_MICROS / 1000);
    if (due > wallEnd) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else lateBatches++;
    now = clockNow();
    const batch = makeBatch(now);
    let cpu = process.cpuUsage();
    let started = performance.now();
    engine.observe(batch);
    let took = performance.now() - started;
    engineCpuMicros += cpuSince(cpu);
    batchTimes.record(took);
    engineMs += took;
    batches2++;
    if (performance.now() >= nextTick) {
      nextTick += 1000;
      now = clockNow();
      cpu = process.cpuUsage();
      started = performance.now();
      engine.tick();
      took = performance.now() - started;
      engineCpuMicros += cpuSince(cpu);
      tickTimes.record(took);
      engineMs += took;
    }
  }
  runActions = false;
  await runner.idle();
  const actionSummary = actionLatency.summary();
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  const batchSummary = batchTimes.summary();
  const tickSummary = tickTimes.summary();
  const realtime: RealtimeResult = {
    seconds: wallMs / 1000,
    points: batches2 * BATCH,
    batches: batches2,
    engineCores: engineCpuMicros / 1000 / wallMs,
    engineWallCores: engineMs / wallMs,
    processCores: (cpu.user + cpu.system) / 1000 / wallMs,
    batchP50Ms: batchSummary.p50Ms,
    batchP99Ms: batchSummary.p99Ms,
    batchMaxMs: batchSummary.maxMs,
    tickP50Ms: tickSummary.p50Ms,
    tickMaxMs: tickSummary.maxMs,
    transitions: transitions - transitionsBefore,
    transitionsPerSec: (transitions - transitionsBefore) / (wallMs / 1000),
    lateBatches,
    actionLatencyP50Ms: actionSummary.p50Ms,
    actionLatencyP99Ms: actionSummary.p99Ms,
    actionLatencyMaxMs: actionSummary.maxMs,
    actions: actionSummary.count,
  };
  const cpuPerStreamSecond = POINTS_PER_SECOND / throughput.pointsPerSec;
  const met = realtime.engineCores <= TARGET_CORES;

  const rows: Array<[string, string]> = [
    ['instances', `${stats.instances.toLocaleString('en-US')} (${DEVICES} devices × ${RULES.length} rules)`],
    [
      'throughput alone',
      `${fmt(throughput.pointsPerSec)} points/s (${fmt(throughput.pointsPerSec * RULES.length)} rule updates/s)`,
    ],
    ['CPU per stream second (from throughput)', `${(cpuPerStreamSecond * 100).toFixed(1)}% of a core`],
    [
      'CPU at 100k points/s, real time',
      `${(realtime.engineCores * 100).toFixed(1)}% of a core: CPU in observe+tick (wall ${(realtime.engineWallCores * 100).toFixed(1)}%; whole process with point generation ${(realtime.processCores * 100).toFixed(1)}%)`,
    ],
    [
      'batch (5,000 points) p50 / p99 / max',
      `${realtime.batchP50Ms.toFixed(2)} / ${realtime.batchP99Ms.toFixed(2)} / ${realtime.batchMaxMs.toFixed(2)} ms`,
    ],
    [
      'tick (10,000 instances) p50 / max',
      `${realtime.tickP50Ms.toFixed(2)} / ${realtime.tickMaxMs.toFixed(2)} ms`,
    ],
    [
      'transitions',
      `${fmt(realtime.transitionsPerSec)}/s real time; ${fmt(throughput.transitions / streamSeconds)}/stream s in phase 1`,
    ],
    [
      'transition → MQTT action p50 / p99 / max',
      `${realtime.actionLatencyP50Ms.toFixed(1)} / ${realtime.actionLatencyP99Ms.toFixed(1)} / ${realtime.actionLatencyMaxMs.toFixed(1)} ms (${fmt(realtime.actions)} actions; target p99 ≤ 100 ms)`,
    ],
    [
      'memory (heap + window buffers)',
      `${engineMiB.toFixed(0)} MiB for ${fmt(windowPoints)} window entries (JS heap ${after.heap.toFixed(0)} MiB, ArrayBuffers ${after.buffers.toFixed(0)} MiB)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\nalert engine: ${DEVICES} devices × ${RULES.length} rules, ${fmt(POINTS_PER_SECOND)} points/s in ${BATCH}-point batches (Node ${process.version})\n\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  process.stdout.write(
    `\ntarget ≤ ${(TARGET_CORES * 100).toFixed(1)}% of a core (15% of ingest's ~1.3 cores at 100k points/s): ${met ? 'met' : 'NOT met'}\n`,
  );
  if (realtime.lateBatches > realtime.batches / 10)
    process.stdout.write(`note: ${realtime.lateBatches} batches started late: the machine is busy\n`);
  process.stdout.write('\n');
  process.stdout.write(
    `${JSON.stringify(
      roundNumbers({
        bench: 'alerts',
        node: process.version,
        devices: DEVICES,
        rules: RULES.length,
        instances: stats.instances,
        pointsPerSecond: POINTS_PER_SECOND,
        batchPoints: BATCH,
        targetCores: TARGET_CORES,
        targetMet: met,
        throughput,
        cpuPerStreamSecond,
        realtime,
        engineMiB,
        heapMiB: after.heap,
        arrayBuffersMiB: after.buffers,
        windowEntries: windowPoints,
        engine: stats,
      }),
    )}\n`,
  );
  return 0;
}

/** CPU µs (user + system) of this process since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Web app benchmark, in a real browser (Debian's Chromium through playwright-core, headless) against sensorhub
 * started as a user starts it (`sensorhub start`, the built CLI, fresh data dir, retention INF), with dashboards
 * provisioned from files. Issue 6's three targets:
 *
 * 1. **100k points**: one time-series panel over one series of 100,000 raw points. Render = the panel's data
 *    arrived (`panel-data:<id>` mark, after the fetch and JSON parse) → uPlot's first draw
 *    (`panel-drawn:<id>`); the fetch (request → last byte, from Resource Timing) is reported separately.
 *    BENCH_RUNS (default 7) page loads after one warm-up; p50/p95. Target render ≤ 200 ms.
 * 2. **12-panel dashboard over 24 h** of 50 series at 10 s (432,000 points): time series (some grouped by
 *    device), stats, gauges, a table and a bar gauge. Navigation start → the last panel drawn; BENCH_RUNS cold
 *    loads (a fresh browser context: empty HTTP cache) and as many warm reloads; p50. Target ≤ 1.5 s.
 * 3. **Live**: a dashboard in live mode over 50 series (time series grouped by device, bar gauge, stat) while
 *    this process publishes 50 devices × 1 Hz over MQTT (mqtt.js, spread over the second), for
 *    BENCH_LIVE_SECONDS (default 600). Every 10 s: the page's main-thread CPU (CDP Performance.getMetrics
 *    TaskDuration delta per wall second) and JS heap; every 60 s and at the end the heap after a forced GC.
 *    Targets: average CPU < 20% of one core; post-GC heap flat (least-squares slope ≤ 2 MiB per 10 min).
 *    The chart's point count and newest time are read from the panel, so the run fails if nothing arrives.
 *
 * Prints a table (metric, value, target, pass/fail), then one JSON line (the last line of stdout).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { percentile, roundNumbers } from './lib/report.js';
import { startSensorhub } from './lib/servers.js';

const DB = 'sensorhub';
const RUNS = Number(process.env.BENCH_RUNS ?? '7');
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? '600');
const SAMPLE_MS = 10_000;
/** Live frames keep a minute before the window: the page holds its steady-state data after ~60 s. */
const LIVE_WARMUP_SECONDS = Number(process.env.BENCH_LIVE_WARMUP_SECONDS ?? '70');
/** A file to write a CPU profile of the page during the live phase to (open it in Chrome DevTools). */
const LIVE_PROFILE = process.env.BENCH_LIVE_PROFILE;
const GC_EVERY_MS = 60_000;
const VIEWPORT = { width: 1280, height: 800 };

const TARGET_RENDER_MS = 200;
const TARGET_DASHBOARD_MS = 1500;
const TARGET_LIVE_CPU = 0.2;
const TARGET_HEAP_SLOPE_MIB = 2;

const BIG_POINTS = 100_000;
const BIG_STEP_MS = 800; // 100,000 points over 22.2 h: all inside now-24h
const DAY_MS = 86_400_000;
const DASH_STEP_MS = 10_000;
const TEMP_DEVICES = 40;
const HUM_DEVICES = 10;
const LIVE_DEVICES = 50;
const LIVE_WINDOW = '10m';
const LIVE_WINDOW_MS = 600_000;

const pad = (i: number) => String(i).padStart(2, '0');

const BIG_DASHBOARD = `
uid: bench-100k
title: 100k points
database: ${DB}
time: { from: now-24h, to: now }
panels:
  - id: big
    type: timeseries
    title: One series, 100,000 raw points
    gridPos: { x: 0, y: 0, w: 24, h: 14 }
    queries:
      - influxql: SELECT "value" FROM "big" WHERE $timeFilter
`;

/** Twelve panels of the usual kinds over 24 h; several read all 40 temperature series. */
const DAY_DASHBOARD = `
uid: bench-24h
title: 12 panels over 24 h
database: ${DB}
time: { from: now-24h, to: now }
panels:
  - id: temp-all
    type: timeseries
    title: Temperature, every device
    gridPos: { x: 0, y: 0, w: 12, h: 8 }
    queries:
      - { measurement: temperature, field: value, aggregate: mean, groupBy: [device] }
  - id: hum-all
    type: timeseries
    title: Humidity, every device
    gridPos: { x: 12, y: 0, w: 12, h: 8 }
    queries:
      - { measurement: humidity, field: value, aggregate: mean, groupBy: [device] }
  - id: temp-some
    type: timeseries
    title: Temperature, devices 0–9
    gridPos: { x: 0, y: 8, w: 8, h: 8 }
    queries:
      - { measurement: temperature, field: value, aggregate: mean, groupBy: [device], tags: { device: '/^d0[0-9]$/' } }
  - id: temp-envelope
    type: timeseries
    title: Temperature envelope
    gridPos: { x: 8, y: 8, w: 8, h: 8 }
    queries:
      - { measurement: temperature, field: value, aggregate: min, alias: min }
      - { measurement: temperature, field: value, aggregate: mean, alias: mean }
      - { measurement: temperature, field: value, aggregate: max, alias: max }
    options: { thresholds: [{ value: null, color: green }, { value: 30, color: red }], showThresholds: true }
  - id: temp-influxql
    type: timeseries
    title: Hourly max (InfluxQL)
    gridPos: { x: 16, y: 8, w: 8, h: 8 }
    queries:
      - influxql: SELECT max("value") FROM "temperature" WHERE $timeFilter GROUP BY time(1h) fill(none)
    options: { drawStyle: bars }
  - id: temp-last
    type: stat
    title: Temperature now
    gridPos: { x: 0, y: 16, w: 4, h: 4 }
    queries:
      - { measurement: temperature, field: value, aggregate: last }
    options: { decimals: 1, unit: °C, thresholds: [{ value: null, color: green }, { value: 30, color: red }] }
  - id: hum-last
    type: stat
    title: Humidity per device
    gridPos: { x: 4, y: 16, w: 12, h: 4 }
    queries:
      - { measurement: humidity, field: value, aggregate: last, groupBy: [device] }
    options: { decimals: 0, unit: '%' }
  - id: temp-mean
    type: stat
    title: Mean temperature (24 h)
    gridPos: { x: 16, y: 16, w: 8, h: 4 }
    queries:
      - { measurement: temperature, field: value, aggregate: mean, interval: 1d }
  - id: hum-gauge
    type: gauge
    title: Humidity, devices 0–3
    gridPos: { x: 0, y: 20, w: 12, h: 6 }
    queries:
      - { measurement: humidity, field: value, aggregate: last, groupBy: [device], tags: { device: '/^h0[0-3]$/' } }
    options: { min: 0, max: 100, unit: '%', thresholds: [{ value: null, color: green }, { value: 70, color: orange }] }
  - id: temp-gauge
    type: gauge
    title: Temperature max (24 h)
    gridPos: { x: 12, y: 20, w: 12, h: 6 }
    queries:
      - { measurement: temperature, field: value, aggregate: max, interval: 1d }
    options: { min: 0, max: 40 }
  - id: temp-table
    type: table
    title: Latest per device
    gridPos: { x: 0, y: 26, w: 12, h: 10 }
    queries:
      - influxql: SELECT last("value") FROM "temperature" WHERE $timeFilter GROUP BY "device"
  - id: temp-bars
    type: bar
    title: Temperature per device
    gridPos: { x: 12, y: 26, w: 12, h: 10 }
    queries:
      - { measurement: temperature, field: value, aggregate: last, groupBy: [device] }
`;

const LIVE_DASHBOARD = `
uid: bench-live
title: Live, 50 devices
database: ${DB}
time: { from: now-${LIVE_WINDOW}, to: now }
refresh: live
panels:
  - id: power
    type: timeseries
    title: Power, every device
    gridPos: { x: 0, y: 0, w: 24, h: 12 }
    queries:
      - { measurement: power, field: value, aggregate: ${process.env.BENCH_LIVE_AGGREGATE ?? 'mean'}, groupBy: [device] }
  - id: power-bars
    type: bar
    title: Power now
    gridPos: { x: 0, y: 12, w: 16, h: 14 }
    queries:
      - { measurement: power, field: value, aggregate: last, groupBy: [device] }
  - id: power-mean
    type: stat
    title: Mean power
    gridPos: { x: 16, y: 12, w: 8, h: 4 }
    queries:
      - { measurement: power, field: value, aggregate: mean }
`;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function chromiumPath(): string {
  const found = process.env.SENSORHUB_CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (found === undefined)
    throw new Error(`no Chromium at ${CHROMIUM_PATHS.join(' or ')}: apt-get install chromium`);
  return found;
}

interface Server {
  readonly base: string;
  readonly mqttUrl: string;
  readonly auth: string;
  readonly password: string;
}

async function write(s: Server, lines: string[]): Promise<void> {
  const chunk = 25_000;
  for (let i = 0; i < lines.length; i += chunk) {
    const res = await fetch(`${s.base}/write?db=${DB}&precision=ms`, {
      method: 'POST',
      body: lines.slice(i, i + chunk).join('\n'),
      headers: { authorization: s.auth },
    });
    if (res.status !== 204) throw new Error(`/write: ${res.status} ${await res.text()}`);
  }
}

async function loadData(s: Server): Promise<{ points: number }> {
  const now = Date.now();
  const lines: string[] = [];
  const t0 = now - (BIG_POINTS - 1) * BIG_STEP_MS - 1000;
  for (let i = 0; i < BIG_POINTS; i++)
    lines.push(
      `big value=${(Math.sin(i / 500) * 50 + Math.sin(i / 7) * 5).toFixed(3)} ${t0 + i * BIG_STEP_MS}`,
    );
  const steps = DAY_MS / DASH_STEP_MS;
  const d0 = now - DAY_MS + DASH_STEP_MS;
  for (let d = 0; d < TEMP_DEVICES; d++)
    for (let i = 0; i < steps; i++)
      lines.push(
        `temperature,device=d${pad(d)} value=${(20 + 6 * Math.sin(i / 800 + d) + (((i * 7 + d) % 11) - 5) / 10).toFixed(2)} ${d0 + i * DASH_STEP_MS}`,
      );
  for (let d = 0; d < HUM_DEVICES; d++)
    for (let i = 0; i < steps; i++)
      lines.push(
        `humidity,device=h${pad(d)} value=${(55 + 15 * Math.sin(i / 600 + d)).toFixed(1)} ${d0 + i * DASH_STEP_MS}`,
      );
  // The live window starts full, so the page holds as many points at the start as at the end.
  for (let d = 0; d < LIVE_DEVICES; d++)
    for (let t = now - LIVE_WINDOW_MS; t < now; t += 1000)
      lines.push(`power,device=lv${pad(d)} value=${livePower(d, t).toFixed(2)} ${t + d * 20}`);
  await write(s, lines);
  return { points: lines.length };
}

const livePower = (d: number, t: number) => 500 + 300 * Math.sin(t / 60_000 + d) + (d % 7) * 10;

/** Logs in through the API and hands the session cookie to every context: loads start at the dashboard. */
async function sessionCookie(s: Server): Promise<{ name: string; value: string }> {
  const res = await fetch(`${s.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: s.password }),
  });
  const set = res.headers.get('set-cookie');
  const m = set ? /^([^=]+)=([^;]*)/.exec(set) : null;
  if (!res.ok || !m) throw new Error(`login: ${res.status} ${await res.text()}`);
  return { name: m[1] ?? '', value: m[2] ?? '' };
}

async function newContext(browser: Browser, s: Server, cookie: { name: string; value: string }) {
  const ctx = await browser.newContext({ viewport: VIEWPORT });
  await ctx.addCookies([{ ...cookie, url: s.base }]);
  return ctx;
}

function watchErrors(page: Page, errors: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
}

/** The little of the DOM the page functions use (this file compiles without the DOM library). */
interface PageGlobals {
  readonly document: {
    querySelectorAll(selector: string): { readonly length: number };
    querySelector(selector: string): { readonly dataset: Record<string, string | undefined> } | null;
  };
}

interface ResourceEntry {
  readonly name: string;
  readonly startTime: number;
  readonly responseEnd: number;
}

interface Marks {
  readonly data: Record<string, number>;
  readonly drawn: Record<string, number>;
  /** /query requests: start and response end, ms since navigation. */
  readonly queries: Array<{ start: number; end: number }>;
  readonly errors: number;
}

/** Waits until every panel has drawn, then reads the User Timing marks (ms since navigation start). */
async function panelMarks(page: Page, panels: number): Promise<Marks> {
  await page.waitForFunction(
    (n) => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('panel-drawn:')).length >= n,
    panels,
    { timeout: 60_000, polling: 50 },
  );
  return page.evaluate(() => {
    const data: Record<string, number> = {};
    const drawn: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) {
      const [kind, id] = m.name.split(':');
      if (kind === 'panel-data' && id) data[id] = m.startTime;
      if (kind === 'panel-drawn' && id) drawn[id] = m.startTime;
    }
    const doc = (globalThis as unknown as PageGlobals).document;
    const queries = (performance.getEntriesByType('resource') as unknown as ResourceEntry[])
      .filter((e) => new URL(e.name).pathname === '/query' && e.name.includes('q=SELECT'))
      .map((e) => ({ start: e.startTime, end: e.responseEnd }));
    return { data, drawn, queries, errors: doc.querySelectorAll('.panel-error').length };
  });
}

interface BigResult {
  renderMs: number[];
  fetchMs: number[];
  dataMs: number[];
  points: number;
}

async function benchBig(
  browser: Browser,
  s: Server,
  cookie: { name: string; value: string },
  errors: string[],
) {
  const ctx = await newContext(browser, s, cookie);
  const page = await ctx.newPage();
  watchErrors(page, errors);
  const out: BigResult = { renderMs: [], fetchMs: [], dataMs: [], points: 0 };
  for (let run = 0; run <= RUNS; run++) {
    await page.goto(`${s.base}/d/bench-100k`);
    const m = await panelMarks(page, 1);
    const points = Number(await page.locator('.ts-host').first().getAttribute('data-points'));
    if (points !== BIG_POINTS) throw new Error(`100k panel drew ${points} points, expected ${BIG_POINTS}`);
    out.points = points;
    if (run === 0) continue; // warm-up: code compiled, server caches filled
    out.renderMs.push((m.drawn.big ?? Number.NaN) - (m.data.big ?? Number.NaN));
    out.dataMs.push(m.data.big ?? Number.NaN);
    const q = m.queries[0];
    out.fetchMs.push(q ? q.end - q.start : Number.NaN);
    if (process.env.BENCH_DEBUG) progress(JSON.stringify(m));
  }
  await ctx.close();
  return out;
}

interface DashResult {
  coldMs: number[];
  warmMs: number[];
  /** Per load: navigation → last panel's data arrived. */
  coldDataMs: number[];
  /** Per load: navigation → the first panel query sent (the app loaded, logged in, read the dashboard). */
  firstQueryMs: number[];
  slowestQueryMs: number[];
  slowestPanel: string;
}

async function benchDashboard(
  browser: Browser,
  s: Server,
  cookie: { name: string; value: string },
  errors: string[],
): Promise<DashResult> {
  const out: DashResult = {
    coldMs: [],
    warmMs: [],
    coldDataMs: [],
    firstQueryMs: [],
    slowestQueryMs: [],
    slowestPanel: '',
  };
  const url = `${s.base}/d/bench-24h`;
  const check = (m: Marks) => {
    if (m.errors > 0) throw new Error(`12-panel dashboard: ${m.errors} panel errors`);
    const drawn = Object.entries(m.drawn);
    const last = drawn.reduce((a, b) => (b[1] > a[1] ? b : a));
    out.slowestPanel = last[0];
    return last[1];
  };
  // One warm-up load (server-side caches, rollups of the freshly written day).
  {
    const ctx = await newContext(browser, s, cookie);
    const page = await ctx.newPage();
    await page.goto(url);
    await panelMarks(page, 12);
    await ctx.close();
  }
  for (let run = 0; run < RUNS; run++) {
    const ctx: BrowserContext = await newContext(browser, s, cookie);
    const page = await ctx.newPage();
    watchErrors(page, errors);
    await page.goto(url);
    const m = await panelMarks(page, 12);
    if (process.env.BENCH_DEBUG) progress(JSON.stringify(m));
    out.coldMs.push(check(m));
    out.coldDataMs.push(Math.max(...Object.values(m.data)));
    out.slowestQueryMs.push(Math.max(...m.queries.map((q) => q.end - q.start)));
    out.firstQueryMs.push(Math.min(...m.queries.map((q) => q.start)));
    await page.reload();
    out.warmMs.push(check(await panelMarks(page, 12)));
    await ctx.close();
  }
  return out;
}

interface LiveSample {
  readonly atS: number;
  readonly cpu: number;
  readonly heapMiB: number;
  readonly gcHeapMiB?: number;
  readonly points: number;
  readonly series: number;
  readonly lagS: number;
}

interface LiveResult {
  seconds: number;
  cpuClock: string;
  published: number;
  samples: LiveSample[];
  avgCpu: number;
  maxCpu: number;
  /** All of Chromium (every process: browser, renderer, GPU/raster), cores. */
  chromiumCpu: number | undefined;
  heapStartMiB: number;
  heapEndMiB: number;
  heapSlopeMiBPer10Min: number;
  pointsStart: number;
  pointsEnd: number;
  maxLagS: number;
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = (await cdp.send('Performance.getMetrics')) as {
    metrics: Array<{ name: string; value: number }>;
  };
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

async function chromiumCpuSeconds(browser: Browser): Promise<number | undefined> {
  try {
    const cdp = await browser.newBrowserCDPSession();
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ cpuTime: number }> };
    await cdp.detach();
    return info.processInfo.reduce((sum, p) => sum + p.cpuTime, 0);
  } catch {
    return undefined;
  }
}

async function benchLive(
  browser: Browser,
  s: Server,
  cookie: { name: string; value: string },
  errors: string[],
) {
  const ctx = await newContext(browser, s, cookie);
  const page = await ctx.newPage();
  watchErrors(page, errors);
  await page.goto(`${s.base}/d/bench-live`);
  await panelMarks(page, 3);
  const client = await mqtt.connectAsync(s.mqttUrl, { username: 'admin', password: s.password });
  let published = 0;
  // 50 devices at 1 Hz, each at its own phase: five publishes every 100 ms, like unsynchronised devices.
  let slot = 0;
  const timer = setInterval(() => {
    const t = Date.now();
    for (let k = 0; k < LIVE_DEVICES / 10; k++) {
      const d = (slot * (LIVE_DEVICES / 10) + k) % LIVE_DEVICES;
      client.publish(`sensors/lv${pad(d)}/power`, livePower(d, t).toFixed(2), { qos: 0 });
      published++;
    }
    slot = (slot + 1) % 10;
  }, 100);
  const cdp = await ctx.newCDPSession(page);
  // Thread CPU time rather than wall time where Chromium supports it: a busy machine's waits do not count.
  const cpuClock = await cdp.send('Performance.enable', { timeDomain: 'threadTicks' } as never).then(
    () => 'thread CPU time',
    async () => {
      await cdp.send('Performance.enable');
      return 'task wall time';
    },
  );
  const read = async () =>
    page.evaluate(() => {
      const doc = (globalThis as unknown as PageGlobals).document;
      const host = doc.querySelector('[data-panel-id="power"] .ts-host');
      return {
        points: Number(host?.dataset.points ?? 0),
        series: Number(host?.dataset.series ?? 0),
        lastX: Number(host?.dataset.lastX ?? 0),
      };
    });
  const gcHeap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await metrics(cdp)).JSHeapUsedSize ?? 0;
  };

  progress(`live: ${LIVE_WARMUP_SECONDS} s warm-up, then ${LIVE_SECONDS} s at ${LIVE_DEVICES} series × 1 Hz`);
  await sleep(LIVE_WARMUP_SECONDS * 1000);
  if (LIVE_PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const start = performance.now();
  const heapStart = await gcHeap();
  const startInfo = await read();
  let base = await metrics(cdp);
  let baseWall = performance.now();
  const chromiumStart = await chromiumCpuSeconds(browser);
  const samples: LiveSample[] = [];
  const gcPoints: Array<[number, number]> = [[0, heapStart]];
  let lastGc = start;
  while (performance.now() - start < LIVE_SECONDS * 1000 - 1) {
    await sleep(Math.min(SAMPLE_MS, LIVE_SECONDS * 1000 - (performance.now() - start)));
    const m = await metrics(cdp);
    const wall = performance.now();
    const cpu = ((m.TaskDuration ?? 0) - (base.TaskDuration ?? 0)) / ((wall - baseWall) / 1000);
    const info = await read();
    const atS = (wall - start) / 1000;
    let gc: number | undefined;
    if (wall - lastGc >= GC_EVERY_MS || wall - start >= LIVE_SECONDS * 1000 - 1) {
      gc = await gcHeap();
      gcPoints.push([atS, gc]);
      lastGc = wall;
    }
    samples.push({
      atS,
      cpu,
      heapMiB: (m.JSHeapUsedSize ?? 0) / 2 ** 20,
      ...(gc === undefined ? {} : { gcHeapMiB: gc / 2 ** 20 }),
      points: info.points,
      series: info.series,
      lagS: Date.now() / 1000 - info.lastX,
    });
    progress(
      `live ${atS.toFixed(0)} s: CPU ${(cpu * 100).toFixed(1)}%, heap ${((m.JSHeapUsedSize ?? 0) / 2 ** 20).toFixed(1)} MiB${gc === undefined ? '' : ` (after GC ${(gc / 2 ** 20).toFixed(1)})`}, ${info.series} series × ${info.points} x values, newest ${(Date.now() / 1000 - info.lastX).toFixed(1)} s ago`,
    );
    // The GC above is the benchmark's work, not the page's: the next interval starts after it.
    base = gc === undefined ? m : await metrics(cdp);
    baseWall = gc === undefined ? wall : performance.now();
  }
  const chromiumEnd = await chromiumCpuSeconds(browser);
  if (LIVE_PROFILE) {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(LIVE_PROFILE, JSON.stringify(profile));
    progress(`live CPU profile: ${LIVE_PROFILE}`);
  }
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  await client.endAsync();
  await ctx.close();
  const endInfo = samples[samples.length - 1];
  const cpus = samples.map((x) => x.cpu);
  return {
    seconds,
    cpuClock,
    published,
    samples,
    avgCpu: cpus.reduce((a, b) => a + b, 0) / Math.max(1, cpus.length),
    maxCpu: Math.max(...cpus),
    chromiumCpu:
      chromiumStart !== undefined && chromiumEnd !== undefined
        ? (chromiumEnd - chromiumStart) / seconds
        : undefined,
    heapStartMiB: heapStart / 2 ** 20,
    heapEndMiB: (gcPoints[gcPoints.length - 1]?.[1] ?? 0) / 2 ** 20,
    heapSlopeMiBPer10Min: (slope(gcPoints) * 600) / 2 ** 20,
    pointsStart: startInfo.points,
    pointsEnd: endInfo?.points ?? 0,
    maxLagS: Math.max(...samples.map((x) => x.lagS)),
  } satisfies LiveResult;
}

/** Least-squares slope of y over x. */
function slope(pts: ReadonlyArray<[number, number]>): number {
  if (pts.length < 2) return 0;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const p = (values: readonly number[], q: number) => percentile(values, q) ?? Number.NaN;
const range = (values: readonly number[]) =>
  `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;

async function main(): Promise<number> {
  if (!(RUNS >= 1) || !(LIVE_SECONDS >= 10)) throw new Error('BENCH_RUNS ≥ 1 and BENCH_LIVE_SECONDS ≥ 10');
  const password = randomBytes(12).toString('base64url');
  const dashDir = await mkdtemp(join(tmpdir(), 'sensorhub-bench-dash-'));
  await writeFile(join(dashDir, 'big.yaml'), BIG_DASHBOARD);
  await writeFile(join(dashDir, 'day.yaml'), DAY_DASHBOARD);
  await writeFile(join(dashDir, 'live.yaml'), LIVE_DASHBOARD);
  // The child server inherits these (startSensorhub passes process.env on).
  process.env.SENSORHUB_DASHBOARDS = dashDir;
  process.env.SENSORHUB_RETENTION = 'INF';
  progress('starting sensorhub');
  const server = await startSensorhub(password, undefined);
  let browser: Browser | undefined;
  try {
    const s: Server = {
      base: `http://127.0.0.1:${server.httpPort}`,
      mqttUrl: `mqtt://127.0.0.1:${server.mqttPort}`,
      auth: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
      password,
    };
    const loadStarted = performance.now();
    const { points } = await loadData(s);
    progress(
      `wrote ${points.toLocaleString('en-US')} points in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    const cookie = await sessionCookie(s);
    const errors: string[] = [];
    const only = new Set((process.env.BENCH_ONLY ?? 'big,dashboard,live').split(','));
    let big: BigResult | undefined;
    let dash: DashResult | undefined;
    let live: LiveResult | undefined;
    if (only.has('big')) {
      progress(`100k points: ${RUNS} loads after a warm-up`);
      big = await benchBig(browser, s, cookie, errors);
    }
    if (only.has('dashboard')) {
      progress(`12 panels over 24 h: ${RUNS} cold and ${RUNS} warm loads`);
      dash = await benchDashboard(browser, s, cookie, errors);
    }
    if (only.has('live')) live = await benchLive(browser, s, cookie, errors);

    const pf = (ok: boolean) => (ok ? 'pass' : 'FAIL');
    const met: Record<string, boolean> = { noErrors: errors.length === 0 };
    const rows: Array<[string, string, string, string]> = [['metric', 'value', 'target', 'result']];
    const json: Record<string, unknown> = {
      bench: 'web',
      node: process.version,
      runs: RUNS,
      targetsMet: met,
    };
    if (big) {
      const renderP50 = p(big.renderMs, 50);
      met.render100k = renderP50 <= TARGET_RENDER_MS;
      rows.push(
        [
          '100k points: data → drawn p50 / p95',
          `${renderP50.toFixed(0)} / ${p(big.renderMs, 95).toFixed(0)} ms (${range(big.renderMs)})`,
          `≤ ${TARGET_RENDER_MS} ms`,
          pf(met.render100k),
        ],
        [
          '100k points: query fetch p50 (request → last byte)',
          `${p(big.fetchMs, 50).toFixed(0)} ms (${range(big.fetchMs)})`,
          '-',
          '-',
        ],
        ['100k points: navigation → data p50', `${p(big.dataMs, 50).toFixed(0)} ms`, '-', '-'],
      );
      json.render100k = {
        p50Ms: renderP50,
        p95Ms: p(big.renderMs, 95),
        runsMs: big.renderMs,
        fetchP50Ms: p(big.fetchMs, 50),
        dataP50Ms: p(big.dataMs, 50),
        points: big.points,
      };
    }
    if (dash) {
      const coldP50 = p(dash.coldMs, 50);
      const warmP50 = p(dash.warmMs, 50);
      met.dashboard12 = coldP50 <= TARGET_DASHBOARD_MS && warmP50 <= TARGET_DASHBOARD_MS;
      rows.push(
        [
          '12 panels / 24 h: navigation → all drawn, cold p50',
          `${coldP50.toFixed(0)} ms (${range(dash.coldMs)})`,
          `≤ ${TARGET_DASHBOARD_MS} ms`,
          pf(coldP50 <= TARGET_DASHBOARD_MS),
        ],
        [
          '12 panels / 24 h: navigation → all drawn, warm p50',
          `${warmP50.toFixed(0)} ms (${range(dash.warmMs)})`,
          `≤ ${TARGET_DASHBOARD_MS} ms`,
          pf(warmP50 <= TARGET_DASHBOARD_MS),
        ],
        [
          '12 panels, cold: queries sent / last data p50',
          `${p(dash.firstQueryMs, 50).toFixed(0)} / ${p(dash.coldDataMs, 50).toFixed(0)} ms after navigation`,
          '-',
          '-',
        ],
        [
          '12 panels, cold: slowest query p50',
          `${p(dash.slowestQueryMs, 50).toFixed(0)} ms (last drawn: ${dash.slowestPanel})`,
          '-',
          '-',
        ],
      );
      json.dashboard12 = {
        coldP50Ms: coldP50,
        warmP50Ms: warmP50,
        coldMs: dash.coldMs,
        warmMs: dash.warmMs,
        firstQueryP50Ms: p(dash.firstQueryMs, 50),
        lastDataP50Ms: p(dash.coldDataMs, 50),
        slowestQueryP50Ms: p(dash.slowestQueryMs, 50),
      };
    }
    if (live) {
      met.liveCpu = live.avgCpu < TARGET_LIVE_CPU;
      met.liveHeapFlat = live.heapSlopeMiBPer10Min <= TARGET_HEAP_SLOPE_MIB;
      met.liveReceived =
        live.pointsEnd > 0 && live.maxLagS < 10 && live.samples.every((x) => x.series === LIVE_DEVICES);
      rows.push(
        [
          `live ${LIVE_DEVICES} series × 1 Hz, ${live.seconds.toFixed(0)} s: page CPU avg / max`,
          `${(live.avgCpu * 100).toFixed(1)}% / ${(live.maxCpu * 100).toFixed(1)}% of a core (main thread, ${live.cpuClock})`,
          `< ${TARGET_LIVE_CPU * 100}%`,
          pf(met.liveCpu),
        ],
        [
          'live: all of Chromium (every process)',
          live.chromiumCpu === undefined ? '-' : `${(live.chromiumCpu * 100).toFixed(1)}% of a core`,
          '-',
          '-',
        ],
        [
          'live: JS heap after GC start → end, slope',
          `${live.heapStartMiB.toFixed(1)} → ${live.heapEndMiB.toFixed(1)} MiB, ${live.heapSlopeMiBPer10Min.toFixed(2)} MiB/10 min`,
          `≤ ${TARGET_HEAP_SLOPE_MIB} MiB/10 min`,
          pf(met.liveHeapFlat),
        ],
        [
          'live: chart x values start → end, max lag',
          `${live.pointsStart} → ${live.pointsEnd}, newest ≤ ${live.maxLagS.toFixed(1)} s old (${live.published} published)`,
          `${LIVE_DEVICES} series, lag < 10 s`,
          pf(met.liveReceived),
        ],
      );
      json.live = { ...live, series: LIVE_DEVICES, hz: 1 };
    }
    rows.push(['console errors', String(errors.length), '0', pf(errors.length === 0)]);
    json.errors = errors.length;
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
    process.stdout.write(
      `\nweb app in Chromium (${VIEWPORT.width}×${VIEWPORT.height}, headless), sensorhub ${points.toLocaleString('en-US')} points, Node ${process.version}\n\n`,
    );
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
    for (const e of errors.slice(0, 5)) process.stdout.write(`  ${e}\n`);
    process.stdout.write(`\n${JSON.stringify(roundNumbers(json))}\n`);
    return 0;
  } finally {
    await browser?.close();
    await server.stop();
    await rm(dashDir, { recursive: true, force: true });
  }
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

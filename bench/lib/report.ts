import type { Scenario } from './load-protocol.js';

export interface ScenarioReport {
  readonly target: string;
  readonly scenario: Scenario;
  readonly ackedPerSec: number;
  readonly valuesPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly peakRssMiB: number;
  /** Server CPU during the measured window, in cores; near 1 when pinned means the server was the limit. */
  readonly serverCpu: number | undefined;
  /** Bucketed 1-hour query while ingest runs; undefined where the target has no query API. */
  readonly queryP50Ms: number | undefined;
  readonly queryMaxMs: number | undefined;
  readonly querySamples: number;
  readonly ackedTotal: number;
  /** Malformed messages sent (plain-bad) and the dead letters the server kept for them. */
  readonly badTotal: number;
  readonly deadLetters: number | undefined;
  /** Field values the store holds afterwards, and how many the acked messages carried. */
  readonly storedValues: number | undefined;
  readonly expectedValues: number;
  readonly durable: boolean | undefined;
  readonly loadgenCpu: number;
  readonly ackedEachSecond: readonly number[];
  readonly shutdownMs: number;
  readonly errors: readonly string[];
}

const COLUMNS: ReadonlyArray<[string, (r: ScenarioReport) => string]> = [
  ['target', (r) => r.target],
  ['scenario', (r) => r.scenario],
  ['acked msg/s', (r) => fmt(r.ackedPerSec, 0)],
  ['values/s', (r) => fmt(r.valuesPerSec, 0)],
  ['ack p50 ms', (r) => fmt(r.latencyP50Ms, 1)],
  ['ack p99 ms', (r) => fmt(r.latencyP99Ms, 1)],
  ['ack max ms', (r) => fmt(r.latencyMaxMs, 1)],
  ['peak RSS MiB', (r) => fmt(r.peakRssMiB, 0)],
  ['server CPU', (r) => (r.serverCpu === undefined ? '-' : `${fmt(r.serverCpu * 100, 0)}%`)],
  [
    'query p50/max ms',
    (r) => (r.queryP50Ms === undefined ? '-' : `${fmt(r.queryP50Ms, 1)}/${fmt(r.queryMaxMs ?? 0, 1)}`),
  ],
  ['stored/acked', (r) => (r.storedValues === undefined ? '-' : `${r.storedValues}/${r.expectedValues}`)],
  ['durable', (r) => (r.durable === undefined ? '-' : r.durable ? 'yes' : 'NO')],
  ['bad/dead letters', (r) => (r.deadLetters === undefined ? '-' : `${r.badTotal}/${r.deadLetters}`)],
  ['loadgen CPU', (r) => `${fmt(r.loadgenCpu * 100, 0)}%`],
];

export function formatTable(reports: readonly ScenarioReport[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...reports.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n');
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Rounds every number to 3 decimals so the JSON line stays readable. */
export function roundNumbers<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v)),
  );
}

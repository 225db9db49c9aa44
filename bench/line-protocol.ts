/**
 * Line protocol benchmark: parse and serialize throughput on one thread, for three line shapes (a plain
 * value, Telegraf's 3-field cpu line with tags and a ns timestamp, a 10-field line with strings and
 * integers). Inputs are batches of 5,000 distinct lines, as an HTTP write body would be. Each shape is warmed
 * up, then measured for BENCH_SECONDS (default 1.5 s). Prints a table, then one JSON line (the last line).
 */
import { type LpPoint, parseLineProtocol } from '../src/ingest/line-protocol/parse.js';
import { formatLineProtocol } from '../src/ingest/line-protocol/serialize.js';
import { roundNumbers } from './lib/report.js';

const BATCH = 5_000;
const TARGET_LINES_PER_SEC = 1_000_000;

interface Shape {
  readonly name: string;
  readonly example: string;
  readonly line: (k: number) => string;
}

const T0 = 1_700_000_000_000_000_000n;

const SHAPES: readonly Shape[] = [
  {
    name: 'plain',
    example: 'temp,device=d1 value=21.5',
    line: (k) => `temp,device=d${k % 100} value=${(15 + (k % 1000) / 100).toFixed(2)}`,
  },
  {
    name: '3-field',
    example:
      'cpu,host=server01,region=us-west usage_idle=92.5,usage_user=3.2,usage_system=4.3 1700000000000000000',
    line: (k) =>
      `cpu,host=server${String(k % 50).padStart(2, '0')},region=us-west usage_idle=${(90 + (k % 100) / 10).toFixed(1)},usage_user=${(k % 70) / 10},usage_system=4.3 ${T0 + BigInt(k) * 1_000_000_000n}`,
  },
  {
    name: '10-field',
    example:
      'sensor,device=esp32-1,site=lab,fw=1.2.3 temp=21.53,hum=63.2,pressure=1013.25,co2=612i,voc=35i,rssi=-67i,battery=3.71,status="ok",label="bathroom wall",uptime=123456u 1700000000000000000',
    line: (k) =>
      `sensor,device=esp32-${k % 200},site=lab,fw=1.2.3 temp=${(18 + (k % 500) / 100).toFixed(2)},hum=${(40 + (k % 300) / 10).toFixed(1)},pressure=1013.25,co2=${400 + (k % 800)}i,voc=${k % 90}i,rssi=-${40 + (k % 50)}i,battery=3.71,status="ok",label="bathroom \\"wall\\"",uptime=${123_456 + k}u ${T0 + BigInt(k) * 1_000_000_000n}`,
  },
];

function makeBatch(shape: Shape): string {
  const lines: string[] = [];
  for (let k = 0; k < BATCH; k++) lines.push(shape.line(k));
  return `${lines.join('\n')}\n`;
}

/** Runs `fn` (which handles `perCall` lines) for `seconds`; returns lines per second. */
function measure(fn: () => void, perCall: number, seconds: number): number {
  const until = performance.now() + seconds * 1000;
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now < until) {
    fn();
    calls++;
    now = performance.now();
  }
  return (calls * perCall) / ((now - start) / 1000);
}

interface Row {
  readonly shape: string;
  readonly bytesPerLine: number;
  readonly parseStringLinesPerSec: number;
  readonly parseBufferLinesPerSec: number;
  readonly parseMiBPerSec: number;
  readonly serializeLinesPerSec: number;
}

function benchShape(shape: Shape, seconds: number, warmup: number): Row {
  const text = makeBatch(shape);
  const buffer = Buffer.from(text);
  const check = parseLineProtocol(text);
  if (check.errors.length > 0 || check.points.length !== BATCH) {
    throw new Error(`${shape.name}: the batch does not parse cleanly: ${JSON.stringify(check.errors[0])}`);
  }
  const points: LpPoint[] = check.points;
  let sink = 0;
  const parseString = () => {
    sink += parseLineProtocol(text).points.length;
  };
  const parseBuffer = () => {
    sink += parseLineProtocol(buffer).points.length;
  };
  const serialize = () => {
    for (const p of points) sink += formatLineProtocol(p).length;
  };
  measure(parseString, BATCH, warmup);
  const parseStringRate = measure(parseString, BATCH, seconds);
  measure(parseBuffer, BATCH, warmup / 2);
  const parseBufferRate = measure(parseBuffer, BATCH, seconds);
  measure(serialize, BATCH, warmup / 2);
  const serializeRate = measure(serialize, BATCH, seconds);
  if (sink === 0) throw new Error('nothing parsed');
  const bytesPerLine = buffer.length / BATCH;
  return {
    shape: shape.name,
    bytesPerLine,
    parseStringLinesPerSec: parseStringRate,
    parseBufferLinesPerSec: parseBufferRate,
    parseMiBPerSec: (parseBufferRate * bytesPerLine) / 2 ** 20,
    serializeLinesPerSec: serializeRate,
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function main(): void {
  const seconds = Number(process.env.BENCH_SECONDS ?? '1.5');
  if (!Number.isFinite(seconds) || seconds < 0.1)
    throw new Error(`BENCH_SECONDS "${process.env.BENCH_SECONDS}" is not a number ≥ 0.1`);
  const warmup = Math.max(0.3, seconds / 3);
  const rows = SHAPES.map((shape) => {
    process.stderr.write(`[bench] ${shape.name}: ${shape.example}\n`);
    return benchShape(shape, seconds, warmup);
  });
  const header = [
    'shape',
    'bytes/line',
    'parse lines/s (string)',
    'parse lines/s (Buffer)',
    'parse MiB/s',
    'serialize lines/s',
  ];
  const cells = rows.map((r) => [
    r.shape,
    r.bytesPerLine.toFixed(0),
    fmt(r.parseStringLinesPerSec),
    fmt(r.parseBufferLinesPerSec),
    r.parseMiBPerSec.toFixed(0),
    fmt(r.serializeLinesPerSec),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const render = (row: string[]) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(
    `\nline protocol, one thread, ${BATCH}-line batches, ${seconds} s per measurement (Node ${process.version})\n\n`,
  );
  process.stdout.write(`${render(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const c of cells) process.stdout.write(`${render(c)}\n`);
  const slowest = Math.min(...rows.map((r) => Math.min(r.parseStringLinesPerSec, r.parseBufferLinesPerSec)));
  const typical = rows.filter((r) => r.shape !== '10-field');
  const typicalMin = Math.min(
    ...typical.map((r) => Math.min(r.parseStringLinesPerSec, r.parseBufferLinesPerSec)),
  );
  process.stdout.write(
    `\ntarget ≥ ${fmt(TARGET_LINES_PER_SEC)} lines/s for the plain and 3-field lines: ${typicalMin >= TARGET_LINES_PER_SEC ? 'met' : 'NOT met'} (slowest ${fmt(typicalMin)})\n\n`,
  );
  process.stdout.write(
    `${JSON.stringify(
      roundNumbers({
        bench: 'line-protocol',
        node: process.version,
        batchLines: BATCH,
        seconds,
        targetLinesPerSec: TARGET_LINES_PER_SEC,
        targetMet: typicalMin >= TARGET_LINES_PER_SEC,
        slowestParseLinesPerSec: slowest,
        results: rows,
      }),
    )}\n`,
  );
}

main();

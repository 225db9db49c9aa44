/**
 * The load generator, run as its own process by bench/ingest.ts so that it never competes with the bench's
 * own bookkeeping and can sit on its own core. Protocol: one LoadConfig in over IPC, LoadEvents out.
 */
import { BenchConnection } from './lib/bench-connection.js';
import { LatencyHistogram } from './lib/histogram.js';
import type { LoadConfig, LoadEvent, LoadResult } from './lib/load-protocol.js';

type Phase = 'warmup' | 'measure' | 'drain';

const CONNECT_CONCURRENCY = 25;
const MAX_ERRORS_KEPT = 20;

async function runLoad(config: LoadConfig, emit: (event: LoadEvent) => void): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  const errors: string[] = [];
  let phase: Phase = 'warmup';
  let ackedInWindow = 0;
  // Acks per second of the window: shows whether throughput holds or sinks as the store grows.
  const perSecond: number[] = [];
  let measureStart = 0;
  let ackedTotal = 0;
  const hooks = {
    onAck(latencyMs: number): boolean {
      ackedTotal++;
      if (phase === 'measure') {
        ackedInWindow++;
        const second = Math.floor((performance.now() - measureStart) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
        histogram.record(latencyMs);
      }
      return phase !== 'drain';
    },
    onError(message: string): void {
      if (errors.length < MAX_ERRORS_KEPT) errors.push(message);
    },
  };

  const connections: BenchConnection[] = [];
  for (let i = 1; i <= config.connections; i++) connections.push(new BenchConnection(i, config, hooks));
  const connectStart = performance.now();
  for (let i = 0; i < connections.length; i += CONNECT_CONCURRENCY) {
    await Promise.all(connections.slice(i, i + CONNECT_CONCURRENCY).map((c) => c.start()));
  }
  const connectMs = performance.now() - connectStart;
  emit({ type: 'connected', connectMs });

  for (const c of connections) c.setSending(true);
  await sleep(config.warmupMs);
  phase = 'measure';
  emit({ type: 'measuring' });
  const cpuStart = process.cpuUsage();
  measureStart = performance.now();
  await sleep(config.durationMs);
  phase = 'drain';
  const measuredMs = performance.now() - measureStart;
  const cpu = process.cpuUsage(cpuStart);
  emit({ type: 'measured' });
  for (const c of connections) c.setSending(false);

  // Every acknowledged message counts towards what the store must hold, so wait for the stragglers.
  const drainDeadline = performance.now() + config.drainMs;
  while (connections.some((c) => c.inflight > 0) && performance.now() < drainDeadline) await sleep(20);
  const unacked = connections.reduce((sum, c) => sum + c.inflight, 0);
  if (unacked > 0)
    errors.push(`${unacked} PUBLISHes still unacknowledged ${config.drainMs} ms after the run`);
  await Promise.all(connections.map((c) => c.stop()));

  return {
    connections: config.connections,
    connectMs,
    measuredMs,
    ackedInWindow,
    ackedPerSec: (ackedInWindow * 1000) / measuredMs,
    ackedEachSecond: Array.from(perSecond, (n) => n ?? 0),
    publishedTotal: connections.reduce((sum, c) => sum + c.published, 0),
    ackedTotal,
    badTotal: connections.reduce((sum, c) => sum + c.bad, 0),
    latency: histogram.summary(),
    cpuFraction: (cpu.user + cpu.system) / 1000 / measuredMs,
    errors,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function send(event: LoadEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

if (process.send) {
  process.once('message', (config: LoadConfig) => {
    runLoad(config, (event) => void send(event))
      .then((result) => send({ type: 'result', result }))
      .catch((err: unknown) =>
        send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
      )
      // After a failed start some sockets may still be open; they must not keep this process alive.
      .finally(() => process.exit(0));
  });
}

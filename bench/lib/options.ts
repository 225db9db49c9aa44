import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { SCENARIOS, type Scenario } from './load-protocol.js';

export type Target = 'sensorhub' | 'mosquitto';

export interface BenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly window: number;
  readonly scenarios: readonly Scenario[];
  /** Sample a dashboard query during ingest (it competes with ingest for the server's core). */
  readonly queries: boolean;
  /** What to measure: sensorhub, and Mosquitto as the peer (plain scenario) when it is installed. */
  readonly targets: readonly Target[];
  /** Pin the server to core 0 and the load generator to core 1 (taskset), so neither steals the other's. */
  readonly pin: boolean;
  readonly cores: number;
}

export const USAGE = `Usage: npm run bench -- [--seconds N] [--warmup N] [--connections N] [--window N]
                       [--scenarios plain,json] [--targets sensorhub,mosquitto]
                       [--no-queries] [--pin]
Env: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (50), BENCH_WINDOW (50 in-flight per
connection), BENCH_SCENARIOS (plain,json), BENCH_TARGETS (sensorhub,mosquitto), BENCH_QUERIES (1), BENCH_PIN (0: sensorhub uses both cores as a user's
server would, its store thread sharing the second core with the load generator; 1 pins server and
load to one core each). Flags win over env.`;

/** Flags, then env, then defaults; every problem is reported at once. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      window: { type: 'string' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      'no-queries': { type: 'boolean' },
      pin: { type: 'boolean' },
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
  const scenarioText = values.scenarios ?? env.BENCH_SCENARIOS ?? SCENARIOS.join(',');
  const scenarios = scenarioText.split(',').map((s) => s.trim());
  for (const s of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(s)) problems.push(`scenarios: unknown "${s}"`);
  const targets = (values.targets ?? env.BENCH_TARGETS ?? 'sensorhub,mosquitto')
    .split(',')
    .map((t) => t.trim());
  for (const t of targets)
    if (t !== 'sensorhub' && t !== 'mosquitto') problems.push(`targets: unknown "${t}"`);
  const options: BenchOptions = {
    seconds: num('seconds', values.seconds ?? env.BENCH_SECONDS, 10, 0.5, 3600),
    warmupSeconds: num('warmup', values.warmup ?? env.BENCH_WARMUP, 2, 0, 600),
    connections: Math.round(num('connections', values.connections ?? env.BENCH_CONNECTIONS, 50, 1, 10_000)),
    // The id space is 16 bits; the window must leave room so an id is never reused while in flight.
    window: Math.round(num('window', values.window ?? env.BENCH_WINDOW, 50, 1, 60_000)),
    scenarios: scenarios as Scenario[],
    queries: !values['no-queries'] && env.BENCH_QUERIES !== '0',
    targets: targets as Target[],
    pin: values.pin === true || env.BENCH_PIN === '1',
    cores: availableParallelism(),
  };
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return options;
}

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, spawnTracked, stopChild, waitForPort } from './processes.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
/** The compiled CLI, next to this file's compiled copy: dist/bench/lib → dist/src/cli/main.js. */
export const SENSORHUB_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly mqttPort: number;
  readonly httpPort: number | undefined;
  /** Where the server keeps its data (sensorhub only). */
  readonly dataDir?: string;
  /** Last lines of the server's output, for error messages. */
  tail(): string;
  /** Resolves with the shutdown time in ms. */
  stop(): Promise<number>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Starts sensorhub exactly as a user would (`sensorhub start`), with a fresh data dir and an admin
 * password, and waits for the `sensorhub ready` log line that carries the chosen ports.
 */
export async function startSensorhub(password: string, cpu: number | undefined): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-bench-'));
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (NODE_OPTIONS refuses it).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const args = [
    ...nodeArgs,
    SENSORHUB_MAIN,
    'start',
    '--data-dir',
    dataDir,
    '--mqtt-port',
    '0',
    '--http-port',
    '0',
  ];
  const child = spawnTracked(
    process.execPath,
    args,
    { env: { ...process.env, SENSORHUB_ADMIN_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] },
    cpu,
  );
  const output = keepTail(child);
  const stop = async () => {
    const ms = await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
    return ms;
  };
  try {
    const ready = await waitForReady(child, output);
    return {
      name: 'sensorhub',
      pid: child.pid ?? 0,
      ...ready,
      dataDir,
      tail: () => output.lines.join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts an anonymous Mosquitto without persistence on a free port: the peer to compare against. */
export async function startMosquitto(cpu: number | undefined): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-bench-mosquitto-'));
  // Mosquitto cannot listen on port 0, so pick a free one first.
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  await writeFile(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawnTracked(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] }, cpu);
  const { lines } = keepTail(child);
  const stop = async () => {
    const ms = await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    return ms;
  };
  try {
    await waitForPort(port, 5000);
    return {
      name: 'mosquitto',
      pid: child.pid ?? 0,
      mqttPort: port,
      httpPort: undefined,
      tail: () => lines.join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`mosquitto did not start: ${lines.join('\n')}`, { cause: err });
  }
}

export function hasSensorhub(): boolean {
  return existsSync(SENSORHUB_MAIN);
}

export function hasMosquitto(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

/**
 * Reads both output pipes to the end, keeping the last lines. Reading is not optional: a child whose pipe
 * fills up blocks on its next log write, which would show up as a throughput cliff.
 */
function keepTail(child: ChildProcess, keep = 40): OutputTail {
  const output: OutputTail = { lines: [], onStdoutLine: undefined };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.lines.push(line);
      if (output.lines.length > keep) output.lines.shift();
      if (stream === child.stdout) output.onStdoutLine?.(line);
    });
  }
  return output;
}

interface OutputTail {
  readonly lines: string[];
  onStdoutLine: ((line: string) => void) | undefined;
}

function waitForReady(
  child: ChildProcess,
  output: OutputTail,
): Promise<{ mqttPort: number; httpPort: number }> {
  const tail = output.lines;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no "sensorhub ready" within ${READY_TIMEOUT_MS} ms:\n${tail.join('\n')}`));
    }, READY_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`sensorhub exited (${code}) before it was ready:\n${tail.join('\n')}`));
    };
    child.once('exit', onExit);
    output.onStdoutLine = (line) => {
      const entry = parseLogLine(line);
      if (entry?.msg !== 'sensorhub ready') return;
      const { mqttPort, httpPort } = entry;
      if (typeof mqttPort !== 'number' || typeof httpPort !== 'number') {
        reject(new Error(`"sensorhub ready" without numeric mqttPort/httpPort: ${line}`));
      } else {
        resolve({ mqttPort, httpPort });
      }
      clearTimeout(timer);
      child.off('exit', onExit);
      output.onStdoutLine = undefined;
    };
  });
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

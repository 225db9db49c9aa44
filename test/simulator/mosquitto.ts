import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../bench/lib/processes.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export const hasMosquitto = existsSync(MOSQUITTO_BIN);

export interface RunningMosquitto {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a throwaway anonymous Mosquitto on a free loopback port, without persistence. */
export async function startMosquitto(): Promise<RunningMosquitto> {
  // Mosquitto cannot listen on port 0, so a free port is picked first; another process may take it in
  // between, hence the retries.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(port: number): Promise<RunningMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  await writeFile(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) on port ${port}: ${stderr}`)));
  });
  exited.catch(() => {});
  const stop = async () => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitForPort(port, 5000), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

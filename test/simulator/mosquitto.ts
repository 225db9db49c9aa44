import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../bench/lib/processes.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export const hasMosquitto = existsSync(MOSQUITTO_BIN);

export interface RunningMosquitto {
  readonly port: number;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** Users (name → password) in a password file; without it, clients are anonymous. */
  readonly users?: Readonly<Record<string, string>>;
  /** More mosquitto.conf lines. */
  readonly extra?: string;
}

/** Starts a throwaway Mosquitto on a free loopback port, without persistence. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  // Mosquitto cannot listen on port 0, so a free port is picked first; another process may take it in
  // between, hence the retries.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(port: number, options: MosquittoOptions): Promise<RunningMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  let auth = 'allow_anonymous true\n';
  if (options.users) {
    const passwd = join(dir, 'passwd');
    await writeFile(passwd, '');
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
    }
    // Started as root, Mosquitto drops to its own user, which must still read the file.
    await chmod(dir, 0o755);
    await chmod(passwd, 0o644);
    auth = `allow_anonymous false\npassword_file ${passwd}\n`;
  }
  await writeFile(config, `listener ${port} 127.0.0.1\n${auth}persistence false\n${options.extra ?? ''}\n`);
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

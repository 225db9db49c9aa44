import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger, type LogLevel } from '../../src/core/logger.js';

export interface TestServer {
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly password: string;
  readonly mqttUrl: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** fetch against the server with admin basic auth (unless `auth: false`). */
  api(path: string, init?: RequestInit & { auth?: false | [string, string] }): Promise<Response>;
  stop(): Promise<void>;
}

export const TEST_PASSWORD = 'test-admin-password-1';

/** Env every test server gets unless the test overrides it: retention INF (see docs/retention.md). */
export const TEST_ENV: Readonly<Record<string, string>> = { SENSORHUB_RETENTION: 'INF' };

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** An in-process server on free ports with its own temp data dir. */
export async function startTestServer(
  opts: {
    /** A YAML config file; the test's data dir and free ports still override it. */
    file?: string;
    env?: Record<string, string>;
    flags?: Record<string, string | boolean>;
    dataDir?: string;
    logLevel?: LogLevel;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'sensorhub-test-')));
  const config = await loadConfig({
    file: opts.file,
    // Tests write data dated years back: keep it unless the test is about retention (and sets it in env;
    // env overrides the file's storage.retention.default).
    env: { ...TEST_ENV, ...opts.env },
    flags: {
      'data-dir': dataDir,
      'mqtt-port': '0',
      'http-port': '0',
      'mqtt-host': '127.0.0.1',
      'http-host': '127.0.0.1',
      ...opts.flags,
    },
  });
  const server = await startServer(config, {
    logger: createLogger(opts.logLevel ?? 'silent'),
    clock: systemClock,
    adminPassword: TEST_PASSWORD,
    announce: () => {},
  });
  const httpUrl = `http://127.0.0.1:${server.httpPort}`;
  return {
    server,
    dataDir,
    password: TEST_PASSWORD,
    mqttUrl: `mqtt://127.0.0.1:${server.mqttPort}`,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${server.httpPort}/mqtt`,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.auth !== false) {
        const [u, p] = init.auth ?? ['admin', TEST_PASSWORD];
        headers.set('authorization', basicAuth(u, p));
      }
      return fetch(`${httpUrl}${path}`, { ...init, headers });
    },
    async stop() {
      await server.stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

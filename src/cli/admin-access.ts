import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_USERNAME } from '../auth/authenticator.js';
import { DuckDbStore } from '../storage/duckdb/duckdb-store.js';

/**
 * How the admin commands (`user`, `device`) reach the data: through a running server's HTTP API as admin,
 * or, with --data-dir, straight in a stopped server's database file.
 */
export class AdminApi {
  constructor(
    private readonly url: string,
    private readonly authorization: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(
        `cannot reach the server at ${this.url} (${cause}); start it, pass --url, or edit a stopped server with --data-dir DIR`,
      );
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok)
      throw new Error(`${String(json.code ?? res.status)}: ${String(json.error ?? res.statusText)}`);
    return json;
  }
}

/** The API of the server at --url / SENSORHUB_URL, as admin with SENSORHUB_ADMIN_PASSWORD(_FILE). */
export async function adminApi(urlFlag: unknown): Promise<AdminApi> {
  const url = String(urlFlag ?? process.env.SENSORHUB_URL ?? 'http://localhost:8086').replace(/\/$/, '');
  let password = process.env.SENSORHUB_ADMIN_PASSWORD;
  const file = process.env.SENSORHUB_ADMIN_PASSWORD_FILE;
  if (!password && file) password = (await readFile(file, 'utf8')).trim();
  if (!password)
    throw new Error('set SENSORHUB_ADMIN_PASSWORD (or _FILE) to manage a running server through its API');
  return new AdminApi(url, `Basic ${Buffer.from(`${ADMIN_USERNAME}:${password}`).toString('base64')}`);
}

/** Opens a stopped server's store directly; refused (by DuckDB's file lock) while a server runs on it. */
export async function openOfflineStore(dataDir: string): Promise<DuckDbStore> {
  const store = new DuckDbStore({ path: join(dataDir, 'sensorhub.duckdb') });
  try {
    await store.start();
  } catch (err) {
    throw new Error(
      `cannot open ${dataDir} (${(err as Error).message}); if a server is running on it, use its API (--url)`,
    );
  }
  return store;
}

export async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new Error('--password-stdin: nothing on standard input');
  return text;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/**
 * Parses `sensorhub <command> ACTION [NAME] [options]` for the admin commands; every action but `list`
 * needs a NAME. Returns the parsed call, or the exit code after printing help or the mistake.
 */
export function parseAdminCall(
  command: string,
  argv: string[],
  options: OptionSpec,
  actions: readonly string[],
  help: string,
): { values: Record<string, unknown>; action: string; name: string | undefined } | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...options,
        url: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`sensorhub ${command}: ${(err as Error).message}\n\n${help}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, name] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(help);
    return values.help ? 0 : 2;
  }
  if (!actions.includes(action) || (action !== 'list' && !name)) {
    const expected = actions.map((a) => (a === 'list' ? a : `${a} NAME`)).join(', ');
    process.stderr.write(`sensorhub ${command}: expected ${expected}\n\n${help}`);
    return 2;
  }
  return { values, action, name };
}

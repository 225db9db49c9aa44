import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A real PostgreSQL server for tests: Debian's binaries, a fresh cluster in a mkdtemp dir, listening on
 * 127.0.0.1 on a free port and on a unix socket inside that dir. Password (SCRAM) authentication on both,
 * so that role tests log in as those roles for real.
 */

const run = promisify(execFile);

export interface PostgresServer {
  /** The superuser's URL of the `sensorhub` database; no password in it (see `password`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The superuser, `postgres`. */
  readonly user: string;
  readonly password: string;
  /** The major version of the server, e.g. 15. */
  readonly version: number;
  /** Creates a fresh empty database owned by the superuser; returns its URL (without password). */
  createDatabase(): Promise<string>;
  /** Drops a database made by createDatabase, closing its connections. */
  dropDatabase(url: string): Promise<void>;
  /** Runs SQL as the superuser on the database of `url` (default: `sensorhub`). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    url?: string,
  ): Promise<R[]>;
  /** Shuts the server down (fast mode) and removes its directory. */
  stop(): Promise<void>;
}

interface Binaries {
  readonly dir: string;
  readonly version: number;
}

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; the newest one wins. */
export function findPostgres(): Binaries | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .map((v) => Number(v))
    .filter((v) => Number.isInteger(v))
    .sort((a, b) => b - a);
  for (const version of versions) {
    const dir = join(root, String(version), 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return { dir, version };
  }
  return undefined;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (findPostgres() === undefined) {
    return 'PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)';
  }
  if (isRoot() && osUser('postgres') === undefined) {
    return 'running as root, and there is no "postgres" user to run the server as (PostgreSQL refuses root)';
  }
  return undefined;
}

const SUPERUSER = 'postgres';
let databaseCounter = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const why = postgresUnavailable();
  if (why !== undefined) throw new Error(why);
  const bin = findPostgres() as Binaries;
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const owner = isRoot() ? osUser('postgres') : undefined;
  // As root, everything in the directory belongs to the user the server runs as.
  const own = async (path: string) => {
    if (owner !== undefined) await chown(path, owner.uid, owner.gid);
  };
  const exec = (tool: string, args: string[]) => {
    const file = join(bin.dir, tool);
    return owner === undefined
      ? run(file, args, { timeout: 60_000 })
      : run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 });
  };

  try {
    await own(dir);
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    await own(pwfile);
    // --no-sync only skips flushing the fresh template files; the server itself runs with fsync=on.
    await exec('initdb', [
      '-D',
      dataDir,
      '-U',
      SUPERUSER,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    await rm(pwfile);

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = [
        '-c listen_addresses=127.0.0.1',
        `-c port=${port}`,
        `-c unix_socket_directories=${dir}`,
        '-c fsync=on',
        '-c synchronous_commit=on',
        '-c full_page_writes=on',
        '-c shared_buffers=64MB',
        '-c max_connections=60',
        '-c timezone=UTC',
      ].join(' ');
      try {
        await exec('pg_ctl', [
          '-D',
          dataDir,
          '-l',
          join(dir, 'server.log'),
          '-w',
          '-t',
          '60',
          '-o',
          options,
          'start',
        ]);
        break;
      } catch (err) {
        // Another process may have taken the port between freePort() and the server's bind.
        if (attempt >= 3) {
          const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
          throw new Error(`PostgreSQL did not start: ${String(err)}\n${log}`);
        }
      }
    }

    const stopNow = () => {
      try {
        const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
        if (owner === undefined) execFileSync(join(bin.dir, 'pg_ctl'), args, { stdio: 'ignore' });
        else
          execFileSync('runuser', ['-u', 'postgres', '--', join(bin.dir, 'pg_ctl'), ...args], {
            stdio: 'ignore',
          });
      } catch {
        // already stopped
      }
    };
    // A test process that dies without afterAll must not leave a server running.
    process.once('exit', stopNow);

    const host = '127.0.0.1';
    const urlOf = (database: string) => `postgres://${SUPERUSER}@${host}:${port}/${database}`;
    const sql = async <R extends pg.QueryResultRow>(text: string, values?: unknown[], url?: string) => {
      // Not connectionString: node-postgres lets the URL's (empty) password override `password`.
      const database = new URL(url ?? urlOf('sensorhub')).pathname.slice(1);
      const client = new pg.Client({ host, port, user: SUPERUSER, password, database });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      await sql('CREATE DATABASE sensorhub', [], urlOf('postgres'));
    } catch (err) {
      stopNow();
      throw err;
    }

    const newDatabase = async (): Promise<string> => {
      const name = `t_${process.pid}_${++databaseCounter}`;
      await sql(`CREATE DATABASE ${name}`, [], urlOf('postgres'));
      return urlOf(name);
    };
    // CREATE DATABASE copies the template and syncs it (100-300 ms): the next one is made while a test runs.
    let next: Promise<string> | undefined;

    return {
      url: urlOf('sensorhub'),
      host,
      port,
      user: SUPERUSER,
      password,
      version: bin.version,
      sql,
      async createDatabase() {
        const url = await (next ?? newDatabase());
        next = newDatabase();
        // Awaited by whoever takes it, or by stop(); a failure here must not go unhandled meanwhile.
        next.catch(() => undefined);
        return url;
      },
      async dropDatabase(url: string) {
        const name = new URL(url).pathname.slice(1);
        await sql(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`, [], urlOf('postgres'));
      },
      async stop() {
        process.removeListener('exit', stopNow);
        await next?.catch(() => undefined);
        try {
          await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

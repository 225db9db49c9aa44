import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { readTar, TarError, writeTar } from '../../src/backup/tar.js';
import { systemClock } from '../../src/core/clock.js';
import { AppError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { adminRoutes } from '../../src/http/plugins/admin-api.js';
import { blobKey } from '../../src/ingest/blobs/blob-store.js';
import { FsBlobStore } from '../../src/ingest/blobs/fs-blob-store.js';
import { DuckDbStore } from '../../src/storage/duckdb/duckdb-store.js';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import type { TimeSeriesStore } from '../../src/storage/store.js';
import { basicAuth } from '../helpers/server.js';

const ADMIN = basicAuth('admin', 'admin-password');
const dirs: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sensorhub-backup-api-'));
  dirs.push(d);
  return d;
}

/** The admin plugin on a real HTTP server (port 0), with the app's error shape. */
async function serve(store: TimeSeriesStore, opts: { blobsDir?: string; scratchDir?: string } = {}) {
  const auth = new Authenticator({
    store,
    clock: systemClock,
    logger: silentLogger,
    allowAnonymous: false,
    adminPassword: 'admin-password',
    announce: () => {},
    failures: { maxFailures: 100, windowMs: 60_000, blockMs: 60_000 },
  });
  await auth.start();
  // The DuckDB store is shared by the tests: the user may be there from an earlier one.
  await auth.users
    .add({ name: 'grafana', role: 'viewer', password: 'viewer-password' })
    .catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === 'AUTH_USER_EXISTS')) throw err;
    });
  const app: FastifyInstance = Fastify();
  app.setErrorHandler((err, _req, reply) =>
    err instanceof AppError
      ? reply.status(err.status).send({ code: err.code, error: err.message })
      : reply.status(500).send({ code: 'INTERNAL', error: String(err) }),
  );
  await app.register(adminRoutes, { auth, store, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return (authorization = ADMIN) =>
    fetch(`http://127.0.0.1:${port}/api/v1/admin/backup`, { method: 'POST', headers: { authorization } });
}

async function entriesOf(source: AsyncIterable<Buffer>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await readTar(source, async (entry, body) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    out.set(entry.name, Buffer.concat(chunks));
  });
  return out;
}

describe('POST /api/v1/admin/backup', () => {
  let dataDir: string;
  let store: DuckDbStore;
  let key: string;
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

  beforeAll(async () => {
    dataDir = await tempDir();
    store = new DuckDbStore({ path: join(dataDir, 'sensorhub.duckdb') });
    await store.start();
    closers.push(() => store.stop());
    await store.write([
      {
        database: 'home',
        measurement: 'cam',
        tags: { room: 'hall' },
        fields: { shots: 1 },
        time: 1_700_000_000_000_000,
      },
    ]);
    const blobs = new FsBlobStore({ dir: join(dataDir, 'blobs') });
    await blobs.start();
    key = blobKey({
      database: 'home',
      measurement: 'cam',
      tags: { room: 'hall' },
      time: 1_700_000_000_000_000,
      data: jpeg,
      contentType: 'image/jpeg',
    });
    await blobs.put(key, jpeg, 'image/jpeg');
    await blobs.stop();
    // A put in flight leaves a temporary file beside its target; it is no blob.
    await writeFile(join(dataDir, 'blobs', '.half-written.jpg.0123456789ab.tmp'), 'partial');
  });

  it('streams the database and the blobs as a tar archive that restores', async () => {
    const backup = await serve(store, { blobsDir: join(dataDir, 'blobs'), scratchDir: dataDir });
    const res = await backup();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="sensorhub-backup-.*\.tar"/);
    const archive = Buffer.from(await res.arrayBuffer());
    const entries = await entriesOf(Readable.from([archive]));
    expect([...entries.keys()]).toEqual(['sensorhub-backup.json', 'sensorhub.duckdb', `blobs/${key}`]);
    const manifest = JSON.parse(String(entries.get('sensorhub-backup.json'))) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: 'sensorhub-backup', version: 1, blobs: true });
    expect(entries.get(`blobs/${key}`)).toEqual(jpeg);
    // The staged copy is gone once the response is sent.
    expect((await readdir(dataDir)).filter((n) => n.startsWith('.sensorhub-backup-'))).toEqual([]);

    const target = join(await tempDir(), 'restored');
    const file = join(await tempDir(), 'b.tar');
    await writeFile(file, archive);
    const summary = await restoreBackup({ from: file, dataDir: target, force: false });
    expect(summary.stats).toMatchObject({ series: 1, samples: 1 });
    expect(summary.blobs).toBe(1);
    expect(await readFile(join(target, 'blobs', key))).toEqual(jpeg);
    const restored = new DuckDbStore({ path: join(target, 'sensorhub.duckdb') });
    await restored.start();
    const got = await restored.query({
      database: 'home',
      measurement: 'cam',
      field: 'shots',
      tags: {},
      from: 0,
      to: 2_000_000_000_000_000,
      aggregate: 'raw',
      limit: 10,
    });
    await restored.stop();
    expect(got.series[0]?.value).toEqual([1]);
  });

  it('is for admins only', async () => {
    const backup = await serve(store);
    const res = await backup(basicAuth('grafana', 'viewer-password'));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect((await backup(basicAuth('admin', 'wrong'))).status).toBe(401);
  });

  it('says why a server without blobs in its data dir has none in the backup', async () => {
    const backup = await serve(store);
    const res = await backup();
    const entries = await entriesOf(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>));
    expect([...entries.keys()]).toEqual(['sensorhub-backup.json', 'sensorhub.duckdb']);
    expect(JSON.parse(String(entries.get('sensorhub-backup.json')))).toMatchObject({
      blobs: false,
      blobsNote: expect.stringContaining('S3'),
    });
  });

  it('refuses for the memory store (nothing durable) with STO_BACKUP_UNSUPPORTED', async () => {
    const memory = new MemoryStore();
    await memory.start();
    const res = await (await serve(memory))();
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({
      code: 'STO_BACKUP_UNSUPPORTED',
      error: expect.stringContaining('keeps nothing on disk'),
    });
  });

  it('points PostgreSQL users to pg_dump', async () => {
    const pg = new PostgresStore({ url: 'postgres://sensorhub@127.0.0.1:1/sensorhub', schema: 'sensorhub' });
    await expect(pg.backup('/nonexistent/x')).rejects.toMatchObject({
      code: 'STO_BACKUP_UNSUPPORTED',
      message: expect.stringContaining('pg_dump'),
    });
  });

  it('refuses to overwrite an existing file (STO_BACKUP_FAILED), leaving it alone', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'taken'), 'mine');
    await expect(store.backup(join(dir, 'taken'))).rejects.toMatchObject({ code: 'STO_BACKUP_FAILED' });
    expect(await readFile(join(dir, 'taken'), 'utf8')).toBe('mine');
  });
});

describe('backup tar format', () => {
  it('round-trips long names (pax) and streams bodies', async () => {
    const long = `blobs/${'a'.repeat(150)}/${'b'.repeat(120)}.bin`;
    async function* body() {
      yield Buffer.from('hello ');
      yield Buffer.from('world');
    }
    const chunks: Buffer[] = [];
    for await (const c of writeTar([
      { name: 'short.txt', size: 3, mtime: 1, body: Buffer.from('abc') },
      { name: long, size: 11, mtime: 1, body: body() },
    ]))
      chunks.push(c);
    const archive = Buffer.concat(chunks);
    expect(archive.length % 512).toBe(0);
    const entries = await entriesOf(Readable.from([archive]));
    expect(entries.get('short.txt')?.toString()).toBe('abc');
    expect(entries.get(long)?.toString()).toBe('hello world');

    // Cut anywhere, the archive is refused, never read as complete.
    for (const cut of [100, 512, 1500, archive.length - 512]) {
      await expect(entriesOf(Readable.from([archive.subarray(0, cut)]))).rejects.toBeInstanceOf(TarError);
    }
    // A flipped byte in a header fails its checksum.
    const damaged = Buffer.from(archive);
    damaged[10] = 0x41;
    await expect(entriesOf(Readable.from([damaged]))).rejects.toThrow(/checksum/);
  });

  it('refuses a body of another size than declared', async () => {
    const run = async () => {
      for await (const _ of writeTar([
        { name: 'x', size: 5, mtime: 0, body: Readable.from([Buffer.from('abc')]) },
      ])) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow(/3 bytes read, 5 expected/);
  });

  it('restores from an archive file stream with unexpected entries refused', async () => {
    const chunks: Buffer[] = [];
    const manifest = Buffer.from(
      JSON.stringify({ format: 'sensorhub-backup', version: 1, created: 'x', store: { bytes: 0 } }),
    );
    for await (const c of writeTar([
      { name: 'sensorhub-backup.json', size: manifest.length, mtime: 0, body: manifest },
      { name: '../../etc/passwd', size: 1, mtime: 0, body: Buffer.from('x') },
    ]))
      chunks.push(c);
    const dir = await tempDir();
    await writeFile(join(dir, 'evil.tar'), Buffer.concat(chunks));
    await expect(
      restoreBackup({ from: join(dir, 'evil.tar'), dataDir: join(dir, 'data'), force: false }),
    ).rejects.toThrow(/unexpected entry \.\.\/\.\.\/etc\/passwd/);
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  });
});

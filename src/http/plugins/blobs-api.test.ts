import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../auth/authenticator.js';
import { systemClock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { type BlobStore, blobHashOf, blobKey } from '../../ingest/blobs/blob-store.js';
import { FsBlobStore } from '../../ingest/blobs/fs-blob-store.js';
import { MemoryBlobStore } from '../../ingest/blobs/memory-blob-store.js';
import { MemoryStore } from '../../storage/memory/memory-store.js';
import { blobsRoutes } from './blobs-api.js';

const ADMIN = `Basic ${Buffer.from('admin:admin-password').toString('base64')}`;
const VIEWER = `Basic ${Buffer.from('grafana:viewer-password').toString('base64')}`;
const CLIENT = `Basic ${Buffer.from('cam01:client-password').toString('base64')}`;

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const T = Date.UTC(2026, 10, 22, 6, 6, 23) * 1000;

const keyOf = (data: Buffer, contentType: string) =>
  blobKey({
    database: 'sensorhub',
    measurement: 'images',
    tags: { kpi: 'engineTemp' },
    time: T,
    data,
    contentType,
  });

/** The plugin inside a fastify app with server.ts's error mapping (AppError → status and {code, error}). */
async function appWith(auth: Authenticator, blobs: BlobStore): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof AppError) return reply.status(err.status).send({ code: err.code, error: err.message });
    return reply.status(500).send({ code: 'INTERNAL', error: String(err) });
  });
  await app.register(blobsRoutes, { auth, blobs });
  await app.ready();
  return app;
}

let auth: Authenticator;
let blobs: MemoryBlobStore;
let app: FastifyInstance;
let pngKey: string;
let htmlKey: string;

beforeAll(async () => {
  const store = new MemoryStore();
  await store.start();
  auth = new Authenticator({
    store,
    clock: systemClock,
    logger: silentLogger,
    allowAnonymous: false,
    adminPassword: 'admin-password',
    announce: () => {},
    failures: { maxFailures: 100, windowMs: 60_000, blockMs: 60_000 },
  });
  await auth.start();
  await auth.users.add({ name: 'grafana', role: 'viewer', password: 'viewer-password' });
  await auth.users.add({ name: 'cam01', role: 'client', password: 'client-password' });

  blobs = new MemoryBlobStore();
  await blobs.start();
  pngKey = keyOf(PNG, 'image/png');
  await blobs.put(pngKey, PNG, 'image/png');
  const html = Buffer.from('<script>alert(1)</script>');
  htmlKey = keyOf(html, 'text/html');
  await blobs.put(htmlKey, html, 'text/html');
  app = await appWith(auth, blobs);
});

afterAll(async () => {
  await app.close();
});

describe('GET /api/v1/blobs/<key>', () => {
  it('serves the bytes with their type, an immutable cache policy and the content hash as ETag', async () => {
    const res = await app.inject({ url: `/api/v1/blobs/${pngKey}`, headers: { authorization: VIEWER } });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(PNG)).toBe(true);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(PNG.length));
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(res.headers.etag).toBe(`"${blobHashOf(pngKey)}"`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('answers 304 without a body when If-None-Match holds the ETag (also weak, in a list, or *)', async () => {
    const etag = `"${blobHashOf(pngKey)}"`;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await app.inject({
        url: `/api/v1/blobs/${pngKey}`,
        headers: { authorization: ADMIN, 'if-none-match': header },
      });
      expect(res.statusCode, header).toBe(304);
      expect(res.rawPayload.length).toBe(0);
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    }
    const stale = await app.inject({
      url: `/api/v1/blobs/${pngKey}`,
      headers: { authorization: ADMIN, 'if-none-match': '"0000000000000000"' },
    });
    expect(stale.statusCode).toBe(200);
  });

  it('answers HEAD with the headers only', async () => {
    const res = await app.inject({
      method: 'HEAD',
      url: `/api/v1/blobs/${pngKey}`,
      headers: { authorization: ADMIN },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.length).toBe(0);
  });

  it('serves types a browser could execute as a download', async () => {
    const res = await app.inject({ url: `/api/v1/blobs/${htmlKey}`, headers: { authorization: ADMIN } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${htmlKey.split('/').pop()}"`);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
  });

  it('404 BLOB_NOT_FOUND for a missing key and for keys that are not keys (traversal and the like)', async () => {
    const missing = keyOf(Buffer.from('never stored'), 'image/png');
    for (const url of [
      `/api/v1/blobs/${missing}`,
      '/api/v1/blobs/',
      '/api/v1/blobs/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/blobs/.hidden',
      '/api/v1/blobs/a%00b',
    ]) {
      const res = await app.inject({ url, headers: { authorization: ADMIN } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code, url).toBe('BLOB_NOT_FOUND');
    }
    // Encoded dot segments are resolved by the router before routing: they never reach this route.
    const dots = await app.inject({
      url: '/api/v1/blobs/a/%2e%2e/%2e%2e/secret',
      headers: { authorization: ADMIN },
    });
    expect(dots.statusCode).toBe(404);
    const res = await app.inject({ url: `/api/v1/blobs/${missing}`, headers: { authorization: ADMIN } });
    expect(res.json()).toEqual({ code: 'BLOB_NOT_FOUND', error: `no blob "${missing}"` });
  });

  it('needs an admin or viewer: 401 without credentials, 403 for a device (client) user', async () => {
    const none = await app.inject({ url: `/api/v1/blobs/${pngKey}` });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('AUTH_REQUIRED');
    const client = await app.inject({ url: `/api/v1/blobs/${pngKey}`, headers: { authorization: CLIENT } });
    expect(client.statusCode).toBe(403);
    expect(client.json().code).toBe('AUTH_FORBIDDEN');
    // InfluxDB 1.x style u/p parameters work too; the query string is not part of the key.
    const up = await app.inject({ url: `/api/v1/blobs/${pngKey}?u=admin&p=admin-password` });
    expect(up.statusCode).toBe(200);
  });
});

describe('GET /api/v1/blobs over a real socket, from the filesystem store', () => {
  let dataDir: string;
  let fsBlobs: FsBlobStore;
  let server: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-blobs-api-'));
    await writeFile(join(dataDir, 'secret.txt'), 'not a blob');
    fsBlobs = new FsBlobStore({ dir: join(dataDir, 'blobs') });
    await fsBlobs.start();
    server = await appWith(auth, fsBlobs);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await server.close();
    await fsBlobs.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('downloads a stored JPEG, then revalidates it with If-None-Match', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200_000, 0x42)]);
    const key = keyOf(jpeg, 'image/jpeg');
    const stored = await fsBlobs.put(key, jpeg, 'image/jpeg');

    const res = await fetch(`${base}${stored.url}`, { headers: { authorization: ADMIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(jpeg)).toBe(true);

    const again = await fetch(`${base}${stored.url}`, {
      headers: { authorization: ADMIN, 'if-none-match': res.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('does not serve files outside the blob directory', async () => {
    // fetch would normalise `..` away, so the raw path is sent encoded.
    for (const path of ['/api/v1/blobs/..%2Fsecret.txt', '/api/v1/blobs/..%2F..%2Fsecret.txt']) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: ADMIN } });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('BLOB_NOT_FOUND');
    }
    const dots = await fetch(`${base}/api/v1/blobs/%2e%2e/%2e%2e/secret.txt`, {
      headers: { authorization: ADMIN },
    });
    expect(dots.status).toBe(404);
    expect(await dots.text()).not.toContain('not a blob');
  });
});

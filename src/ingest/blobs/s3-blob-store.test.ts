import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { blobStoreContract, keyFor } from './blob-store-contract.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
import { loadS3Credentials } from './s3-credentials.js';

/**
 * End to end against s3rver, a real S3-compatible server. s3rver checks the access key, the shape of the
 * Authorization header and the clock skew, but (its source says so) not the SigV4 signature itself nor
 * the payload hash. So requests pass through a small proxy that recomputes the signature from the request
 * exactly as it arrived on the wire, with its own code (not sigv4.ts), the way S3 does, and checks the
 * body against x-amz-content-sha256. The algorithm itself is pinned by AWS's test vectors in sigv4.test.ts;
 * this proves that what fetch sends is what was signed.
 */

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const BUCKET = 'camera-images';

function rfc3986(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const mac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Why S3 would refuse this request's signature, or undefined when it would accept it. */
function signatureProblem(req: IncomingMessage, body: Buffer): string | undefined {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `malformed Authorization header: ${auth}`;
  const [, accessKey, date, region, signedHeaders, signature] = m as unknown as string[];
  if (accessKey !== ACCESS_KEY) return undefined; // s3rver itself answers unknown keys
  const signed = (signedHeaders as string).split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!signed.includes(required)) return `${required} is not signed`;
  const amzDate = String(req.headers['x-amz-date']);
  if (!amzDate.startsWith(date as string)) return 'x-amz-date and the credential scope disagree';
  const payload = String(req.headers['x-amz-content-sha256']);
  if (payload !== hex(body)) return 'XAmzContentSHA256Mismatch';

  const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?');
  const path = rawPath
    .split('/')
    .map((s) => rfc3986(decodeURIComponent(s)))
    .join('/');
  const query = [...new URLSearchParams(rawQuery)]
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const headerLines = signed.map(
    (h) =>
      `${h}:${String(req.headers[h] ?? '')
        .trim()
        .replace(/\s+/g, ' ')}`,
  );
  const canonical = [req.method, path, query, ...headerLines, '', signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key = mac(mac(mac(mac(`AWS4${SECRET_KEY}`, date as string), region as string), 's3'), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === signature ? undefined : 'SignatureDoesNotMatch';
}

interface Harness {
  endpoint: string;
  directS3: string;
  requests: Array<{ method: string; url: string; host: string }>;
  close(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const directory = await mkdtemp(join(tmpdir(), 'sensorhub-s3rver-'));
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: false,
    configureBuckets: [{ name: BUCKET }],
  });
  const s3Address = await s3.run();
  const requests: Harness['requests'] = [];
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
      const problem = signatureProblem(req, body);
      if (problem !== undefined) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0"?><Error><Code>${problem}</Code><Message>checked by the test proxy</Message></Error>`,
        );
        return;
      }
      const upstream = request(
        { host: '127.0.0.1', port: s3Address.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directS3: `http://127.0.0.1:${s3Address.port}`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

function s3Store(overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  return new S3BlobStore({
    endpoint: harness.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    prefix: `test-${randomBytes(4).toString('hex')}/`,
    forcePathStyle: true,
    credentials: async () => ({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }),
    logger: silentLogger,
    timeoutMs: 5000,
    ...overrides,
  });
}

blobStoreContract('s3 (s3rver)', async () => ({ store: s3Store(), cleanup: async () => {} }));

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('S3BlobStore against a real S3-compatible server', () => {
  it('sends path-style requests under the prefix, signed, with the exact content type kept', async () => {
    const store = s3Store({ prefix: '/sensorhub' });
    await store.start();
    const data = Buffer.from('II*\u0000 tiff bytes');
    const key = keyFor(data, 'image/tiff');
    const before = harness.requests.length;
    await store.put(key, data, 'image/tiff');
    const put = harness.requests[before];
    expect(put?.method).toBe('PUT');
    expect(put?.url).toBe(`/${BUCKET}/sensorhub/${key.replace('=', '%3D')}`);
    const got = await store.get(key);
    expect(got?.contentType).toBe('image/tiff');
    expect(got?.data.equals(data)).toBe(true);
    expect(harness.requests.slice(before).every((r) => r.host === new URL(harness.endpoint).host)).toBe(true);
    await store.stop();
  });

  it('a refused put is BLOB_WRITE_FAILED with the server’s reason (s3rver: clock skew over 15 minutes)', async () => {
    let skewMs = 0;
    const store = s3Store({ now: () => new Date(Date.now() + skewMs) });
    await store.start();
    skewMs = 60 * 60_000;
    const data = Buffer.from('x');
    const err = await rejection(store.put(keyFor(data, 'text/plain'), data, 'text/plain'));
    expect(err.code).toBe('BLOB_WRITE_FAILED');
    expect(err.message).toMatch(
      /^could not store blob: S3 PUT http:\/\/127\.0\.0\.1:\d+\/camera-images\/test-[0-9a-f]{8}\/sensorhub\/.* failed: 403 RequestTimeTooSkewed: /,
    );
    await store.stop();
  });

  it('fails to start with CFG_INVALID when the signature is wrong (a wrong secret)', async () => {
    const store = s3Store({
      credentials: async () => ({ accessKeyId: ACCESS_KEY, secretAccessKey: 'wrong' }),
    });
    const err = await rejection(store.start());
    expect(err.code).toBe('CFG_INVALID');
    expect(err.message).toMatch(/refused the credentials \(HTTP 403\); check SENSORHUB_S3_ACCESS_KEY_ID/);
  });

  it('fails to start with CFG_INVALID for an unknown access key (s3rver’s own check) or a missing bucket', async () => {
    const unknownKey = s3Store({
      endpoint: harness.directS3,
      credentials: async () => ({ accessKeyId: 'NOBODY', secretAccessKey: 'x' }),
    });
    const e1 = await rejection(unknownKey.start());
    expect(e1.code).toBe('CFG_INVALID');
    expect(e1.message).toMatch(/refused the credentials \(HTTP 403\)/);

    const noBucket = s3Store({ bucket: 'no-such-bucket' });
    const e2 = await rejection(noBucket.start());
    expect(e2.code).toBe('CFG_INVALID');
    expect(e2.message).toContain('blobs.s3.bucket: bucket "no-such-bucket" does not exist');
  });

  it('starts while the server is unreachable, and fails puts with BLOB_WRITE_FAILED until it answers', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const store = s3Store({ endpoint: `http://127.0.0.1:${port}` });
    await store.start();
    const data = Buffer.from('x');
    const err = await rejection(store.put(keyFor(data, 'text/plain'), data, 'text/plain'));
    expect(err.code).toBe('BLOB_WRITE_FAILED');
    expect(err.message).toContain(`S3 PUT http://127.0.0.1:${port}/camera-images/`);
    expect(err.message).toMatch(/fetch failed/);
    await store.stop();
  });
});

describe('S3BlobStore addressing', () => {
  const base = {
    region: 'eu-central-1',
    bucket: 'camera-images',
    prefix: '',
    credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
    logger: silentLogger,
  };

  it('path style: <endpoint>/<bucket>/<key>, keeping an endpoint path and port', () => {
    const s = new S3BlobStore({ ...base, endpoint: 'http://minio:9000/s3/', forcePathStyle: true });
    const t = s.target('db/m/_/2026/01/02/030405.000006-0123456789abcdef.png');
    expect(t.url.href).toBe(
      'http://minio:9000/s3/camera-images/db/m/_/2026/01/02/030405.000006-0123456789abcdef.png',
    );
    expect(t.path).toBe('/s3/camera-images/db/m/_/2026/01/02/030405.000006-0123456789abcdef.png');
    expect(s.target(undefined).path).toBe('/s3/camera-images');
  });

  it('virtual-host style: <bucket>.<host>/<key>; AWS in the region when no endpoint is given', () => {
    const s = new S3BlobStore({ ...base, endpoint: '', prefix: 'a/b', forcePathStyle: false });
    const t = s.target('db/m/k=v/x.png');
    expect(t.url.host).toBe('camera-images.s3.eu-central-1.amazonaws.com');
    expect(t.path).toBe('/a/b/db/m/k%3Dv/x.png');
    expect(t.url.pathname).toBe(t.path);
    expect(s.target(undefined).path).toBe('/');
  });
});

describe('S3 credentials', () => {
  it('come from SENSORHUB_S3_* variables, or from the files their _FILE variants name', async () => {
    expect(
      await loadS3Credentials({
        SENSORHUB_S3_ACCESS_KEY_ID: 'admin',
        SENSORHUB_S3_SECRET_ACCESS_KEY: 'alongerpw',
      }),
    ).toEqual({ accessKeyId: 'admin', secretAccessKey: 'alongerpw' });

    const dir = await mkdtemp(join(tmpdir(), 'sensorhub-s3-secret-'));
    try {
      await writeFile(join(dir, 'id'), 'admin\n');
      await writeFile(join(dir, 'secret'), 'alongerpw\n');
      await writeFile(join(dir, 'empty'), '\n');
      expect(
        await loadS3Credentials({
          SENSORHUB_S3_ACCESS_KEY_ID_FILE: join(dir, 'id'),
          SENSORHUB_S3_SECRET_ACCESS_KEY_FILE: join(dir, 'secret'),
          SENSORHUB_S3_SESSION_TOKEN: 'tok',
        }),
      ).toEqual({ accessKeyId: 'admin', secretAccessKey: 'alongerpw', sessionToken: 'tok' });

      const empty = await rejection(
        loadS3Credentials({
          SENSORHUB_S3_ACCESS_KEY_ID: 'a',
          SENSORHUB_S3_SECRET_ACCESS_KEY_FILE: join(dir, 'empty'),
        }),
      );
      expect(empty.code).toBe('CFG_INVALID');
      expect(empty.message).toContain(`SENSORHUB_S3_SECRET_ACCESS_KEY_FILE: ${join(dir, 'empty')} is empty`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('missing ones are named in a CFG_INVALID error', async () => {
    const err = await rejection(loadS3Credentials({ SENSORHUB_S3_ACCESS_KEY_ID: 'a' }));
    expect(err.code).toBe('CFG_INVALID');
    expect(err.message).toContain('blobs.s3: blobs.type is s3 but SENSORHUB_S3_SECRET_ACCESS_KEY is not set');
  });
});

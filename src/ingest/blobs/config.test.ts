import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { blobKey } from './blob-store.js';
import { blobStoreSchema, createBlobStore, DEFAULT_BLOB_MAX_SIZE } from './config.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

function issues(input: unknown): string[] {
  const r = blobStoreSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('blobStoreSchema', () => {
  it('defaults to files, 16 MiB, and path-style S3 in us-east-1', () => {
    expect(blobStoreSchema.parse({})).toEqual({
      type: 'fs',
      maxSize: DEFAULT_BLOB_MAX_SIZE,
      s3: { endpoint: '', region: 'us-east-1', bucket: '', prefix: '', forcePathStyle: true },
    });
  });

  it('reads sizes and booleans as the env and flags give them', () => {
    const c = blobStoreSchema.parse({
      type: 's3',
      maxSize: '4MiB',
      s3: { endpoint: 'http://minio:9000', bucket: 'camera-images', forcePathStyle: 'false' },
    });
    expect(c.maxSize).toBe(4 * 1024 * 1024);
    expect(c.s3.forcePathStyle).toBe(false);
  });

  it('names every mistake by its path', () => {
    expect(issues({ type: 's3' })).toEqual(['s3.bucket: blobs.type is s3: name the bucket']);
    expect(issues({ type: 's3', s3: { bucket: 'Camera_Images' } })).toEqual([
      's3.bucket: "Camera_Images" is not a bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)',
    ]);
    expect(issues({ maxSize: 'huge' })).toEqual(['maxSize: "huge" is not a size (e.g. 256KiB, 1MB, 4096)']);
    expect(issues({ s3: { endpoint: 'minio:9000' } })[0]).toMatch(
      /^s3\.endpoint: expected http:\/\/host:port/,
    );
    expect(issues({ s3: { endpoint: 'http://admin:pw@minio:9000' } })[0]).toMatch(
      /^s3\.endpoint: credentials do not go in the URL/,
    );
    expect(issues({ s3: { prefix: '../up' } })[0]).toMatch(/^s3\.prefix: a prefix is path segments/);
    expect(issues({ type: 'ftp' })[0]).toMatch(/^type: /);
    expect(issues({ s3: { accessKeyId: 'inline' } })[0]).toMatch(/accessKeyId/);
  });
});

describe('createBlobStore', () => {
  it('builds the filesystem store under <dataDir>/blobs', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-blobs-'));
    try {
      const store = createBlobStore(blobStoreSchema.parse({}), dataDir, silentLogger);
      expect(store).toBeInstanceOf(FsBlobStore);
      await store.start();
      const data = Buffer.from('hello');
      const key = blobKey({
        database: 'db',
        measurement: 'm',
        tags: {},
        time: 0,
        data,
        contentType: 'text/plain',
      });
      await store.put(key, data, 'text/plain');
      expect((await store.get(key))?.data.toString()).toBe('hello');
      await store.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('builds the S3 store, whose start fails with CFG_INVALID when the credentials are not in the env', async () => {
    const config = blobStoreSchema.parse({
      type: 's3',
      s3: { endpoint: 'http://127.0.0.1:9', bucket: 'camera-images' },
    });
    const store = createBlobStore(config, '/nonexistent', silentLogger, {});
    expect(store).toBeInstanceOf(S3BlobStore);
    await expect(store.start()).rejects.toMatchObject({
      code: 'CFG_INVALID',
      message: expect.stringContaining(
        'SENSORHUB_S3_ACCESS_KEY_ID and SENSORHUB_S3_SECRET_ACCESS_KEY are not set',
      ),
    });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { type BlobStore, blobKey } from './blob-store.js';
import { essenceOf } from './content-type.js';

export interface BlobStoreFixture {
  readonly store: BlobStore;
  readonly cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2026, 10, 22, 6, 6, 23) * 1000 + 300_123;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

export function keyFor(data: Buffer, contentType = 'image/png', time = T0, tags = { kpi: 'engineTemp' }) {
  return blobKey({ database: 'sensorhub', measurement: 'images', tags, time, data, contentType });
}

/** Keys no store may act on: each would escape the store's root or name something blobKey() never makes. */
export const HOSTILE_KEYS = [
  '',
  '..',
  '../secret.txt',
  '../../secret.txt',
  'a/../../secret.txt',
  'a/./b.png',
  '/etc/passwd',
  '//etc/passwd',
  'a//b.png',
  'a/b/',
  '.hidden',
  'a/.b.png.1234.tmp',
  '..\\secret.txt',
  'a\\..\\..\\secret.txt',
  'a/b\u0000.png',
  'a/b\n.png',
  '%2e%2e/secret.txt',
  'a/b c.png',
  'ключ/b.png',
  `${'a'.repeat(300)}/b.png`,
  `${'a/'.repeat(600)}b.png`,
];

async function expectCode(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with ${code}`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

/** The suite every BlobStore driver passes. `make` returns a store that is not started yet. */
export function blobStoreContract(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`${name} blob store contract`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      await store.start();
    });

    afterEach(async () => {
      await store.stop();
      await fixture.cleanup();
    });

    it('stores and returns the bytes and type, under the URL the route serves', async () => {
      const key = keyFor(PNG);
      expect(await store.put(key, PNG, 'image/png')).toEqual({ key, url: `/api/v1/blobs/${key}` });
      const got = await store.get(key);
      expect(got?.data.equals(PNG)).toBe(true);
      expect(essenceOf(got?.contentType ?? '')).toBe('image/png');
    });

    it('keeps every byte value, an empty blob and a large one', async () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const large = Buffer.alloc(3 * 1024 * 1024 + 17, 0xab);
      for (const data of [all, Buffer.alloc(0), large]) {
        const key = keyFor(data, 'application/octet-stream');
        await store.put(key, data, 'application/octet-stream');
        expect((await store.get(key))?.data.equals(data)).toBe(true);
      }
    });

    it('answers undefined for a key that was never stored', async () => {
      expect(await store.get(keyFor(Buffer.from('never')))).toBeUndefined();
    });

    it('deletes: true when the blob was there, false after', async () => {
      const key = keyFor(PNG);
      await store.put(key, PNG, 'image/png');
      expect(await store.delete(key)).toBe(true);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.delete(key)).toBe(false);
    });

    it('stores the same blob twice without harm (a re-delivered message)', async () => {
      const key = keyFor(PNG);
      await store.put(key, PNG, 'image/png');
      await store.put(key, PNG, 'image/png');
      expect((await store.get(key))?.data.equals(PNG)).toBe(true);
    });

    it('takes concurrent puts, each retrievable', async () => {
      const blobs = Array.from({ length: 24 }, (_, i) => Buffer.from(`blob ${i} `.repeat(i + 1)));
      const keys = blobs.map((b, i) => keyFor(b, 'text/plain', T0 + i * 86_400_000_000));
      await Promise.all(blobs.map((b, i) => store.put(keys[i] as string, b, 'text/plain')));
      for (const [i, key] of keys.entries())
        expect((await store.get(key))?.data.equals(blobs[i] as Buffer)).toBe(true);
    });

    it('refuses hostile keys: put fails with BLOB_WRITE_FAILED, get and delete find nothing', async () => {
      for (const key of HOSTILE_KEYS) {
        await expectCode(store.put(key, PNG, 'image/png'), 'BLOB_WRITE_FAILED');
        expect(await store.get(key), key).toBeUndefined();
        expect(await store.delete(key), key).toBe(false);
      }
    });

    it('refuses puts before start and after stop', async () => {
      const other = await make();
      try {
        const key = keyFor(PNG);
        const err = await expectCode(other.store.put(key, PNG, 'image/png'), 'BLOB_WRITE_FAILED');
        expect(err.message).toMatch(/not started/);
        await other.store.start();
        await other.store.put(key, PNG, 'image/png');
        await other.store.stop();
        await expectCode(other.store.put(key, PNG, 'image/png'), 'BLOB_WRITE_FAILED');
      } finally {
        await other.store.stop();
        await other.cleanup();
      }
    });
  });
}

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { blobStoreContract, HOSTILE_KEYS, keyFor } from './blob-store-contract.js';
import { FsBlobStore } from './fs-blob-store.js';

blobStoreContract('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sensorhub-blobs-'));
  return {
    store: new FsBlobStore({ dir: join(dir, 'blobs') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('FsBlobStore on disk', () => {
  let dataDir: string;
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-blobs-'));
    root = join(dataDir, 'blobs');
    store = new FsBlobStore({ dir: root });
    await store.start();
  });

  afterEach(async () => {
    await store.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes the blob as <dataDir>/blobs/<key>, with no temporary file left behind', async () => {
    const data = Buffer.from('%PDF-1.7 report');
    const key = keyFor(data, 'application/pdf');
    await store.put(key, data, 'application/pdf');
    expect(await filesUnder(root)).toEqual([key]);
    expect((await readFile(join(root, key))).equals(data)).toBe(true);
    expect(key).toMatch(
      /^sensorhub\/images\/kpi=engineTemp\/2026\/11\/22\/060623\.300123-[0-9a-f]{16}\.pdf$/,
    );
  });

  it('answers the type its extension stands for; unknown types come back as application/octet-stream', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const jpegKey = keyFor(jpeg, 'image/jpeg');
    await store.put(jpegKey, jpeg, 'image/jpeg');
    expect((await store.get(jpegKey))?.contentType).toBe('image/jpeg');

    const heic = Buffer.from('ftypheic');
    const heicKey = keyFor(heic, 'image/heic');
    expect(heicKey.endsWith('.bin')).toBe(true);
    await store.put(heicKey, heic, 'image/heic');
    expect((await store.get(heicKey))?.contentType).toBe('application/octet-stream');

    const text = Buffer.from('hello');
    const textKey = keyFor(text, 'text/plain; charset=utf-8');
    await store.put(textKey, text, 'text/plain; charset=utf-8');
    expect((await store.get(textKey))?.contentType).toBe('text/plain; charset=utf-8');
  });

  it('cannot be made to read, delete or write outside its directory', async () => {
    const secret = join(dataDir, 'secret.txt');
    await writeFile(secret, 'do not touch');
    await mkdir(join(root, 'a'), { recursive: true });
    // A temporary-looking file inside the root is not servable either: keys never start with a dot.
    await writeFile(join(root, 'a', '.b.png.1234.tmp'), 'half written');
    for (const key of HOSTILE_KEYS) {
      expect(await store.get(key), key).toBeUndefined();
      expect(await store.delete(key), key).toBe(false);
      await expect(store.put(key, Buffer.from('x'), 'text/plain'), key).rejects.toThrow(AppError);
    }
    expect(await readFile(secret, 'utf8')).toBe('do not touch');
    expect((await readdir(dataDir)).sort()).toEqual(['blobs', 'secret.txt']);
    expect(await filesUnder(root)).toEqual(['a/.b.png.1234.tmp']);
  });

  it('a directory is not a blob', async () => {
    const data = Buffer.from('x');
    const key = keyFor(data, 'text/plain');
    await store.put(key, data, 'text/plain');
    const dirKey = key.slice(0, key.lastIndexOf('/'));
    expect(await store.get(dirKey)).toBeUndefined();
    expect(await store.delete(dirKey)).toBe(false);
  });

  it('fails with BLOB_WRITE_FAILED naming the file and the reason, and leaves nothing behind', async () => {
    // A file where the store needs a directory: mkdir below it fails with ENOTDIR.
    await writeFile(join(root, 'sensorhub'), 'in the way');
    const data = Buffer.from('payload');
    const key = keyFor(data, 'text/plain');
    const err = await store.put(key, data, 'text/plain').then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    expect(err?.code).toBe('BLOB_WRITE_FAILED');
    expect(err?.message).toContain(join(root, key));
    expect(err?.message).toMatch(/ENOTDIR/);
    expect(await filesUnder(root)).toEqual(['sensorhub']);

    // Once the obstacle is gone the same put succeeds: a failed directory is not remembered as made.
    await rm(join(root, 'sensorhub'));
    await store.put(key, data, 'text/plain');
    expect((await store.get(key))?.data.toString()).toBe('payload');
  });

  it('recovers when directories are removed behind its back (old days pruned by hand)', async () => {
    const first = Buffer.from('first');
    await store.put(keyFor(first, 'text/plain'), first, 'text/plain');
    await rm(join(root, 'sensorhub'), { recursive: true });
    const second = Buffer.from('second');
    const key = keyFor(second, 'text/plain');
    await store.put(key, second, 'text/plain');
    expect((await store.get(key))?.data.toString()).toBe('second');
  });

  it('stop() waits for the puts in flight', async () => {
    const data = Buffer.alloc(4 * 1024 * 1024, 7);
    const key = keyFor(data, 'application/octet-stream');
    let done = false;
    const put = store.put(key, data, 'application/octet-stream').then(() => {
      done = true;
    });
    await store.stop();
    expect(done).toBe(true);
    await put;
    expect((await readFile(join(root, key))).length).toBe(data.length);
  });

  it('keeps blobs across a restart', async () => {
    const data = Buffer.from('GIF89a....');
    const key = keyFor(data, 'image/gif');
    await store.put(key, data, 'image/gif');
    await store.stop();
    const again = new FsBlobStore({ dir: root });
    await again.start();
    expect((await again.get(key))?.data.equals(data)).toBe(true);
    await again.stop();
  });
});

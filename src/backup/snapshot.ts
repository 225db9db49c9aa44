import type { Dirent } from 'node:fs';
import { type FileHandle, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isValidBlobKey } from '../ingest/blobs/blob-store.js';
import type { TimeSeriesStore } from '../storage/store.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupManifest,
  BLOBS_DIR,
  MANIFEST_NAME,
  STORE_FILE,
} from './manifest.js';
import { type TarFile, writeTar } from './tar.js';

export interface SnapshotOptions {
  readonly store: TimeSeriesStore;
  /** `<dataDir>/blobs`, whose files go into the archive; undefined leaves blobs out (blobsNote says why). */
  readonly blobsDir: string | undefined;
  readonly blobsNote?: string;
  /** Where the store copy is written before it is streamed; it is removed afterwards. */
  readonly scratchDir: string;
  /** Name and version of the server, for the manifest. */
  readonly server: string;
  readonly nowMs: () => number;
}

export interface Snapshot {
  readonly manifest: BackupManifest;
  /** The tar archive, to be read once; the scratch copy is removed when it ends, fails or is abandoned. */
  readonly archive: AsyncGenerator<Buffer>;
  /** Removes the scratch copy now (for an archive that will never be read); safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * Takes a backup: first the store's consistent copy (so the backup holds every write acknowledged before
 * this call), then the blob files. Blobs are written (durably) before the point that names them is
 * committed, so every blob the copy refers to is already on disk when the directory is read; blobs that
 * arrive later may be in the archive too, unreferenced and harmless.
 */
export async function takeSnapshot(opts: SnapshotOptions): Promise<Snapshot> {
  const dir = await mkdtemp(join(opts.scratchDir, '.sensorhub-backup-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = join(dir, STORE_FILE);
  const createdMs = opts.nowMs();
  let bytes: number;
  try {
    ({ bytes } = await opts.store.backup(file));
  } catch (err) {
    await dispose();
    throw err;
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    created: new Date(createdMs).toISOString(),
    server: opts.server,
    store: { file: STORE_FILE, bytes },
    blobs: opts.blobsDir !== undefined,
    ...(opts.blobsNote === undefined ? {} : { blobsNote: opts.blobsNote }),
  };
  const mtime = Math.floor(createdMs / 1000);
  const blobsDir = opts.blobsDir;
  async function* files(): AsyncGenerator<TarFile> {
    const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    yield { name: MANIFEST_NAME, size: text.length, mtime, body: text };
    yield* fileEntry(file, STORE_FILE);
    if (blobsDir !== undefined) {
      for await (const path of walk(blobsDir)) {
        const key = relative(blobsDir, path).split(sep).join('/');
        // Temporary files of puts in flight (and anything else that is not a blob) stay out.
        if (isValidBlobKey(key)) yield* fileEntry(path, `${BLOBS_DIR}/${key}`);
      }
    }
  }
  async function* archive(): AsyncGenerator<Buffer> {
    try {
      yield* writeTar(files());
    } finally {
      await dispose();
    }
  }
  return { manifest, archive: archive(), dispose };
}

/** One file as an archive entry, read through one open handle; a file gone before it is opened is skipped. */
async function* fileEntry(path: string, name: string): AsyncGenerator<TarFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const info = await handle.stat();
    const size = info.size;
    yield { name, size, mtime: Math.floor(info.mtimeMs / 1000), body: chunksOf(handle, size) };
  } finally {
    await handle.close();
  }
}

const CHUNK = 256 * 1024;

async function* chunksOf(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  let position = 0;
  while (position < size) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Every regular file under `dir` (none when it does not exist). */
async function* walk(dir: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* walk(path);
    else if (e.isFile()) yield path;
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { AppError, errorMessage } from '../../core/errors.js';
import { type BlobContent, type BlobStore, blobUrl, isValidBlobKey, type StoredBlob } from './blob-store.js';
import { contentTypeForExtension, OCTET_STREAM } from './content-type.js';

export interface FsBlobStoreOptions {
  /** The directory blobs live in: `<dataDir>/blobs`. */
  readonly dir: string;
}

/** Directories known to exist durably; bounded, as one is made per series and day. */
const MAX_KNOWN_DIRS = 10_000;
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** fsync on a directory makes the entries created or renamed in it durable (POSIX leaves that to us). */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files under `<dataDir>/blobs/<key>`. A put writes a temporary file beside the target, fsyncs
 * it, renames it into place and fsyncs the directory (and every directory it had to create), so a blob
 * is either complete and durable or absent, never torn, when put() resolves. No metadata is kept beside a
 * blob: its content type is the one its extension stands for (content-type.ts), which blobKey() chose
 * from the type it was stored with.
 */
export class FsBlobStore implements BlobStore {
  readonly #root: string;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #knownDirs = new Map<string, Promise<void>>();
  #started = false;

  constructor(opts: FsBlobStoreOptions) {
    this.#root = resolve(opts.dir);
  }

  async start(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    await fsyncDir(dirname(this.#root));
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.allSettled([...this.#inflight]);
  }

  put(key: string, data: Buffer, _contentType: string): Promise<StoredBlob> {
    if (!this.#started) {
      return Promise.reject(
        new AppError('BLOB_WRITE_FAILED', `could not store blob "${key}": the blob store is not started`),
      );
    }
    const path = this.#pathOf(key);
    if (path === undefined) {
      return Promise.reject(
        new AppError('BLOB_WRITE_FAILED', `could not store blob: ${JSON.stringify(key)} is not a blob key`),
      );
    }
    const write = this.#write(key, path, data);
    this.#inflight.add(write);
    const forget = () => this.#inflight.delete(write);
    write.then(forget, forget);
    return write;
  }

  async get(key: string): Promise<BlobContent | undefined> {
    const path = this.#pathOf(key);
    if (path === undefined) return undefined;
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '')) return undefined;
      throw new AppError('BLOB_READ_FAILED', `could not read blob file ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    const contentType = contentTypeForExtension(extname(path).slice(1)) ?? OCTET_STREAM;
    return { data, contentType };
  }

  async delete(key: string): Promise<boolean> {
    const path = this.#pathOf(key);
    if (path === undefined) return false;
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '') || codeOf(err) === 'EPERM') return false;
      throw new AppError('BLOB_WRITE_FAILED', `could not delete blob file ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * The file of a key, or undefined for anything that is not a key blobKey() could make. The charset check
   * already rules out `..`, absolute paths and temporary files; the prefix check is a second lock.
   */
  #pathOf(key: string): string | undefined {
    if (!isValidBlobKey(key)) return undefined;
    const path = resolve(this.#root, key);
    return path.startsWith(this.#root + sep) ? path : undefined;
  }

  async #write(key: string, path: string, data: Buffer): Promise<StoredBlob> {
    try {
      await this.#writeDurably(path, data);
    } catch (first) {
      // A directory removed behind the store's back (an operator pruning old days by hand) is still
      // remembered as made: forget them all and try once more.
      let err = first;
      if (codeOf(first) === 'ENOENT') {
        this.#knownDirs.clear();
        err = await this.#writeDurably(path, data).then(
          () => undefined,
          (e: unknown) => e,
        );
      }
      if (err !== undefined) {
        // Not logged here: the ingestor reports the failed message (throttled), with this reason.
        throw new AppError('BLOB_WRITE_FAILED', `could not store blob ${path}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    }
    return { key, url: blobUrl(key) };
  }

  async #writeDurably(path: string, data: Buffer): Promise<void> {
    const dir = dirname(path);
    await this.#ensureDir(dir);
    // A leading dot: never a valid key, so a half-written file can never be served.
    const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    await fsyncDir(dir);
  }

  /**
   * Makes `dir` exist with its entry durable in its parent, once per directory: concurrent puts into a new
   * directory share one promise, so none of them resolves before the directory itself is durable.
   */
  #ensureDir(dir: string): Promise<void> {
    if (dir === this.#root) return Promise.resolve();
    let ready = this.#knownDirs.get(dir);
    if (ready === undefined) {
      ready = this.#makeDir(dir);
      this.#knownDirs.set(dir, ready);
      if (this.#knownDirs.size > MAX_KNOWN_DIRS) {
        const oldest = this.#knownDirs.keys().next().value;
        if (oldest !== undefined) this.#knownDirs.delete(oldest);
      }
    }
    return ready;
  }

  async #makeDir(dir: string): Promise<void> {
    try {
      const parent = dirname(dir);
      await this.#ensureDir(parent);
      try {
        await mkdir(dir);
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
        if (!(await stat(dir)).isDirectory())
          throw new Error(`ENOTDIR: ${dir} exists and is not a directory`);
      }
      await fsyncDir(parent);
    } catch (err) {
      // Not remembered as made: the next put tries again (the disk may have space by then).
      this.#knownDirs.delete(dir);
      throw err;
    }
  }
}

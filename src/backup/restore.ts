import { createReadStream, createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage } from '../core/errors.js';
import { isValidBlobKey } from '../ingest/blobs/blob-store.js';
import { DuckDbStore } from '../storage/duckdb/duckdb-store.js';
import type { StoreStats } from '../storage/store.js';
import { type BackupManifest, BLOBS_DIR, MANIFEST_NAME, parseManifest, STORE_FILE } from './manifest.js';
import { readTar } from './tar.js';

export interface UnpackedBackup {
  readonly manifest: BackupManifest;
  readonly blobs: number;
}

/**
 * Unpacks a backup archive into `dir` (which must exist and be empty). Only the entries a backup has are
 * accepted (the manifest, the store file, valid blob keys under blobs/), so no name in an archive can
 * write outside `dir`. Fails on a truncated archive or a store file of another size than the manifest says.
 */
export async function unpackBackup(source: AsyncIterable<Buffer>, dir: string): Promise<UnpackedBackup> {
  let manifest: BackupManifest | undefined;
  let blobs = 0;
  let storeBytes: number | undefined;
  await readTar(source, async (entry, body) => {
    if (entry.type === '5') return;
    if (entry.type !== '0')
      throw new Error(`unexpected entry ${entry.name} (type ${entry.type}) in the backup`);
    if (manifest === undefined) {
      if (entry.name !== MANIFEST_NAME)
        throw new Error(`the archive does not start with ${MANIFEST_NAME}: this is not a sensorhub backup`);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      manifest = parseManifest(text);
      await writeAll(join(dir, MANIFEST_NAME), [Buffer.from(text)]);
      return;
    }
    let target: string;
    if (entry.name === STORE_FILE) {
      target = join(dir, STORE_FILE);
      storeBytes = entry.size;
    } else if (
      entry.name.startsWith(`${BLOBS_DIR}/`) &&
      isValidBlobKey(entry.name.slice(BLOBS_DIR.length + 1))
    ) {
      target = join(dir, entry.name);
      blobs++;
    } else {
      throw new Error(`unexpected entry ${entry.name} in the backup`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeAll(target, body);
  });
  if (manifest === undefined) throw new Error('the archive is empty: this is not a sensorhub backup');
  checkStore(manifest, storeBytes);
  return { manifest, blobs };
}

function checkStore(manifest: BackupManifest, bytes: number | undefined): void {
  if (bytes === undefined) throw new Error(`the backup has no ${STORE_FILE}`);
  if (bytes !== manifest.store.bytes)
    throw new Error(
      `${STORE_FILE} has ${bytes} bytes, the manifest says ${manifest.store.bytes}: the backup is damaged`,
    );
}

async function writeAll(path: string, chunks: AsyncIterable<Buffer> | Buffer[]): Promise<void> {
  const out = createWriteStream(path, { flags: 'wx', flush: true });
  await pipeline(async function* () {
    yield* chunks;
  }, out);
}

/** A backup that is a directory (`sensorhub backup --out DIR`): its manifest and file sizes, checked. */
export async function readBackupDir(dir: string): Promise<UnpackedBackup> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (err) {
    throw new Error(`${dir} holds no ${MANIFEST_NAME}: not a backup directory (${errorMessage(err)})`);
  }
  const manifest = parseManifest(text);
  const size = await stat(join(dir, STORE_FILE)).then(
    (s) => s.size,
    () => undefined,
  );
  checkStore(manifest, size);
  let blobs = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.isFile()) blobs++;
    }
  };
  await walk(join(dir, BLOBS_DIR));
  return { manifest, blobs };
}

/** The files of a data directory that a restore replaces (with --force). */
const RESTORED = [STORE_FILE, `${STORE_FILE}.wal`, BLOBS_DIR];

export interface RestoreOptions {
  /** A backup archive (tar file) or a backup directory. */
  readonly from: string;
  readonly dataDir: string;
  /** Replace the store and blobs of a non-empty data directory (never of a running server). */
  readonly force: boolean;
}

export interface RestoreSummary extends UnpackedBackup {
  readonly stats: StoreStats;
}

/**
 * Restores a backup into a stopped server's data directory. Refuses while a server holds the directory's
 * database, and refuses a non-empty directory without `force`. Unpacks into a staging directory inside
 * `dataDir`, opens the restored database once (the same checks a server start makes), and only then moves
 * it into place: a failed restore leaves the data directory as it was.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreSummary> {
  const { dataDir } = opts;
  const fromStat = await stat(opts.from).catch((err: unknown) => {
    throw new Error(`--from ${opts.from}: ${errorMessage(err)}`);
  });
  await mkdir(dataDir, { recursive: true });
  await refuseIfInUse(join(dataDir, STORE_FILE));
  const present = (await readdir(dataDir)).filter((n) => !n.startsWith('.restore-'));
  if (present.length > 0 && !opts.force) {
    throw new Error(
      `${dataDir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); restore into an empty directory, or pass --force to replace its database and blobs`,
    );
  }
  const staging = await mkdtemp(join(dataDir, '.restore-'));
  try {
    let unpacked: UnpackedBackup;
    if (fromStat.isDirectory()) {
      unpacked = await readBackupDir(opts.from);
      await cp(join(opts.from, STORE_FILE), join(staging, STORE_FILE));
      if (unpacked.blobs > 0)
        await cp(join(opts.from, BLOBS_DIR), join(staging, BLOBS_DIR), { recursive: true });
    } else {
      unpacked = await unpackBackup(createReadStream(opts.from), staging);
    }
    const stats = await checkDatabase(join(staging, STORE_FILE));
    for (const name of RESTORED) await rm(join(dataDir, name), { recursive: true, force: true });
    await rename(join(staging, STORE_FILE), join(dataDir, STORE_FILE));
    const stagedBlobs = join(staging, BLOBS_DIR);
    if (
      await stat(stagedBlobs).then(
        () => true,
        () => false,
      )
    )
      await rename(stagedBlobs, join(dataDir, BLOBS_DIR));
    return { ...unpacked, stats };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** DuckDB locks a database file per process: a running server's file cannot be opened. */
async function refuseIfInUse(file: string): Promise<void> {
  if (
    !(await stat(file).then(
      () => true,
      () => false,
    ))
  )
    return;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  } catch (err) {
    const message = errorMessage(err);
    if (/lock/i.test(message)) {
      throw new Error(
        `a server is running on ${dirname(file)} (${message.split('\n')[0]}); stop it before restoring`,
      );
    }
    // A damaged file is no reason to refuse: replacing it is what the restore is for.
    return;
  }
  instance.closeSync();
}

/** Opens the restored database as a server would (schema checks, catalog), then closes it. */
async function checkDatabase(file: string): Promise<StoreStats> {
  const store = new DuckDbStore({ path: file });
  try {
    await store.start();
  } catch (err) {
    throw new Error(`the backup's database does not open: ${errorMessage(err)}`);
  }
  const stats = store.stats();
  await store.stop();
  return stats;
}

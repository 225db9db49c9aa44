import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BLOBS_DIR, MANIFEST_NAME, parseManifest, STORE_FILE } from '../backup/manifest.js';
import { restoreBackup, type UnpackedBackup, unpackBackup } from '../backup/restore.js';
import { readTar } from '../backup/tar.js';
import { errorMessage } from '../core/errors.js';
import { parseCommand, usage } from './args.js';
import { serverConnection } from './transfer.js';

const BACKUP_HELP = `Usage:
  sensorhub backup --out FILE|DIR [--force] [--url URL]

Takes a consistent backup of a running server while it keeps accepting writes: every point acknowledged
before the backup starts is in it. The server snapshots its database (POST /api/v1/admin/backup) and
streams it with its blobs. --out FILE writes one tar archive (refused if FILE exists, unless --force);
--out DIR (an existing directory, or a path ending in /) unpacks it there (the directory must be empty).
Through --url (default $SENSORHUB_URL or http://localhost:8086) as admin with SENSORHUB_ADMIN_PASSWORD
(or _FILE). Not in a backup: the config and rules files, forwarding queues, blobs kept in S3.
`;

const RESTORE_HELP = `Usage:
  sensorhub restore --from FILE|DIR --data-dir DIR [--force]

Restores a backup made by "sensorhub backup" into the data directory of a stopped server, then start the
server on it. Refused while a server runs on DIR, and when DIR is not empty unless --force (which replaces
its database and blobs, and leaves other files). The backup is checked and opened before anything in DIR
changes.
`;

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function isDirectoryTarget(out: string): Promise<boolean> {
  if (out.endsWith('/')) return true;
  return stat(out).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function backupCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'backup',
    argv,
    { out: { type: 'string' }, force: { type: 'boolean' }, url: { type: 'string' } },
    BACKUP_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (typeof v.out !== 'string' || v.out === '') return usage(BACKUP_HELP);
  const out = v.out;
  const toDir = await isDirectoryTarget(out);
  if (toDir) {
    await mkdir(out, { recursive: true });
    const present = await readdir(out);
    if (present.length > 0)
      throw new Error(`--out ${out} is a directory that is not empty; give an empty one`);
  } else if (
    !v.force &&
    (await stat(out).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(`--out ${out} exists; pass --force to replace it, or give another name`);
  }
  const conn = await serverConnection(v.url);
  const started = performance.now();
  const res = await fetch(`${conn.url}/api/v1/admin/backup`, {
    method: 'POST',
    headers: { authorization: conn.authorization },
  }).catch((err: unknown) => {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? errorMessage(err);
    throw new Error(`cannot reach the server at ${conn.url} (${cause}); start it, or pass --url`);
  });
  if (!res.ok || res.body === null) {
    const text = await res.text();
    let reason = text.slice(0, 500);
    try {
      const json = JSON.parse(text) as { code?: string; error?: string };
      reason = `${json.code ?? res.status}: ${json.error ?? text}`;
    } catch {
      // not JSON: the text as it is
    }
    throw new Error(`the server refused the backup (HTTP ${res.status}) ${reason}`);
  }
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  let unpacked: UnpackedBackup;
  let bytes = 0;
  body.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  if (toDir) {
    try {
      unpacked = await unpackBackup(body, out);
    } catch (err) {
      throw new Error(
        `the backup did not arrive complete (${errorMessage(err)}); ${out} holds a partial copy`,
      );
    }
  } else {
    const partial = `${out}.partial`;
    try {
      await pipeline(body, createWriteStream(partial, { flush: true }));
      unpacked = await verifyArchive(partial);
    } catch (err) {
      await rm(partial, { force: true });
      throw new Error(`the backup did not arrive complete: ${errorMessage(err)}`);
    }
    await rename(partial, out);
  }
  const seconds = (performance.now() - started) / 1000;
  const m = unpacked.manifest;
  process.stderr.write(
    `backup written to ${out}: snapshot of ${m.created}, database ${mib(m.store.bytes)}, ` +
      `${m.blobs ? `${unpacked.blobs} blobs` : `no blobs (${m.blobsNote ?? 'not included'})`}; ` +
      `${mib(bytes)} in ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}

/** Reads an archive file through, checking the manifest, the store file's size and the end marker. */
async function verifyArchive(file: string): Promise<UnpackedBackup> {
  let manifestText = '';
  let storeBytes: number | undefined;
  let blobs = 0;
  await readTar(createReadStream(file), async (entry, body) => {
    if (entry.name === MANIFEST_NAME) {
      for await (const c of body) manifestText += c.toString('utf8');
    } else if (entry.name === STORE_FILE) storeBytes = entry.size;
    else if (entry.name.startsWith(`${BLOBS_DIR}/`)) blobs++;
  });
  const manifest = parseManifest(manifestText);
  if (storeBytes !== manifest.store.bytes) throw new Error(`${STORE_FILE} is missing or of the wrong size`);
  return { manifest, blobs };
}

export async function restoreCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'restore',
    argv,
    { from: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' } },
    RESTORE_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (typeof v.from !== 'string' || typeof v['data-dir'] !== 'string') return usage(RESTORE_HELP);
  const summary = await restoreBackup({ from: v.from, dataDir: v['data-dir'], force: v.force === true });
  const { manifest: m, stats } = summary;
  process.stderr.write(
    `restored the backup of ${m.created} into ${v['data-dir']}: ${stats.series} series, ${stats.samples} values, ` +
      `${stats.deadLetters} dead letters, ${summary.blobs} blobs${m.blobs ? '' : ` (blobs were not in the backup: ${m.blobsNote ?? ''})`}. ` +
      'Start the server on it.\n',
  );
  return 0;
}

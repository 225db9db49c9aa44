import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { takeSnapshot } from '../../backup/snapshot.js';
import type { TimeSeriesStore } from '../../storage/store.js';
import { requireAuth } from '../auth-hook.js';

export interface AdminRoutesOptions {
  readonly auth: Authenticator;
  readonly store: TimeSeriesStore;
  /**
   * Where the store's snapshot copy is staged before it is streamed (then removed): the data directory,
   * which has room for the database it already holds. Default: the OS temp directory.
   */
  readonly scratchDir?: string | undefined;
  /** `<dataDir>/blobs` when blobs are kept on disk; undefined leaves them out of backups (said in the manifest). */
  readonly blobsDir?: string | undefined;
  readonly nowMs?: () => number;
}

const SERVER = 'sensorhub 0.1.0';

/**
 * Server administration, admin only. `POST /api/v1/admin/backup` streams a consistent backup of the running
 * server as a tar archive (src/backup/manifest.ts); writes go on while it is taken. The store copy is made
 * before the response starts, so a store that cannot be backed up (STO_BACKUP_UNSUPPORTED) or a copy that
 * fails (STO_BACKUP_FAILED) is an ordinary JSON error; a failure later cuts the stream short, which
 * `sensorhub backup` detects (the archive then lacks its end marker).
 */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', requireAuth(opts.auth, ['admin']));

  app.post('/api/v1/admin/backup', async (req, reply) => {
    const started = performance.now();
    const snapshot = await takeSnapshot({
      store: opts.store,
      blobsDir: opts.blobsDir,
      ...(opts.blobsDir === undefined
        ? {
            blobsNote:
              'this server keeps no blobs in its data directory (none, or S3: back the bucket up there)',
          }
        : {}),
      scratchDir: opts.scratchDir ?? tmpdir(),
      server: SERVER,
      nowMs: opts.nowMs ?? Date.now,
    });
    req.log.info(
      { bytes: snapshot.manifest.store.bytes, ms: Math.round(performance.now() - started) },
      'backup: store snapshot taken, streaming',
    );
    const stamp = snapshot.manifest.created.replace(/[:.]/g, '-');
    const body = Readable.from(snapshot.archive, { objectMode: false });
    body.on('error', (err) =>
      req.log.error({ err }, 'backup: streaming failed; the client gets a cut archive'),
    );
    return reply
      .header('content-type', 'application/x-tar')
      .header('content-disposition', `attachment; filename="sensorhub-backup-${stamp}.tar"`)
      .header('x-sensorhub-backup-created', snapshot.manifest.created)
      .send(body);
  });
};

import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError } from '../../core/errors.js';
import { type BlobStore, blobHashOf, isValidBlobKey } from '../../ingest/blobs/blob-store.js';
import { isInlineType } from '../../ingest/blobs/content-type.js';
import { requireAuth } from '../auth-hook.js';

export interface BlobRoutesOptions {
  readonly auth: Authenticator;
  readonly blobs: BlobStore;
}

/** Keys are content-addressed: what a key names never changes, so clients may keep it for a year. */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';
/**
 * Blobs are whatever devices sent. Served from the API's own origin, an HTML or SVG blob could run script
 * with the viewer's session; this policy (the one raw.githubusercontent.com uses) lets images and text
 * render and nothing execute.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** RFC 9110 §13.1.2: If-None-Match is `*` or a list of entity tags, weak ones (W/"…") matching too. */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

function notFound(key: string): AppError {
  return new AppError('BLOB_NOT_FOUND', `no blob ${JSON.stringify(key)}`);
}

/** `GET /api/v1/blobs/<key>`: the bytes a `format: binary` rule stored, under the key its point holds. */
export const blobsRoutes: FastifyPluginAsync<BlobRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', requireAuth(opts.auth, ['admin', 'viewer']));

  app.get('/api/v1/blobs/*', async (req, reply) => {
    const key = (req.params as { '*': string })['*'];
    // A key blobKey() cannot make is answered like a missing one: nothing about the disk or bucket leaks.
    if (!isValidBlobKey(key)) throw notFound(key);
    const blob = await opts.blobs.get(key);
    if (blob === undefined) throw notFound(key);

    const hash = blobHashOf(key);
    if (hash !== undefined) reply.header('etag', `"${hash}"`);
    reply.header('cache-control', CACHE_CONTROL);
    if (hash !== undefined && noneMatch(req.headers['if-none-match'], `"${hash}"`)) {
      return reply.code(304).send();
    }
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (!isInlineType(blob.contentType)) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      reply.header('content-disposition', `attachment; filename="${name}"`);
    }
    return reply.type(blob.contentType).send(blob.data);
  });
};

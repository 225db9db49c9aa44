import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** The web app's client-side routes: each serves index.html, and the app shows the page. */
export const APP_ROUTES = [
  '/',
  '/login',
  '/dashboards',
  '/d/*',
  '/explore',
  '/devices',
  '/alerts',
  '/ingest',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

/**
 * What the browser may do on our pages: only our own scripts, styles, images (plus data:/blob: for
 * charts and downloads) and connections (the API and the live WebSocket). uPlot sizes its elements with
 * inline style attributes, hence 'unsafe-inline' for styles only.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  /** Vite names files under assets/ by content hash: they never change, so they are cached for a year. */
  readonly immutable: boolean;
}

/** Where `vite build` put the app: dist/web next to the compiled server, or under the repo when run from src. */
export function findWebRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', '..', 'web'), join(here, '..', '..', '..', 'dist', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets')));
}

function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const body = readFileSync(path);
      const type = TYPES[extname(name)] ?? 'application/octet-stream';
      const compressible = /text|javascript|json|svg/.test(type) && body.length > 1024;
      const urlPath = `/${relative(root, path).split(sep).join('/')}`;
      assets.set(urlPath, {
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: urlPath.startsWith('/assets/'),
      });
    }
  };
  walk(root);
  return assets;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply.headers(SECURITY_HEADERS);
  reply.header('content-type', asset.type);
  reply.header('etag', asset.etag);
  reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  if (asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    reply.header('content-encoding', 'gzip');
    return reply.send(asset.gzip);
  }
  return reply.send(asset.body);
}

/**
 * Serves the built web app from memory (it is small): hashed assets with long caching, index.html for every
 * client-side route. When the app was not built, those routes say how to build it instead of a bare 404.
 */
export const webUiRoutes: FastifyPluginAsync<{ root?: string | undefined }> = async (app, opts) => {
  const root = opts.root ?? findWebRoot();
  const assets = root === undefined ? new Map<string, Asset>() : loadAssets(root);
  const index = assets.get('/index.html');

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    if (index === undefined) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The web app is not built. Run "npm run build" (or "npm ci", which builds it), then restart.\n',
        );
    }
    return send(req, reply, index);
  };
  for (const route of APP_ROUTES) app.get(route, page);

  app.get('/assets/*', async (req, reply) => {
    const asset = assets.get(req.url.split('?')[0] ?? '');
    if (asset === undefined) {
      return reply.status(404).send({ code: 'HTTP_NOT_FOUND', error: `no asset ${req.url.split('?')[0]}` });
    }
    return send(req, reply, asset);
  });
  for (const [path, asset] of assets) {
    if (path.startsWith('/assets/') || path === '/index.html') continue;
    app.get(path, async (req, reply) => send(req, reply, asset));
  }
};

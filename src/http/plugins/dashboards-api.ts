import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError } from '../../core/errors.js';
import type { DashboardService } from '../../dashboards/dashboard-service.js';
import { requireAuth } from '../auth-hook.js';

export interface DashboardRoutesOptions {
  readonly auth: Authenticator;
  readonly dashboards: DashboardService;
}

type Query = Record<string, string | undefined>;

function flag(q: Query, name: string): boolean {
  const v = q[name];
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw new AppError('HTTP_BAD_REQUEST', `${name} must be true or false, not "${v}"`);
}

/**
 * Dashboards: provisioned from files (read-only here) and saved from the UI. Viewers read; editors create,
 * save, delete and import; admins reload the provisioning folder. GET of one dashboard is its export.
 */
export const dashboardsRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, opts) => {
  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  const editors = requireAuth(opts.auth, ['admin', 'editor']);
  const admins = requireAuth(opts.auth, ['admin']);
  const { dashboards } = opts;

  app.get('/api/v1/dashboards', { preHandler: readers }, async () => {
    const { path, loadedAt, errors, warnings } = dashboards.provisioning();
    return {
      dashboards: await dashboards.list(),
      provisioning: { path: path ?? null, loadedAt, errors, warnings },
    };
  });

  app.get('/api/v1/dashboards/:uid', { preHandler: readers }, async (req) =>
    dashboards.get((req.params as { uid: string }).uid),
  );

  app.post('/api/v1/dashboards', { preHandler: editors }, async (req, reply) =>
    reply.status(201).send(await dashboards.create(req.body)),
  );

  app.put('/api/v1/dashboards/:uid', { preHandler: editors }, async (req) =>
    dashboards.save((req.params as { uid: string }).uid, req.body),
  );

  app.delete('/api/v1/dashboards/:uid', { preHandler: editors }, async (req, reply) => {
    await dashboards.delete((req.params as { uid: string }).uid);
    return reply.status(204).send();
  });

  app.post('/api/v1/dashboards/import', { preHandler: editors }, async (req, reply) => {
    const q = req.query as Query;
    const result = await dashboards.import(req.body, {
      overwrite: flag(q, 'overwrite'),
      database: q.db === '' ? undefined : q.db,
      uid: q.uid === '' ? undefined : q.uid,
    });
    // 201 for a new dashboard, 200 when ?overwrite=true replaced a saved one.
    return reply.status(result.dashboard.version === 1 ? 201 : 200).send(result);
  });

  app.post('/api/v1/dashboards/reload', { preHandler: admins }, async () => ({
    provisioning: await dashboards.reloadProvisioned(),
  }));
};

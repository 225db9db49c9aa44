import type { FastifyPluginAsync } from 'fastify';
import type { AlertService } from '../../alerts/service.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError } from '../../core/errors.js';
import { parseTimeBound } from '../../query/time-params.js';
import { requireAuth } from '../auth-hook.js';

export interface AlertRoutesOptions {
  readonly auth: Authenticator;
  readonly alerts: AlertService;
  readonly nowMicros: () => number;
}

type Params = Record<string, string | undefined>;

function bad(message: string): AppError {
  return new AppError('HTTP_BAD_REQUEST', message);
}

function limitOf(q: Params, def: number, max: number): number {
  const n = Number(q.limit ?? def);
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad(`limit must be an integer 1..${max}`);
  return n;
}

/**
 * Alerts: rules with the current state of every instance, transition history, action deliveries; rules
 * created, replaced and deleted through the API (provisioned ones are read-only).
 */
export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, opts) => {
  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  const editors = requireAuth(opts.auth, ['admin', 'editor']);

  app.get('/api/v1/alerts', { preHandler: readers }, async () => ({ rules: opts.alerts.rules() }));

  app.get('/api/v1/alerts/history', { preHandler: readers }, async (req) => {
    const q = req.query as Params;
    const now = opts.nowMicros();
    const from = parseTimeBound(q.from ?? '-24h', now);
    const to = parseTimeBound(q.to ?? 'now', now);
    if (from === undefined || to === undefined)
      throw bad('from and to are RFC 3339, epoch ms, now, or relative like -24h');
    return {
      history: await opts.alerts.history({
        ...(q.rule === undefined ? {} : { rule: q.rule }),
        from,
        to: to + 1,
        limit: limitOf(q, 100, 10_000),
      }),
    };
  });

  app.get('/api/v1/alerts/deliveries', { preHandler: readers }, async (req) => {
    const q = req.query as Params;
    return {
      deliveries: opts.alerts.deliveries({
        ...(q.rule === undefined ? {} : { rule: q.rule }),
        limit: limitOf(q, 100, 1000),
      }),
    };
  });

  app.post('/api/v1/alerts/rules', { preHandler: editors }, async (req, reply) => {
    const rule = await opts.alerts.putRule(req.body);
    return reply.status(201).send({ rule });
  });

  app.put('/api/v1/alerts/rules/:name', { preHandler: editors }, async (req) => {
    const { name } = req.params as { name: string };
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.name !== undefined && body.name !== name)
      throw bad(`the body's name "${String(body.name)}" is not the URL's "${name}"`);
    return { rule: await opts.alerts.putRule({ ...body, name }) };
  });

  app.delete('/api/v1/alerts/rules/:name', { preHandler: editors }, async (req, reply) => {
    await opts.alerts.deleteRule((req.params as { name: string }).name);
    return reply.status(204).send();
  });
};

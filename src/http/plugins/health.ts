import type { FastifyPluginAsync } from 'fastify';
import type { MetricsRegistry } from '../../core/metrics.js';

const VERSION = '0.1.0';

export interface HealthOptions {
  readonly metrics: MetricsRegistry;
  readonly isReady: () => { ready: boolean; checks: Record<string, boolean> };
}

/** Liveness, readiness, InfluxDB-compatible /ping and /health, Prometheus /metrics. No auth, like InfluxDB. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const { ready, checks } = opts.isReady();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  const ping = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .header('X-Influxdb-Version', `sensorhub-${VERSION}`)
      .header('X-Influxdb-Build', 'OSS')
      .status(204)
      .send();
  app.get('/ping', ping);

  app.get('/health', async (_req, reply) => {
    const { ready } = opts.isReady();
    return reply.status(ready ? 200 : 503).send({
      name: 'sensorhub',
      message: ready ? 'ready for queries and writes' : 'not ready',
      status: ready ? 'pass' : 'fail',
      checks: [],
      version: VERSION,
      commit: '',
    });
  });

  app.get('/metrics', async (_req, reply) =>
    reply.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8').send(opts.metrics.render()),
  );
};

import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { AlertService } from '../alerts/service.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { ErrorDto } from '../contract/api.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricsRegistry } from '../core/metrics.js';
import type { DashboardService } from '../dashboards/dashboard-service.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { BlobStore } from '../ingest/blobs/blob-store.js';
import type { QueryService } from '../query/query-service.js';
import type { RetentionPolicies } from '../storage/retention.js';
import type { TimeSeriesStore } from '../storage/store.js';
import type { LiveHub } from './live.js';
import { adminRoutes } from './plugins/admin-api.js';
import { alertRoutes } from './plugins/alerts-api.js';
import { blobsRoutes } from './plugins/blobs-api.js';
import { type BrokerRoutesOptions, brokerRoutes } from './plugins/broker-api.js';
import { dashboardsRoutes } from './plugins/dashboards-api.js';
import { databasesRoutes } from './plugins/databases-api.js';
import { devicesRoutes } from './plugins/devices-api.js';
import { grafanaHookRoutes, type InboundHookConfig } from './plugins/grafana-hook.js';
import { healthRoutes } from './plugins/health.js';
import { type InfluxWriteOptions, influxWriteRoutes } from './plugins/influx-write.js';
import { influxqlRoutes } from './plugins/influxql-api.js';
import { type BrokerEndpoint, infoRoutes } from './plugins/info-api.js';
import { type IngestRoutesOptions, ingestRoutes } from './plugins/ingest-api.js';
import { liveRoutes } from './plugins/live-api.js';
import { type MqttStreamHandler, mqttWebSocketRoute } from './plugins/mqtt-ws.js';
import { type Publish, publishRoutes } from './plugins/publish-api.js';
import { queryRoutes } from './plugins/query-api.js';
import { sessionRoutes } from './plugins/session-api.js';
import { statsRoutes } from './plugins/stats-api.js';
import { tokensRoutes } from './plugins/tokens-api.js';
import { usersRoutes } from './plugins/users-api.js';
import { webUiRoutes } from './plugins/web-ui.js';

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly alerts: AlertService;
  /** query.maxPoints: the most values one query may read or return. */
  readonly maxQueryPoints: number;
  /** query.maxSeries: the most series one InfluxQL statement may read. */
  readonly maxQuerySeries: number;
  /** query.timeout in ms (0: none). */
  readonly queryTimeoutMs: number;
  /** Live backups: where the store's copy is staged, and the blob folder to include (fs blobs only). */
  readonly backup: { readonly scratchDir: string; readonly blobsDir: string | undefined };
  /** Inbound webhooks (Grafana alert notifications → MQTT). */
  readonly hooks: readonly InboundHookConfig[];
  /** Serves what `binary` rules stored. */
  readonly blobs: BlobStore;
  /** Ingest over HTTP, rules and dead letters. */
  readonly ingest: Pick<IngestRoutesOptions, 'ingestor' | 'rules' | 'maxPayloadSize'>;
  readonly auth: Authenticator;
  readonly devices: DeviceRegistry;
  /** Provisioned and saved dashboards (docs/dashboards.md). */
  readonly dashboards: DashboardService;
  readonly publish: Publish;
  readonly store: TimeSeriesStore;
  readonly queryService: QueryService;
  readonly metrics: MetricsRegistry;
  readonly defaultDatabase: string;
  readonly mqtt: MqttStreamHandler;
  /** Per-database retention (InfluxQL's retention statements change it). */
  readonly retention?: RetentionPolicies | undefined;
  /** Committed points for the web app's live mode. */
  readonly live: LiveHub;
  /** The built web app (dist/web); found next to the server when absent. */
  readonly webRoot?: string | undefined;
  readonly isReady: () => { ready: boolean; checks: Record<string, boolean> };
  readonly nowMicros: () => number;
  readonly maxMqttPacketSize: number;
  /** InfluxDB-compatible writes (POST /write, /api/v2/write); not served when absent. */
  readonly influxWrite?: Omit<InfluxWriteOptions, 'auth' | 'metrics' | 'nowMicros'>;
  /** Serve HTTPS (and WSS at /mqtt) with this certificate. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** The MQTT side for the web app: where devices connect, and who is connected now. */
  readonly broker: { readonly endpoint: () => BrokerEndpoint } & Pick<BrokerRoutesOptions, 'clients'>;
}

/** The fastify app: one plugin per area. Built here, listened on by the app. */
export async function buildHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.tls
      ? { https: { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' as const } }
      : {}),
    // pino's Logger is a FastifyBaseLogger at runtime; the cast only bridges two versions of its typings.
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    // Per-request lines would dominate the log at sensor rates; the onResponse hook logs them at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      const body: ErrorDto = { code: err.code, error: err.message };
      if (err.details) body.details = { ...err.details };
      return reply.status(err.status).send(body);
    }
    if (err.validation || (err.statusCode !== undefined && err.statusCode < 500)) {
      return reply.status(err.statusCode ?? 400).send({ code: 'HTTP_BAD_REQUEST', error: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ code: 'INTERNAL', error: 'internal error; see the server log' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ code: 'HTTP_NOT_FOUND', error: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );
  app.addHook('onResponse', async (req, reply) => {
    if (opts.logger.isLevelEnabled('debug')) {
      req.log.debug(
        // The path only: the query string may hold InfluxDB-style u/p credentials.
        { method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms: reply.elapsedTime },
        'http',
      );
    }
  });

  await app.register(websocket, {
    // ws buffers a whole message before aedes sees it: cap it like a TCP packet, even before CONNECT.
    options: { maxPayload: opts.maxMqttPacketSize, handleProtocols: pickMqttProtocol },
  });
  await app.register(healthRoutes, { metrics: opts.metrics, isReady: opts.isReady });
  await app.register(mqttWebSocketRoute, { handler: opts.mqtt });
  await app.register(usersRoutes, { auth: opts.auth });
  await app.register(tokensRoutes, { auth: opts.auth });
  if (opts.influxWrite) {
    await app.register(influxWriteRoutes, {
      ...opts.influxWrite,
      auth: opts.auth,
      metrics: opts.metrics,
      nowMicros: opts.nowMicros,
    });
  }
  await app.register(publishRoutes, { auth: opts.auth, publish: opts.publish });
  await app.register(blobsRoutes, { auth: opts.auth, blobs: opts.blobs });
  await app.register(influxqlRoutes, {
    auth: opts.auth,
    store: opts.store,
    maxPoints: opts.maxQueryPoints,
    maxSeries: opts.maxQuerySeries,
    timeoutMs: opts.queryTimeoutMs,
    nowMicros: opts.nowMicros,
    retention: opts.retention,
  });
  await app.register(alertRoutes, { auth: opts.auth, alerts: opts.alerts, nowMicros: opts.nowMicros });
  await app.register(grafanaHookRoutes, { auth: opts.auth, publish: opts.publish, hooks: opts.hooks });
  await app.register(ingestRoutes, {
    ...opts.ingest,
    auth: opts.auth,
    store: opts.store,
    nowMicros: opts.nowMicros,
  });
  await app.register(devicesRoutes, { auth: opts.auth, devices: opts.devices });
  await app.register(dashboardsRoutes, { auth: opts.auth, dashboards: opts.dashboards });
  await app.register(databasesRoutes, {
    auth: opts.auth,
    store: opts.store,
    ...(opts.retention ? { retention: opts.retention } : {}),
  });
  await app.register(adminRoutes, { auth: opts.auth, store: opts.store, ...opts.backup });
  await app.register(queryRoutes, {
    auth: opts.auth,
    store: opts.store,
    queryService: opts.queryService,
    defaultDatabase: opts.defaultDatabase,
    nowMicros: opts.nowMicros,
  });
  await app.register(sessionRoutes, { auth: opts.auth });
  await app.register(infoRoutes, {
    auth: opts.auth,
    endpoint: opts.broker.endpoint,
    database: opts.defaultDatabase,
    tls: opts.tls !== undefined,
  });
  await app.register(brokerRoutes, { auth: opts.auth, clients: opts.broker.clients });
  await app.register(statsRoutes, { auth: opts.auth, metrics: opts.metrics, nowMicros: opts.nowMicros });
  await app.register(liveRoutes, { auth: opts.auth, hub: opts.live, defaultDatabase: opts.defaultDatabase });
  await app.register(webUiRoutes, { root: opts.webRoot });
  return app;
}

/** MQTT over WebSocket clients ask for the `mqtt` subprotocol (MQTT 3.1: `mqttv3.1`) [MQTT-6.0.0-3]. */
function pickMqttProtocol(protocols: Set<string>): string | false {
  if (protocols.has('mqtt')) return 'mqtt';
  if (protocols.has('mqttv3.1')) return 'mqttv3.1';
  return false;
}

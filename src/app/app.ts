import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { AlertService } from '../alerts/service.js';
import { Authenticator } from '../auth/authenticator.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { MetricsRegistry } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import { DashboardService } from '../dashboards/dashboard-service.js';
import { DashboardStore } from '../dashboards/dashboard-store.js';
import {
  DashboardProvisioner,
  dashboardsFolderOf,
  type ProvisioningStatus,
} from '../dashboards/provisioning.js';
import { PresenceTracker } from '../devices/presence.js';
import { DeviceRegistry } from '../devices/registry.js';
import { LiveHub } from '../http/live.js';
import { buildHttpServer } from '../http/server.js';
import { WriteBatcher } from '../ingest/batcher.js';
import { createBlobStore } from '../ingest/blobs/config.js';
import { DeadLetterWriter } from '../ingest/dead-letters.js';
import { Forwarder } from '../ingest/forward/forwarder.js';
import { forwardDeadLetter } from '../ingest/forward/wiring.js';
import { Ingestor } from '../ingest/ingestor.js';
import { RulesSource, type RulesStatus } from '../ingest/rules-source.js';
import { QueryService } from '../query/query-service.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { RetentionPolicies } from '../storage/retention.js';
import { RetentionJob } from '../storage/retention-job.js';
import { RollupJob } from '../storage/rollup/rollup-job.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { WorkerStore } from '../storage/worker/worker-store.js';
import { createMessageSource, shown } from './brokers.js';
import { startDemo } from './demo.js';
import { DEMO_DASHBOARD } from './demo-dashboard.js';

export interface AppEnv {
  readonly logger: Logger;
  readonly clock: Clock;
  /** SENSORHUB_ADMIN_PASSWORD or the content of SENSORHUB_ADMIN_PASSWORD_FILE. */
  readonly adminPassword: string | undefined;
  /** Shows the generated admin password once (stderr in the CLI). */
  readonly announce: (text: string) => void;
  /** SENSORHUB_BROKER_PASSWORD or the content of SENSORHUB_BROKER_PASSWORD_FILE (external broker mode). */
  readonly brokerPassword?: string | undefined;
  /** The PostgreSQL password for storage.url (SENSORHUB_STORAGE_PASSWORD or _FILE). */
  readonly storagePassword?: string | undefined;
}

export interface RunningServer {
  readonly mqttPort: number;
  /** The MQTT over TLS port when TLS is configured. */
  readonly mqttsPort: number | undefined;
  readonly httpPort: number;
  readonly store: TimeSeriesStore;
  /** Settles only if the server fails on its own (its store thread died); the caller should stop and exit. */
  readonly failed: Promise<Error>;
  /** Re-reads the rules (SIGHUP); the running rules stay when the new ones are invalid. */
  reloadRules(): Promise<RulesStatus>;
  /** Re-reads the provisioned dashboards (SIGHUP); bad files are logged and skipped. */
  reloadDashboards(): Promise<ProvisioningStatus>;
  stop(): Promise<void>;
}

type Disposer = () => Promise<void> | void;

/**
 * The composition root: the one place that picks concrete drivers. Starts services in dependency order
 * (store → auth → ingest → HTTP → broker); stop() undoes them in reverse, and a failed start rolls back
 * what it had started.
 */
export async function startServer(config: Config, env: AppEnv): Promise<RunningServer> {
  const { logger, clock } = env;
  const disposers: Disposer[] = [];
  let reportFailure: (err: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => {
    reportFailure = resolve;
  });
  const rollback = async () => {
    for (const dispose of disposers.splice(0).reverse()) {
      try {
        await dispose();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };

  try {
    const metrics = new MetricsRegistry();
    const rulesSource = await RulesSource.fromConfig(config, logger.child({ ns: 'rules' }));
    const rules = rulesSource.rules;

    await mkdir(config.dataDir, { recursive: true });
    // PostgreSQL when storage.url names one (several processes, one database); else embedded DuckDB on
    // its own thread.
    const store: TimeSeriesStore = config.storage.url
      ? new PostgresStore({
          url: config.storage.url,
          ...(env.storagePassword === undefined ? {} : { password: env.storagePassword }),
          schema: config.storage.schema,
          rollups: config.storage.rollups,
          logger: logger.child({ ns: 'store' }),
        })
      : new WorkerStore({
          path: join(config.dataDir, 'sensorhub.duckdb'),
          rollups: config.storage.rollups,
          onCrash: (err) => {
            logger.fatal({ err }, 'the store thread died: nothing more is stored or acknowledged');
            reportFailure(err);
          },
        });
    await store.start();
    disposers.push(() => store.stop());

    // Retention before anything writes: the batcher checks every batch against the policies.
    const retention = new RetentionPolicies({
      store,
      defaultDuration: config.storage.retention.default,
      provisioned: config.storage.retention.databases,
      clock,
      logger: logger.child({ ns: 'retention' }),
    });
    await retention.start();
    const retentionJob = new RetentionJob({
      store,
      policies: retention,
      clock,
      logger: logger.child({ ns: 'retention' }),
      intervalMs: config.storage.retention.checkInterval,
      metrics,
      rollupIntervals: config.storage.rollups.map((l) => l.interval),
    });
    retentionJob.start();
    disposers.push(() => retentionJob.stop());

    // Rollups (storage.rollups) that aggregate queries read transparently; see docs/influxql.md.
    const rollupJob = new RollupJob({ store, clock, logger: logger.child({ ns: 'rollups' }), metrics });
    rollupJob.start();
    disposers.push(() => rollupJob.stop());

    const auth = new Authenticator({
      store,
      clock,
      logger: logger.child({ ns: 'auth' }),
      allowAnonymous: config.mqtt.allowAnonymous,
      adminPassword: env.adminPassword,
      announce: env.announce,
      failures: {
        maxFailures: config.auth.maxFailures,
        windowMs: config.auth.failureWindow,
        blockMs: config.auth.blockFor,
      },
    });
    await auth.start();

    const presence = new PresenceTracker(clock);
    const devices = new DeviceRegistry(store, auth.users, presence);
    await devices.start();
    const presenceSaver = setInterval(() => {
      devices
        .saveLastSeen()
        .catch((err: unknown) => logger.warn({ err }, 'could not save device last-seen times'));
    }, 60_000);
    presenceSaver.unref();
    disposers.push(async () => {
      clearInterval(presenceSaver);
      await devices.saveLastSeen();
    });

    // Bad dashboard files are logged and skipped: they never stop the start.
    const provisioner = new DashboardProvisioner({
      folder: dashboardsFolderOf(config),
      logger: logger.child({ ns: 'dashboards' }),
    });
    await provisioner.start();
    disposers.push(() => provisioner.stop());
    const dashboards = new DashboardService(
      new DashboardStore(store, logger.child({ ns: 'dashboards' })),
      provisioner,
    );

    // Alerts evaluate every committed batch; the service is created once the broker exists (its actions
    // publish), so the batcher calls through this late-bound hook.
    let observeCommitted: (points: readonly Point[]) => void = () => {};
    const batcher = new WriteBatcher({
      store,
      onCommitted: (points) => observeCommitted(points),
      admit: (points) => retention.admit(points),
      maxBatchPoints: config.ingest.batchMaxPoints,
      maxPendingPoints: config.ingest.maxPendingPoints,
      logger: logger.child({ ns: 'ingest' }),
      commitSeconds: metrics.histogram(
        'sensorhub_store_commit_seconds',
        'Time to commit one batch.',
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      ),
      batchPoints: metrics.histogram(
        'sensorhub_store_batch_points',
        'Points per committed batch.',
        [1, 10, 100, 1000, 5000, 20000],
      ),
    });
    const deadLetters = new DeadLetterWriter(store, logger.child({ ns: 'dead-letters' }), {
      retentionMs: config.ingest.deadLetterRetention,
      maxCount: config.ingest.deadLetterMaxCount,
      maxBytes: config.ingest.deadLetterMaxBytes,
      nowMicros: () => clock.nowMicros(),
    });
    deadLetters.start();
    disposers.push(() => deadLetters.stop());
    let forwarder: Forwarder | undefined;
    if (config.ingest.outputs.length > 0) {
      const fwd = new Forwarder({
        outputs: config.ingest.outputs,
        dataDir: config.dataDir,
        logger: logger.child({ ns: 'forward' }),
        metrics,
        onDeadLetter: (item, output, code, message) =>
          deadLetters.add(
            forwardDeadLetter(item, output, code, message, config.ingest.deadLetterPayloadLimit),
          ),
      });
      // A missing secret fails here, with CFG_INVALID.
      await fwd.start();
      // Stopped after the batcher (disposers run in reverse): its final commits are queued first.
      disposers.push(() => fwd.stop());
      forwarder = fwd;
    }
    // Stopped before the dead-letter writer, so refusals from the final flush are still written.
    disposers.push(() => batcher.stop());

    const blobs = createBlobStore(config.blobs, config.dataDir, logger);
    await blobs.start();
    disposers.push(() => blobs.stop());

    const ingestor = new Ingestor({
      blobs,
      forwarder,
      maxBlobSize: config.blobs.maxSize,
      rules,
      batcher,
      deadLetters,
      database: config.ingest.database,
      maxPayloadSize: config.ingest.maxPayloadSize,
      deadLetterPayloadLimit: config.ingest.deadLetterPayloadLimit,
      logger: logger.child({ ns: 'ingest' }),
      messages: metrics.counter('sensorhub_ingest_messages_total', 'Messages seen by ingest, by result.'),
      rejected: metrics.counter(
        'sensorhub_ingest_rejected_total',
        'Messages rejected, by reason (error code).',
      ),
      points: metrics.counter('sensorhub_ingest_points_total', 'Points committed to the store.'),
    });

    rulesSource.onChange((next) => ingestor.setRules(next));
    rulesSource.watch();
    disposers.push(() => rulesSource.close());

    const tls = await loadTls(config);
    const source = await createMessageSource(config, {
      auth,
      ingestor,
      rules,
      store,
      clock,
      logger: logger.child({ ns: 'mqtt' }),
      tls,
      brokerPassword: env.brokerPassword,
      observer: {
        connected: (name) => devices.isDevice(name) && presence.connected(name),
        published: (name) => devices.isDevice(name) && presence.seen(name),
        disconnected: (name) => {
          if (!devices.isDevice(name)) return;
          presence.disconnected(name);
          // The device's last connection closed: its alerts get the no-data treatment at once.
          if (!presence.of(name).online) alerts?.deviceOffline(name);
        },
      },
    });

    const alerts = new AlertService({
      store,
      writeHistory: (points) => batcher.submit(points),
      publish: (topic, payload, qos, retain) => source.publish(topic, payload, qos, retain),
      clock,
      logger: logger.child({ ns: 'alerts' }),
      metrics,
      provisioned: config.alerts.rules,
      database: config.ingest.database,
      historyDatabase: config.alerts.historyDatabase,
    });
    // A missing webhook secret or an invalid stored rule stops the start here, with CFG_INVALID.
    await alerts.start();
    const live = new LiveHub();
    observeCommitted = (points) => {
      alerts.observe(points);
      try {
        live.observe(points);
      } catch (err) {
        logger.warn({ err }, 'live mode: could not fan out a committed batch');
      }
    };

    metrics.gauge('sensorhub_mqtt_clients_connected', 'Connected MQTT clients.', () =>
      source.connectedClients(),
    );
    metrics.gauge('sensorhub_devices', 'Devices in the registry.', () => devices.count);
    metrics.gauge(
      'sensorhub_devices_online',
      'Devices with at least one MQTT connection.',
      () => presence.onlineCount,
    );
    metrics.gauge(
      'sensorhub_ingest_pending_points',
      'Points waiting for commit.',
      () => batcher.pendingPoints,
    );
    metrics.gauge(
      'sensorhub_store_series',
      'Series (measurement, tags, field) in the store.',
      () => store.stats().series,
    );
    metrics.gauge('sensorhub_store_samples', 'Field values in the store.', () => store.stats().samples);
    metrics.gauge(
      'sensorhub_store_dead_letters',
      'Dead-letter records kept.',
      () => store.stats().deadLetters,
    );
    metrics.gauge('sensorhub_process_resident_memory_bytes', 'Resident memory.', () =>
      process.memoryUsage.rss(),
    );

    const http: FastifyInstance = await buildHttpServer({
      logger: logger.child({ ns: 'http' }),
      ingest: { ingestor, rules: rulesSource, maxPayloadSize: config.ingest.maxPayloadSize },
      alerts,
      hooks: config.alerts.hooks,
      maxQueryPoints: config.query.maxPoints,
      maxQuerySeries: config.query.maxSeries,
      queryTimeoutMs: config.query.timeout,
      backup: {
        scratchDir: config.dataDir,
        blobsDir: config.blobs.type === 'fs' ? join(config.dataDir, 'blobs') : undefined,
      },
      blobs,
      auth,
      devices,
      dashboards,
      publish: (topic, payload, qos, retain) => source.publish(topic, payload, qos, retain),
      store,
      queryService: new QueryService(store, config.query.maxPoints, config.ingest.database),
      metrics,
      defaultDatabase: config.ingest.database,
      mqtt: (stream, req) => source.handleWebSocket(stream, req),
      live,
      retention,
      isReady: () => {
        const checks = { broker: source.ready(), store: store.isWritable() };
        return { ready: checks.broker && checks.store, checks };
      },
      nowMicros: () => clock.nowMicros(),
      maxMqttPacketSize: config.mqtt.maxPacketSize,
      influxWrite: {
        batcher,
        deadLetters,
        maxPendingPoints: config.ingest.maxPendingPoints,
        deadLetterPayloadLimit: config.ingest.deadLetterPayloadLimit,
      },
      tls,
      broker: { endpoint: () => source.endpoint(), clients: () => source.clients() },
    });
    disposers.push(() => http.close());
    await http.listen({ host: config.http.host, port: config.http.port });
    const httpAddress = http.server.address();
    const httpPort = typeof httpAddress === 'object' && httpAddress ? httpAddress.port : config.http.port;

    await source.start();
    // Disposers run in reverse: intake stops, pending publishes commit and are acknowledged (flush), alerts
    // evaluate them, save their state and finish their actions' deliveries (over MQTT too), and only then
    // do client connections close.
    disposers.push(() => source.stop());
    disposers.push(() => alerts.stop());
    disposers.push(() => batcher.flush());
    disposers.push(() => source.stopIntake());

    const described = source.describe();
    if (config.demo) {
      if (typeof described.mqttPort !== 'number') {
        throw new AppError(
          'CFG_INVALID',
          'invalid configuration:\n  demo: needs the embedded broker (broker.mode: embedded)',
        );
      }
      const demo = await startDemo({ auth, mqttPort: described.mqttPort, logger });
      disposers.push(() => demo.stop());
      await dashboards.create(DEMO_DASHBOARD).catch((err: unknown) => {
        // Saved at an earlier demo start (and maybe edited since): keep it.
        if (!(err instanceof AppError && err.code === 'DASH_EXISTS')) throw err;
      });
    }

    logger.info(
      {
        ...described,
        httpPort,
        wsUrl: `${tls ? 'wss' : 'ws'}://${shown(config.http.host)}:${httpPort}/mqtt`,
        apiUrl: `${tls ? 'https' : 'http'}://${shown(config.http.host)}:${httpPort}/api/v1`,
        dataDir: config.dataDir,
      },
      'sensorhub ready',
    );

    let stopping: Promise<void> | undefined;
    return {
      mqttPort: typeof described.mqttPort === 'number' ? described.mqttPort : 0,
      mqttsPort: typeof described.mqttsPort === 'number' ? described.mqttsPort : undefined,
      httpPort,
      store,
      failed,
      reloadRules: () => rulesSource.reload(),
      reloadDashboards: () => provisioner.reload(),
      stop: () => {
        stopping ??= rollback();
        return stopping;
      },
    };
  } catch (err) {
    await rollback();
    throw err;
  }
}

/** Reads the TLS certificate and key files named in the config; a missing or unreadable one is a config error. */
async function loadTls(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (config.tls.cert === '') return undefined;
  const read = async (key: 'cert' | 'key') => {
    try {
      return await readFile(config.tls[key]);
    } catch (err) {
      throw new AppError(
        'CFG_INVALID',
        `invalid configuration:\n  tls.${key}: cannot read ${config.tls[key]}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
  const [cert, key] = await Promise.all([read('cert'), read('key')]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new AppError(
      'CFG_INVALID',
      `invalid configuration:\n  tls: the certificate and key do not load: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return { cert, key };
}

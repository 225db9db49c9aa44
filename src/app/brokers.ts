import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Authenticator } from '../auth/authenticator.js';
import { DurablePersistence } from '../broker/durable-persistence.js';
import { type BrokerClientInfo, type ClientObserver, EmbeddedBroker } from '../broker/embedded-broker.js';
import { ExternalIngest } from '../broker/external/external-ingest.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BrokerEndpoint } from '../http/plugins/info-api.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { RuleSet } from '../ingest/rules.js';
import type { TimeSeriesStore } from '../storage/store.js';

/** Where messages come from: sensorhub's own broker, or subscriptions on an external one. */
export interface MessageSource {
  start(): Promise<void>;
  /** Takes no new messages; those in flight still commit and are acknowledged. */
  stopIntake(): void;
  stop(): Promise<void>;
  ready(): boolean;
  connectedClients(): number;
  /** The connected clients; undefined for an external broker, whose clients are not visible from here. */
  clients(): BrokerClientInfo[] | undefined;
  /** Where devices connect (the web app's connection snippets). */
  endpoint(): BrokerEndpoint;
  handleWebSocket(stream: Duplex, req: IncomingMessage): void;
  /** Publishes a message to MQTT subscribers (devices): the embedded broker, or the external one. */
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<void>;
  /** What the `sensorhub ready` line reports. */
  describe(): Record<string, unknown>;
}

export interface SourceDeps {
  readonly auth: Authenticator;
  readonly ingestor: Ingestor;
  readonly rules: RuleSet;
  readonly store: TimeSeriesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ClientObserver;
  readonly tls: { cert: Buffer; key: Buffer } | undefined;
  /** SENSORHUB_BROKER_PASSWORD or the content of SENSORHUB_BROKER_PASSWORD_FILE (external mode). */
  readonly brokerPassword: string | undefined;
}

/** A listen address as a client would connect to it: 0.0.0.0 and :: become localhost. */
export const shown = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);

export async function createMessageSource(config: Config, deps: SourceDeps): Promise<MessageSource> {
  return config.broker.mode === 'external' ? externalSource(config, deps) : embeddedSource(config, deps);
}

function embeddedSource(config: Config, deps: SourceDeps): MessageSource {
  const broker = new EmbeddedBroker({
    host: config.mqtt.host,
    port: config.mqtt.port,
    ...(deps.tls ? { tls: { port: config.mqtt.tlsPort, ...deps.tls } } : {}),
    maxPacketSize: config.mqtt.maxPacketSize,
    maxConnectionsPerUser: config.mqtt.maxConnectionsPerUser,
    receiveMaximum: config.mqtt.receiveMaximum,
    auth: deps.auth,
    ingestor: deps.ingestor,
    persistence: new DurablePersistence(deps.store, deps.logger),
    clock: deps.clock,
    logger: deps.logger,
    observer: deps.observer,
  });
  return {
    start: () => broker.start(),
    stopIntake: () => broker.stopListening(),
    stop: () => broker.stop(),
    ready: () => broker.listening,
    connectedClients: () => broker.connectedClients,
    clients: () => broker.clientList(),
    endpoint: () => ({
      mode: 'embedded',
      port: broker.port,
      ...(broker.tlsPort === undefined ? {} : { tlsPort: broker.tlsPort }),
    }),
    handleWebSocket: (stream, req) => broker.handle(stream, req),
    publish: (topic, payload, qos, retain) => broker.publish(topic, payload, qos, retain),
    describe: () => ({
      mqttPort: broker.port,
      mqttUrl: `mqtt://${shown(config.mqtt.host)}:${broker.port}`,
      ...(broker.tlsPort === undefined
        ? {}
        : { mqttsPort: broker.tlsPort, mqttsUrl: `mqtts://${shown(config.mqtt.host)}:${broker.tlsPort}` }),
    }),
  };
}

async function externalSource(config: Config, deps: SourceDeps): Promise<MessageSource> {
  let ca: Buffer | undefined;
  if (config.broker.caFile !== '') {
    try {
      ca = await readFile(config.broker.caFile);
    } catch (err) {
      throw new AppError(
        'CFG_INVALID',
        `invalid configuration:\n  broker.caFile: cannot read ${config.broker.caFile}: ${(err as Error).message}`,
      );
    }
  }
  const clientId = config.broker.clientId || `sensorhub-${hostname()}`;
  const external = new ExternalIngest({
    url: config.broker.url,
    clientId,
    username: config.broker.username || undefined,
    password: deps.brokerPassword,
    ca,
    shareGroup: config.broker.shareGroup,
    rules: deps.rules,
    ingestor: deps.ingestor,
    clock: deps.clock,
    logger: deps.logger,
  });
  return {
    start: () => external.start(),
    // The session stops taking messages when it disconnects, after those in flight are acknowledged.
    stopIntake: () => {},
    stop: () => external.stop(),
    ready: () => external.connected,
    connectedClients: () => 0,
    clients: () => undefined,
    endpoint: () => ({ mode: 'external', url: config.broker.url }),
    handleWebSocket: (stream) => {
      // No broker here: devices connect to the external broker.
      stream.destroy();
    },
    publish: (topic, payload, qos, retain) => external.publish(topic, payload, qos, retain),
    describe: () => ({ broker: 'external', brokerUrl: config.broker.url, clientId }),
  };
}

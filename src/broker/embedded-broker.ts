import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Ingestor, IngestVerdict } from '../ingest/ingestor.js';
import type { DurablePersistence } from './durable-persistence.js';
import { RedeliveryCache } from './redelivery-cache.js';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
  /** MQTT over TLS, when a certificate is configured. */
  readonly tls?: { readonly port: number; readonly cert: Buffer; readonly key: Buffer };
  readonly maxPacketSize: number;
  /** Open connections one user may have; 0 for no limit. */
  readonly maxConnectionsPerUser: number;
  /** In-flight QoS 1/2 publishes a client may have, advertised in CONNACK (MQTT 5 Receive Maximum). */
  readonly receiveMaximum: number;
  readonly auth: Authenticator;
  readonly ingestor: Ingestor;
  /** Keeps retained messages and persistent sessions across restarts. */
  readonly persistence: DurablePersistence;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told when authenticated clients come, publish and go (device presence). */
  readonly observer?: ClientObserver;
}

/** One connected MQTT client, as `GET /api/v1/broker/clients` lists it. */
export interface BrokerClientInfo {
  readonly clientId: string;
  /** The user it authenticated as; null for an anonymous client. */
  readonly username: string | null;
  readonly address: string | null;
  readonly transport: 'tcp' | 'tls' | 'websocket';
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  readonly protocolVersion: number;
  readonly cleanSession: boolean;
  /** RFC 3339: when its CONNECT was accepted. */
  readonly connectedAt: string;
  readonly subscriptions: number;
}

export interface ClientObserver {
  connected(username: string): void;
  published(username: string): void;
  disconnected(username: string): void;
}

// MQTT 5 reason codes used here [MQTT-2.4].
const RC_UNSPECIFIED_ERROR = 0x80;
const RC_NOT_AUTHORIZED = 0x87;
const RC_PAYLOAD_FORMAT_INVALID = 0x99;
// MQTT 3.1.1 CONNACK return code 4 = bad user name or password, 5 = not authorized [MQTT-3.2.2.3].
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

/** aedes keeps this flag on the packet to skip acking and forwarding it; we set it when we answer ourselves. */
type FlaggedPacket = PublishPacket & { _notAuthorized?: boolean };

/**
 * The embedded MQTT broker (aedes 2: MQTT 3.1.1 and 5.0) on TCP and TLS, plus a `handle` for WebSocket
 * streams.
 * Publishes pass through ingest inside aedes' authorizePublish hook, which aedes awaits before it sends
 * PUBACK/PUBREC: so a QoS 1/2 publish that a rule accepts is acknowledged only after its batch committed.
 */
export class EmbeddedBroker {
  #aedes: Aedes | undefined;
  #tcp: Server | undefined;
  #tls: Server | undefined;
  #closed: Promise<void> | undefined;
  readonly #redelivery = new RedeliveryCache();
  /** Who each connection authenticated as; null for anonymous clients (with --allow-anonymous). */
  readonly #principals = new WeakMap<Client, Principal | null>();
  readonly #connectionsPerUser = new Map<string, number>();
  /** aedes keeps no connect time; the broker page shows "connected since". */
  readonly #connectedAt = new WeakMap<Client, number>();
  #unlisten: (() => void) | undefined;

  constructor(private readonly opts: EmbeddedBrokerOptions) {}

  get port(): number {
    return portOf(this.#tcp);
  }

  /** The MQTT over TLS port, or undefined when TLS is not configured. */
  get tlsPort(): number | undefined {
    return this.#tls ? portOf(this.#tls) : undefined;
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  /** The clients connected now, by client id. */
  clientList(): BrokerClientInfo[] {
    const aedes = this.#aedes;
    if (!aedes) return [];
    const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
    return Object.values(clients)
      .map((client): BrokerClientInfo => {
        // aedes keeps a client's subscriptions on it (by filter), outside its typings.
        const subs = (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions;
        const transport = client.req ? 'websocket' : client.conn instanceof TLSSocket ? 'tls' : 'tcp';
        return {
          clientId: client.id,
          username: this.#principals.get(client)?.username ?? null,
          address: remoteAddress(client) ?? null,
          transport,
          protocolVersion: client.version,
          cleanSession: client.clean,
          connectedAt: new Date(this.#connectedAt.get(client) ?? this.opts.clock.nowMs()).toISOString(),
          subscriptions: subs ? Object.keys(subs).length : 0,
        };
      })
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  get listening(): boolean {
    return (this.#tcp?.listening ?? false) && (this.#tls === undefined || this.#tls.listening);
  }

  async start(): Promise<void> {
    const { logger } = this.opts;
    const aedes = await Aedes.createBroker({
      persistence: this.opts.persistence,
      maximumPacketSize: this.opts.maxPacketSize,
      receiveMaximum: this.opts.receiveMaximum,
      topicAliasMaximum: 64,
      connectTimeout: 10_000,
      authenticate: (client, username, password, done) =>
        this.#authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.#onPublish(client, packet as FlaggedPacket, done),
      authorizeSubscribe: (client, sub, done) => this.#onSubscribe(client, sub, done),
    });
    this.#aedes = aedes;
    // A changed password or a removed user or device ends that user's open connections: they must log in
    // again with what is valid now.
    this.#unlisten = this.opts.auth.onCredentialsChanged((name) => {
      const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
      for (const client of Object.values(clients)) {
        if (this.#principals.get(client)?.username === name) {
          this.opts.logger.info(
            { clientId: client.id, username: name },
            'credentials changed: disconnecting',
          );
          client.close();
        }
      }
    });
    aedes.on('clientReady', (client) => this.#connectedAt.set(client, this.opts.clock.nowMs()));
    const observer = this.opts.observer;
    if (observer) {
      aedes.on('clientReady', (client) => {
        const p = this.#principals.get(client);
        if (p) observer.connected(p.username);
      });
      aedes.on('clientDisconnect', (client) => {
        const p = this.#principals.get(client);
        if (p) observer.disconnected(p.username);
      });
    }
    aedes.on('clientError', (client, err) =>
      logger.debug({ clientId: client.id, err: err.message }, 'client error'),
    );
    aedes.on('connectionError', (client, err) =>
      logger.debug({ clientId: client?.id, err: err.message }, 'connection error'),
    );

    try {
      this.#tcp = createServer((socket) => aedes.handle(socket));
      await listen(this.#tcp, this.opts.port, this.opts.host);
      const tls = this.opts.tls;
      if (tls) {
        this.#tls = createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (socket) =>
          aedes.handle(socket),
        );
        // A plain-TCP client or a bad certificate ends in the handshake; the listener carries on.
        this.#tls.on('tlsClientError', (err, socket) =>
          logger.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'),
        );
        await listen(this.#tls, tls.port, this.opts.host);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Publishes as the broker itself (not through ingest): commands to devices from other systems. */
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    const aedes = this.#aedes;
    if (!aedes) return Promise.reject(new Error('broker not started'));
    return new Promise<void>((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Hands a WebSocket (or any duplex) connection to the broker. */
  handle(stream: Duplex, req?: IncomingMessage): void {
    if (!this.#aedes) throw new Error('broker not started');
    this.#aedes.handle(stream, req);
  }

  /** Stops accepting connections; existing clients stay so their pending acks can still be sent. */
  stopListening(): void {
    // net.Server#close calls back only once every connection has ended, so it is not awaited here.
    this.#closed ??= Promise.all([this.#tcp, this.#tls].map(closeServer)).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#unlisten?.();
    this.stopListening();
    const aedes = this.#aedes;
    this.#aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await this.#closed;
    await this.opts.persistence.stop();
    this.#tcp = undefined;
    this.#tls = undefined;
  }

  #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const { auth } = this.opts;
    if (username === undefined && password === undefined && auth.allowAnonymous) {
      this.#principals.set(client, null);
      done(null, true);
      return;
    }
    auth.verify(username, password?.toString('utf8'), remoteAddress(client)).then(
      (principal) => {
        if (principal) {
          if (!this.#countConnection(client, principal.username)) {
            auth.logRefusal(
              { clientId: client.id, username: principal.username, limit: this.opts.maxConnectionsPerUser },
              'MQTT CONNECT refused: too many connections for this user (mqtt.maxConnectionsPerUser)',
            );
            const err = new Error('too many connections for this user') as AuthenticateError;
            err.returnCode = SERVER_UNAVAILABLE;
            done(err, false);
            return;
          }
          this.#principals.set(client, principal);
          done(null, true);
          return;
        }
        auth.logRefusal(
          { clientId: client.id, username, remote: remoteAddress(client) },
          'MQTT CONNECT refused: bad username or password (AUTH_INVALID)',
        );
        const err = new Error('bad username or password') as AuthenticateError;
        err.returnCode = username === undefined ? NOT_AUTHORIZED : BAD_USERNAME_OR_PASSWORD;
        done(err, false);
      },
      (cause: unknown) => {
        const blocked = cause instanceof AppError && cause.code === 'AUTH_BLOCKED';
        auth.logRefusal(
          { err: cause, clientId: client.id, remote: remoteAddress(client) },
          blocked
            ? 'MQTT CONNECT refused: address blocked (AUTH_BLOCKED)'
            : 'MQTT CONNECT refused: cannot check credentials now',
        );
        const err = new Error(
          blocked ? 'address blocked' : 'authentication unavailable',
        ) as AuthenticateError;
        err.returnCode = blocked ? NOT_AUTHORIZED : SERVER_UNAVAILABLE;
        done(err, false);
      },
    );
  }

  /**
   * Counts the connection against its user's limit; false when the user is at the limit. The count drops
   * when the connection's stream closes, however it ends.
   */
  #countConnection(client: Client, username: string): boolean {
    const max = this.opts.maxConnectionsPerUser;
    const open = this.#connectionsPerUser.get(username) ?? 0;
    if (max > 0 && open >= max) return false;
    this.#connectionsPerUser.set(username, open + 1);
    client.conn.once('close', () => {
      const left = (this.#connectionsPerUser.get(username) ?? 1) - 1;
      if (left > 0) this.#connectionsPerUser.set(username, left);
      else this.#connectionsPerUser.delete(username);
    });
    return true;
  }

  /** A subscription outside the user's ACL is refused: SUBACK 0x80 (3.1.1) or 0x87 (5.0). */
  #onSubscribe(
    client: Client,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const principal = this.#principals.get(client);
    if (principal && principal.role !== 'admin') {
      if (
        !principal.subscribe.allowsFilter(sub.topic, { username: principal.username, clientId: client.id })
      ) {
        this.opts.auth.logRefusal(
          { clientId: client.id, username: principal.username, filter: sub.topic },
          'SUBSCRIBE refused by ACL (AUTH_FORBIDDEN)',
        );
        done(null, null);
        return;
      }
    }
    done(null, sub);
  }

  /**
   * A publish outside the user's ACL goes nowhere: MQTT 5 publishers get 0x87, MQTT 3.1.1 ones an ordinary
   * PUBACK (the protocol has no way to say no), as Mosquitto does. Returns false when it was refused.
   */
  #allowedToPublish(client: Client, principal: Principal | null | undefined, packet: FlaggedPacket): boolean {
    if (!principal || principal.role === 'admin') return true;
    if (principal.publish.allowsTopic(packet.topic, { username: principal.username, clientId: client.id }))
      return true;
    this.opts.auth.logRefusal(
      { clientId: client.id, username: principal.username, topic: packet.topic },
      'PUBLISH refused by ACL (AUTH_FORBIDDEN)',
    );
    if (client.version === 5) {
      this.#answer(client, packet, RC_NOT_AUTHORIZED, 'AUTH_FORBIDDEN: not allowed to publish to this topic');
    } else {
      packet._notAuthorized = true;
      if (packet.qos === 1) writePacket(client, { cmd: 'puback', messageId: packet.messageId });
      if (packet.qos === 2) writePacket(client, { cmd: 'pubrec', messageId: packet.messageId });
    }
    return false;
  }

  #onPublish(client: Client | null, packet: FlaggedPacket, done: (error?: Error | null) => void): void {
    // [MQTT-4.7.3-2] topic names must not contain U+0000; mqtt-packet lets them through.
    if (packet.topic.includes('\u0000')) {
      done(new Error('topic name contains U+0000'));
      return;
    }
    if (packet.topic.startsWith('$SYS')) {
      done(new Error('$SYS topics are reserved'));
      return;
    }
    // The broker's own publishes (last wills of vanished clients) carry no client.
    if (client === null) {
      done(null);
      return;
    }
    const principal = this.#principals.get(client);
    if (!this.#allowedToPublish(client, principal, packet)) {
      done(null);
      return;
    }
    if (principal) this.opts.observer?.published(principal.username);

    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const receivedAt = this.#redelivery.receivedAt(client.id, packet, payload, this.opts.clock.nowMicros());

    const verdict = this.opts.ingestor.ingest({
      source: 'mqtt',
      clientId: client.id,
      topic: packet.topic,
      payload,
      receivedAt,
      contentType: (packet as { properties?: { contentType?: string } }).properties?.contentType,
    });
    if (!(verdict instanceof Promise)) {
      this.#settle(client, packet, verdict, done);
      return;
    }
    verdict.then(
      (v) => this.#settle(client, packet, v, done),
      (err: unknown) => {
        // Not stored, so not acknowledged: MQTT 5 gets an error reason code, 3.1.1 loses the connection
        // and re-sends the publish when it reconnects.
        if (client.version === 5) {
          // The cause (paths, driver messages) stays in the server log; the device learns what to do.
          this.#answer(client, packet, RC_UNSPECIFIED_ERROR, `${codeOf(err)}: not stored; retry later`);
          done(null);
        } else {
          done(err as Error);
        }
      },
    );
  }

  #settle(
    client: Client,
    packet: FlaggedPacket,
    verdict: IngestVerdict,
    done: (error?: Error | null) => void,
  ): void {
    if (verdict.kind === 'rejected' && client.version === 5) {
      // MQTT 5 can say why: answer with PUBACK/PUBREC 0x99 ourselves and tell aedes not to ack or
      // forward. MQTT 3.1.1 cannot carry a failure in PUBACK, so there the message is acked and
      // forwarded like any other, and the dead-letter record is the trace.
      this.#answer(client, packet, RC_PAYLOAD_FORMAT_INVALID, `${verdict.code}: ${verdict.message}`);
    }
    done(null);
  }

  #answer(client: Client, packet: FlaggedPacket, reasonCode: number, reasonString: string): void {
    packet._notAuthorized = true;
    if (packet.qos === 0 || client.closed) return;
    // [MQTT-3.1.2-29] no Reason String for a client that set Request Problem Information to 0.
    const wantsReasons =
      (client as Client & { _requestProblemInformation?: boolean })._requestProblemInformation !== false;
    writePacket(client, {
      cmd: packet.qos === 1 ? 'puback' : 'pubrec',
      messageId: packet.messageId,
      reasonCode,
      ...(wantsReasons ? { properties: { reasonString: reasonString.slice(0, 512) } } : {}),
    });
  }
}

/**
 * Writes an ack that aedes will not send because the packet is flagged `_notAuthorized`. Written straight
 * to the connection in the client's protocol version; aedes 2.0.0-beta.1 (pinned) has no hook for a
 * reason code of our choosing, and test/e2e covers the packets this produces.
 */
function writePacket(client: Client, packet: mqttPacket.IPubackPacket | mqttPacket.IPubrecPacket): void {
  if (client.closed) return;
  mqttPacket.writeToStream(packet, client.conn, { protocolVersion: client.version === 5 ? 5 : 4 });
}

function codeOf(err: unknown): string {
  return err instanceof AppError ? err.code : 'STO_WRITE_FAILED';
}

function portOf(server: Server | undefined): number {
  return (server?.address() as AddressInfo | null)?.port ?? 0;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket.remoteAddress;
}

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { Logger } from '../../core/logger.js';

export interface SessionOptions {
  /** mqtt://host:port or mqtts://host:port */
  readonly url: string;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** PEM CA certificate(s) to trust for mqtts://, besides the system ones. */
  readonly ca?: Buffer | undefined;
  /** Topic filters to subscribe to at QoS 2 (shared subscriptions included). */
  readonly filters: readonly string[];
  /** Seconds the broker keeps the session (and queues messages) while we are away. */
  readonly sessionExpirySeconds: number;
  /** Publishes the broker may have in flight to us at once (MQTT 5 Receive Maximum). */
  readonly receiveMaximum: number;
  readonly keepaliveSeconds: number;
  readonly logger: Logger;
  /**
   * Called for every PUBLISH; the PUBACK/PUBREC is sent when the promise resolves (with the reason code),
   * so a message is acknowledged only after it is handled. A rejection sends no ack and reconnects, so
   * the broker delivers the message again from the session.
   */
  readonly onMessage: (packet: mqttPacket.IPublishPacket) => Promise<number>;
}

type State = 'idle' | 'connecting' | 'up' | 'stopped';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * An MQTT 5 subscriber session for the external-broker mode, on mqtt-packet directly: unlike MQTT.js,
 * whose customHandleAcks handles one message at a time, it keeps up to Receive Maximum messages in flight
 * so that they share group commits, and acknowledges each only after it is stored. Persistent session
 * (Clean Start 0 + Session Expiry), reconnect with backoff, keep-alive.
 */
export class MqttSession {
  #state: State = 'idle';
  #socket: Socket | undefined;
  #ping: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #backoff = RECONNECT_MIN_MS;
  #nextId = 1;
  #inflight = 0;
  /** Our own publishes waiting for PUBACK (QoS 1) or PUBCOMP (QoS 2), by packet id. */
  readonly #outgoing = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** QoS 2 packet ids PUBREC'd and awaiting PUBREL: a re-sent PUBLISH with one of them is not handled twice. */
  readonly #qos2 = new Set<number>();
  #firstUp: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly opts: SessionOptions) {}

  get connected(): boolean {
    return this.#state === 'up';
  }

  get inflight(): number {
    return this.#inflight;
  }

  /**
   * Resolves once connected and subscribed the first time; rejects if the broker refuses us or cannot be
   * reached within `timeoutMs` (a start-up error the operator should see, not a silent retry loop).
   */
  start(timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#firstUp = undefined;
        this.#state = 'stopped';
        clearTimeout(this.#reconnect);
        this.#socket?.destroy();
        reject(
          new Error(`cannot reach the external broker at ${this.opts.url} within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      this.#firstUp = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#connect();
    });
  }

  /** Waits for the messages in flight to be acknowledged (up to `graceMs`), then disconnects cleanly. */
  async stop(graceMs = 10_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.#inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.#state = 'stopped';
    clearTimeout(this.#reconnect);
    clearInterval(this.#ping);
    const socket = this.#socket;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.end(mqttPacket.generate({ cmd: 'disconnect', reasonCode: 0 }, { protocolVersion: 5 }), () =>
          resolve(),
        );
        setTimeout(resolve, 1000).unref();
      });
      socket.destroy();
    }
  }

  /** Publishes through this session; resolves when the broker acknowledged it (at once for QoS 0). */
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    const socket = this.#socket;
    if (this.#state !== 'up' || !socket) {
      return Promise.reject(new Error('not connected to the external broker'));
    }
    if (qos === 0) {
      this.#write(socket, { cmd: 'publish', topic, payload, qos: 0, retain, dup: false });
      return Promise.resolve();
    }
    const messageId = this.#packetId();
    return new Promise<void>((resolve, reject) => {
      this.#outgoing.set(messageId, { resolve, reject });
      this.#write(socket, { cmd: 'publish', topic, payload, qos, retain, dup: false, messageId });
    });
  }

  #settleOutgoing(messageId: number | undefined, reasonCode: number | undefined): void {
    const waiter = messageId === undefined ? undefined : this.#outgoing.get(messageId);
    if (!waiter) return;
    this.#outgoing.delete(messageId as number);
    if (reasonCode !== undefined && reasonCode >= 0x80) {
      waiter.reject(
        new Error(`the external broker refused the publish (reason code 0x${reasonCode.toString(16)})`),
      );
    } else {
      waiter.resolve();
    }
  }

  #connect(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    const url = new URL(this.opts.url);
    const secure = url.protocol === 'mqtts:';
    const port = Number(url.port || (secure ? 8883 : 1883));
    const socket: Socket = secure
      ? tlsConnect({
          host: url.hostname,
          port,
          servername: url.hostname,
          ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        })
      : netConnect({ host: url.hostname, port });
    this.#socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (packet) => this.#onPacket(socket, packet));
    parser.on('error', (err) => {
      this.opts.logger.warn({ err: err.message }, 'external broker sent a malformed packet; reconnecting');
      socket.destroy();
    });
    socket.on('data', (data) => parser.parse(data));
    socket.on('error', (err) =>
      this.opts.logger.debug({ err: err.message }, 'external broker connection error'),
    );
    socket.on('close', () => this.#onClose(socket));
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.#write(socket, {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: false,
        clientId: this.opts.clientId,
        keepalive: this.opts.keepaliveSeconds,
        ...(this.opts.username === undefined ? {} : { username: this.opts.username }),
        ...(this.opts.password === undefined ? {} : { password: Buffer.from(this.opts.password) }),
        properties: {
          sessionExpiryInterval: this.opts.sessionExpirySeconds,
          receiveMaximum: this.opts.receiveMaximum,
        },
      });
    });
  }

  #onPacket(socket: Socket, packet: mqttPacket.Packet): void {
    switch (packet.cmd) {
      case 'connack':
        this.#onConnack(socket, packet);
        return;
      case 'suback': {
        const refused = (packet.granted as number[]).filter((g) => g >= 0x80);
        if (refused.length > 0) {
          const err = new Error(
            `the external broker refused a subscription (reason codes ${refused.join(', ')})`,
          );
          this.opts.logger.error({ filters: this.opts.filters, granted: packet.granted }, err.message);
          this.#firstUp?.reject(err);
          this.#firstUp = undefined;
          return;
        }
        this.#state = 'up';
        this.#backoff = RECONNECT_MIN_MS;
        this.opts.logger.info(
          { url: this.opts.url, filters: this.opts.filters },
          'subscribed on the external broker',
        );
        this.#firstUp?.resolve();
        this.#firstUp = undefined;
        return;
      }
      case 'publish':
        this.#onPublish(socket, packet);
        return;
      case 'puback':
      case 'pubcomp':
        this.#settleOutgoing(packet.messageId, packet.reasonCode);
        return;
      case 'pubrec':
        if ((packet.reasonCode ?? 0) >= 0x80) this.#settleOutgoing(packet.messageId, packet.reasonCode);
        else this.#write(socket, { cmd: 'pubrel', messageId: packet.messageId as number });
        return;
      case 'pubrel':
        this.#qos2.delete(packet.messageId as number);
        this.#write(socket, { cmd: 'pubcomp', messageId: packet.messageId as number });
        return;
      case 'disconnect':
        this.opts.logger.warn({ reasonCode: packet.reasonCode }, 'the external broker disconnected us');
        socket.destroy();
        return;
      default:
        return;
    }
  }

  #onConnack(socket: Socket, packet: mqttPacket.IConnackPacket): void {
    const code = packet.reasonCode ?? packet.returnCode ?? 0;
    if (code !== 0) {
      // 0x86 bad user name or password; 0x87 not authorized (Mosquitto's answer to a wrong password).
      const hint = [0x86, 0x87, 4, 5].includes(code) ? ': check its username and password' : '';
      const err = new Error(
        `the external broker refused the connection (reason code 0x${code.toString(16)})${hint}`,
      );
      this.opts.logger.error({ url: this.opts.url, clientId: this.opts.clientId }, err.message);
      if (this.#firstUp) {
        this.#firstUp.reject(err);
        this.#firstUp = undefined;
        this.#state = 'stopped';
      }
      socket.destroy();
      return;
    }
    clearInterval(this.#ping);
    this.#ping = setInterval(
      () => this.#write(socket, { cmd: 'pingreq' }),
      (this.opts.keepaliveSeconds * 1000) / 2,
    );
    this.#ping.unref();
    // Subscribing again on a resumed session is harmless and covers a session the broker expired.
    this.#write(socket, {
      cmd: 'subscribe',
      messageId: this.#packetId(),
      subscriptions: this.opts.filters.map((topic) => ({ topic, qos: 2 as const })),
    });
  }

  #onPublish(socket: Socket, packet: mqttPacket.IPublishPacket): void {
    const { qos, messageId } = packet;
    if (qos === 2 && this.#qos2.has(messageId as number)) {
      // Already handled and PUBREC'd; the broker missed our PUBREC [MQTT-4.3.3].
      this.#write(socket, { cmd: 'pubrec', messageId: messageId as number });
      return;
    }
    this.#inflight++;
    this.opts.onMessage(packet).then(
      (reasonCode) => {
        this.#inflight--;
        if (socket.destroyed || qos === 0) return;
        if (qos === 2) this.#qos2.add(messageId as number);
        this.#write(socket, {
          cmd: qos === 1 ? 'puback' : 'pubrec',
          messageId: messageId as number,
          reasonCode,
        });
      },
      (err: unknown) => {
        this.#inflight--;
        // Not stored: no ack. Dropping the connection makes the broker deliver it again from the session.
        this.opts.logger.warn(
          { err: (err as Error).message },
          'message not stored; reconnecting for redelivery',
        );
        socket.destroy();
      },
    );
  }

  #onClose(socket: Socket): void {
    if (socket !== this.#socket) return;
    clearInterval(this.#ping);
    // Our publishes in flight are not retried over a new connection; their callers learn it failed.
    for (const waiter of this.#outgoing.values())
      waiter.reject(new Error('the external broker connection closed'));
    this.#outgoing.clear();
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    this.opts.logger.warn(
      { url: this.opts.url, retryInMs: this.#backoff },
      'lost the external broker; reconnecting',
    );
    this.#reconnect = setTimeout(() => this.#connect(), this.#backoff);
    this.#backoff = Math.min(this.#backoff * 2, RECONNECT_MAX_MS);
  }

  #write(socket: Socket, packet: mqttPacket.Packet): void {
    if (!socket.destroyed) mqttPacket.writeToStream(packet, socket, { protocolVersion: 5 });
  }

  #packetId(): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 65535) + 1;
    return id;
  }
}

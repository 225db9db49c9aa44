import { createConnection, type Socket } from 'node:net';
import { generate, type Packet, parser } from 'mqtt-packet';
import { BAD_EVERY, type LoadConfig, type Scenario } from './load-protocol.js';

/** A pre-encoded PUBLISH: only the 2-byte message id changes between sends. */
interface Template {
  readonly bytes: Buffer;
  readonly idOffset: number;
  /** A malformed payload (plain-bad), which the server must keep as a dead letter. */
  readonly bad: boolean;
}

// Payload variants per connection, so stored values are not all identical (and a decoder cannot shortcut).
const VARIANTS = 8;
const MAX_ID = 65535;

export interface ConnectionHooks {
  /** Called per PUBACK with the publish→ack time; returns whether to keep the window full. */
  onAck(latencyMs: number): boolean;
  onError(message: string): void;
}

/**
 * One device connection of the load generator: raw TCP, pre-encoded QoS 1 PUBLISHes, mqtt-packet to parse
 * what comes back. Keeps `window` PUBLISHes in flight, refilling once per socket read so writes batch.
 */
export class BenchConnection {
  inflight = 0;
  published = 0;
  bad = 0;
  private readonly index: number;
  private readonly config: LoadConfig;
  private readonly hooks: ConnectionHooks;
  private socket: Socket | undefined;
  private templates: Template[] = [];
  private readonly sentAt = new Float64Array(MAX_ID + 1);
  private nextId = 1;
  private sending = false;
  private stopping = false;
  private closed = false;

  constructor(index: number, config: LoadConfig, hooks: ConnectionHooks) {
    this.index = index;
    this.config = config;
    this.hooks = hooks;
  }

  /** Opens the socket and resolves on a successful CONNACK. */
  start(): Promise<void> {
    const { config, index } = this;
    this.templates = buildTemplates(config.scenario, index);
    const socket = createConnection({ host: config.host, port: config.port });
    socket.setNoDelay(true);
    this.socket = socket;
    const packets = parser({ protocolVersion: 4 });
    return new Promise((resolve, reject) => {
      packets.on('packet', (packet: Packet) => {
        if (packet.cmd === 'puback') this.acked(packet.messageId ?? 0);
        else if (packet.cmd === 'connack') {
          if (packet.returnCode === 0) resolve();
          else reject(new Error(`CONNACK return code ${packet.returnCode}`));
        }
      });
      packets.on('error', (err: Error) => this.fail(`parse error: ${err.message}`));
      socket.on('data', (chunk: Buffer) => {
        packets.parse(chunk);
        if (this.sending) this.fill();
      });
      socket.once('connect', () => {
        socket.write(
          generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: `${config.clientIdPrefix}-${index}`,
            clean: true,
            keepalive: 60,
            username: config.username,
            password: config.password === undefined ? undefined : Buffer.from(config.password),
          }),
        );
      });
      socket.on('error', (err) => {
        reject(err);
        this.fail(`socket error: ${err.message}`);
      });
      socket.on('close', () => {
        reject(new Error('connection closed before CONNACK'));
        if (!this.stopping && (this.sending || this.inflight > 0)) {
          this.fail(`connection closed by the server with ${this.inflight} PUBLISHes unacknowledged`);
        }
        // Those will never be acked on this connection; the drain must not wait for them.
        this.inflight = 0;
        this.closed = true;
      });
    });
  }

  /** Starts (true) or stops (false) topping the window up; outstanding PUBLISHes still get their acks. */
  setSending(sending: boolean): void {
    this.sending = sending;
    if (sending) this.fill();
  }

  /** Sends DISCONNECT and closes. */
  stop(): Promise<void> {
    const socket = this.socket;
    this.sending = false;
    this.stopping = true;
    if (!socket || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end(generate({ cmd: 'disconnect' }));
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }

  private fill(): void {
    const socket = this.socket;
    const want = this.config.window - this.inflight;
    if (!socket || this.closed || want <= 0) return;
    let size = 0;
    const picks: Template[] = [];
    for (let i = 0; i < want; i++) {
      const template = this.templates[(this.published + i) % this.templates.length] as Template;
      if (template.bad) this.bad++;
      picks.push(template);
      size += template.bytes.length;
    }
    const batch = Buffer.allocUnsafe(size);
    const now = performance.now();
    let offset = 0;
    for (const template of picks) {
      template.bytes.copy(batch, offset);
      // Ids are reused after 65535 sends; the window (< 65535) guarantees the old one was acked by then.
      const id = this.nextId;
      this.nextId = id === MAX_ID ? 1 : id + 1;
      batch.writeUInt16BE(id, offset + template.idOffset);
      this.sentAt[id] = now;
      offset += template.bytes.length;
    }
    this.inflight += want;
    this.published += want;
    socket.write(batch);
  }

  private acked(id: number): void {
    this.inflight--;
    const keepGoing = this.hooks.onAck(performance.now() - (this.sentAt[id] ?? 0));
    if (!keepGoing) this.sending = false;
  }

  private fail(message: string): void {
    if (this.closed) return;
    this.hooks.onError(`connection ${this.index}: ${message}`);
  }
}

function buildTemplates(scenario: Scenario, index: number): Template[] {
  const templates: Template[] = [];
  const count = scenario === 'plain-bad' ? BAD_EVERY : VARIANTS;
  for (let v = 0; v < count; v++) {
    const bad = scenario === 'plain-bad' && v === BAD_EVERY - 1;
    const { topic, payload } = bad
      ? { topic: `sensors/dev-${index}/temp`, payload: `garbage-${v}\u0000{` }
      : message(scenario === 'plain-bad' ? 'plain' : scenario, index, v % VARIANTS);
    const body = Buffer.from(payload);
    const bytes = generate({
      cmd: 'publish',
      topic,
      payload: body,
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    // MQTT 3.1.1 PUBLISH: header, remaining length, topic, then the packet id right before the payload.
    templates.push({ bytes, idOffset: bytes.length - body.length - 2, bad });
  }
  return templates;
}

function message(scenario: Scenario, index: number, variant: number): { topic: string; payload: string } {
  const wobble = variant * 0.07;
  if (scenario === 'plain') {
    return { topic: `sensors/dev-${index}/temp`, payload: (20 + (index % 10) + wobble).toFixed(2) };
  }
  const fields = {
    temperature: Number((21.5 + wobble).toFixed(2)),
    humidity: Number((40.1 + wobble).toFixed(2)),
    pressure: Number((1013.2 + wobble).toFixed(2)),
  };
  return { topic: `bench/dev-${index}`, payload: JSON.stringify(fields) };
}

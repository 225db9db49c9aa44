import type { EpochMicros } from '../core/point.js';

/** Slots per client: more than any client keeps unacknowledged (aedes' receive window is far smaller). */
const SLOTS = 256;

/** One client's recent QoS 1/2 publishes, indexed by packet id modulo SLOTS. */
class ClientWindow {
  readonly id = new Int32Array(SLOTS).fill(-1);
  readonly hash = new Uint32Array(SLOTS);
  readonly time = new Float64Array(SLOTS);
}

/** FNV-1a over the topic and the payload: tells a re-delivery from a new message reusing the packet id. */
function fingerprint(topic: string, payload: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    h ^= topic.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  for (let i = 0; i < payload.length; i++) {
    h ^= payload[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Remembers the time given to recent QoS 1/2 publishes by (client id, packet id). When a client re-sends a
 * publish (DUP set) because our PUBACK was lost, the copy gets the original's time, so it is the *same*
 * point and the store merges it instead of counting it twice.
 *
 * Per client a fixed ring of typed arrays (no allocation per message, no payload kept); clients are held
 * in two generations of maps, so memory stays bounded however many client ids come and go.
 */
export class RedeliveryCache {
  #young = new Map<string, ClientWindow>();
  #old = new Map<string, ClientWindow>();

  constructor(private readonly clientsPerGeneration = 10_000) {}

  /** The time to give this publish: the original's for a matching re-delivery, else `now`. */
  timeFor(
    clientId: string,
    messageId: number,
    dup: boolean,
    topic: string,
    payload: Buffer,
    now: EpochMicros,
  ): EpochMicros {
    const window = this.#windowOf(clientId);
    const slot = messageId % SLOTS;
    const hash = fingerprint(topic, payload);
    if (dup && window.id[slot] === messageId && window.hash[slot] === hash)
      return window.time[slot] as number;
    window.id[slot] = messageId;
    window.hash[slot] = hash;
    window.time[slot] = now;
    return now;
  }

  /** The time for a received PUBLISH: `now`, or a QoS 1/2 re-delivery's original time. */
  receivedAt(
    clientId: string,
    packet: {
      readonly qos: number;
      readonly messageId?: number | undefined;
      readonly dup: boolean;
      readonly topic: string;
    },
    payload: Buffer,
    now: EpochMicros,
  ): EpochMicros {
    if (packet.qos === 0 || packet.messageId === undefined) return now;
    return this.timeFor(clientId, packet.messageId, packet.dup, packet.topic, payload, now);
  }

  get clients(): number {
    return this.#young.size + this.#old.size;
  }

  #windowOf(clientId: string): ClientWindow {
    let window = this.#young.get(clientId);
    if (window) return window;
    window = this.#old.get(clientId) ?? new ClientWindow();
    if (this.#young.size >= this.clientsPerGeneration) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(clientId, window);
    return window;
  }
}

import type { EpochMicros } from '../core/point.js';

interface Entry {
  readonly topic: string;
  /** A hash, not the payload: the payload is a view into a socket read buffer that we must not pin. */
  readonly payloadHash: number;
  readonly time: EpochMicros;
}

/** FNV-1a, 32 bits: enough to tell a re-delivery from a new message that reuses the packet id. */
function fnv1a(buf: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) {
    h ^= buf[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Remembers the time given to recent QoS 1/2 publishes by (client id, packet id). When a client re-sends a
 * publish (DUP set) because our PUBACK was lost, the copy gets the original's time, so it is the *same*
 * point and the store merges it instead of counting it twice.
 *
 * Bounded by two generations of maps: when the young one is full it becomes the old one and the previous
 * old one is dropped whole. (Evicting a Map's first key one at a time would make V8 skip an ever-growing
 * run of deleted slots on every insert.)
 */
export class RedeliveryCache {
  #young = new Map<string, Entry>();
  #old = new Map<string, Entry>();

  constructor(private readonly generationSize = 50_000) {}

  /** The time to give this publish: the original's for a matching re-delivery, else `now`. */
  timeFor(
    clientId: string,
    messageId: number,
    dup: boolean,
    topic: string,
    payload: Buffer,
    now: EpochMicros,
  ): EpochMicros {
    const key = `${clientId}\u0000${messageId}`;
    const payloadHash = fnv1a(payload);
    if (dup) {
      const prev = this.#young.get(key) ?? this.#old.get(key);
      if (prev && prev.topic === topic && prev.payloadHash === payloadHash) return prev.time;
    }
    if (this.#young.size >= this.generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, { topic, payloadHash, time: now });
    return now;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

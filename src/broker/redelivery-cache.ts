import type { EpochMicros } from '../core/point.js';

interface Entry {
  readonly topic: string;
  readonly payload: Buffer;
  readonly time: EpochMicros;
}

/**
 * Remembers the time given to recent QoS 1/2 publishes by (client id, packet id). When a client re-sends a
 * publish (DUP set) because our PUBACK was lost, the copy gets the original's time, so it is the *same*
 * point and the store merges it instead of counting it twice. Bounded: oldest entries go first.
 */
export class RedeliveryCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly capacity = 100_000) {}

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
    if (dup) {
      const prev = this.#entries.get(key);
      if (prev && prev.topic === topic && prev.payload.equals(payload)) return prev.time;
    }
    this.#entries.delete(key);
    this.#entries.set(key, { topic, payload, time: now });
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return now;
  }

  get size(): number {
    return this.#entries.size;
  }
}

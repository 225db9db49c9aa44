import MemoryPersistence, {
  type ClientRef,
  type PersistedPacket,
  type StoredSubscription,
} from 'aedes-persistence/asyncPersistence.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';

const RETAINED = 'mqtt.retained.';
const SUBSCRIPTIONS = 'mqtt.subscriptions.';
const QUEUE = 'mqtt.queue.';
const FLUSH_EVERY_MS = 100;

/** JSON with Buffers (payloads, correlation data) kept as base64. */
function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v &&
    typeof v === 'object' &&
    (v as { type?: string }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
      ? { $b64: Buffer.from((v as { data: number[] }).data).toString('base64') }
      : v,
  );
}

function decode<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    v && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string'
      ? Buffer.from((v as { $b64: string }).$b64, 'base64')
      : v,
  ) as T;
}

/**
 * aedes' in-memory persistence, written behind to the store: retained messages, the subscriptions of
 * persistent sessions and the QoS 1/2 messages queued for them survive a restart. Changes are collected
 * and written in one transaction every 100 ms and at stop, so a crash loses at most the last 100 ms of
 * broker state (never stored points: those are committed before their PUBACK).
 */
export class DurablePersistence extends MemoryPersistence {
  readonly #dirtyRetained = new Set<string>();
  readonly #dirtySubscriptions = new Set<string>();
  readonly #dirtyQueues = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly logger: Logger,
  ) {
    super();
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    let retained = 0;
    for (const [, raw] of await this.store.listMeta(RETAINED)) {
      await super.storeRetained(decode<PersistedPacket>(raw));
      retained++;
    }
    let sessions = 0;
    for (const [key, raw] of await this.store.listMeta(SUBSCRIPTIONS)) {
      await super.addSubscriptions(
        { id: key.slice(SUBSCRIPTIONS.length) },
        decode<StoredSubscription[]>(raw),
      );
      sessions++;
    }
    let queued = 0;
    for (const [key, raw] of await this.store.listMeta(QUEUE)) {
      const clientId = key.slice(QUEUE.length);
      for (const packet of decode<PersistedPacket[]>(raw)) {
        // Packet ids were this connection's; the client's next session gets fresh ones.
        await super.outgoingEnqueue({ clientId }, { ...packet, messageId: undefined });
        queued++;
      }
    }
    if (retained + sessions + queued > 0) {
      this.logger.info({ retained, sessions, queued }, 'broker state restored from the store');
    }
    this.#timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.#timer.unref();
  }

  override async storeRetained(packet: PersistedPacket): Promise<void> {
    await super.storeRetained(packet);
    this.#dirtyRetained.add(packet.topic);
  }

  override async addSubscriptions(client: ClientRef, subs: StoredSubscription[]): Promise<void> {
    await super.addSubscriptions(client, subs);
    this.#dirtySubscriptions.add(client.id);
  }

  override async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    this.#dirtySubscriptions.add(client.id);
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await super.cleanSubscriptions(client);
    this.#dirtySubscriptions.add(client.id);
    this.#dirtyQueues.add(client.id);
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: PersistedPacket): Promise<void> {
    await super.outgoingEnqueue(sub, packet);
    this.#dirtyQueues.add(sub.clientId);
  }

  override async outgoingEnqueueCombi(
    subs: Array<{ clientId: string }>,
    packet: PersistedPacket,
  ): Promise<void> {
    await super.outgoingEnqueueCombi(subs, packet);
    for (const s of subs) this.#dirtyQueues.add(s.clientId);
  }

  override async outgoingClearMessageId(client: ClientRef, packet: PersistedPacket) {
    const cleared = await super.outgoingClearMessageId(client, packet);
    this.#dirtyQueues.add(client.id);
    return cleared;
  }

  /** Writes every change since the last flush in one transaction. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#write())
      .catch((err: unknown) => {
        this.logger.error({ err }, 'could not save broker state (retained messages, sessions)');
      });
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #write(): Promise<void> {
    if (this.#dirtyRetained.size + this.#dirtySubscriptions.size + this.#dirtyQueues.size === 0) return;
    const retained = [...this.#dirtyRetained];
    const subscriptions = [...this.#dirtySubscriptions];
    const queues = [...this.#dirtyQueues];
    this.#dirtyRetained.clear();
    this.#dirtySubscriptions.clear();
    this.#dirtyQueues.clear();
    try {
      await this.#save(retained, subscriptions, queues);
    } catch (err) {
      // Try again at the next flush.
      for (const t of retained) this.#dirtyRetained.add(t);
      for (const id of subscriptions) this.#dirtySubscriptions.add(id);
      for (const id of queues) this.#dirtyQueues.add(id);
      throw err;
    }
  }

  async #save(retained: string[], subscriptions: string[], queues: string[]): Promise<void> {
    const entries: Array<[string, string | null]> = [];
    for (const topic of retained) {
      const packet = await this.#retained(topic);
      entries.push([RETAINED + topic, packet ? encode(packet) : null]);
    }
    for (const id of subscriptions) {
      const subs = await super.subscriptionsByClient({ id });
      entries.push([SUBSCRIPTIONS + id, subs.length > 0 ? encode(subs) : null]);
    }
    for (const id of queues) {
      const queue = (await super.outgoingStream({ id }).toArray()) as PersistedPacket[];
      entries.push([QUEUE + id, queue.length > 0 ? encode(queue) : null]);
    }
    await this.store.putMetaBatch(entries);
  }

  async #retained(topic: string): Promise<PersistedPacket | undefined> {
    // The exact topic as a pattern: no wildcards in a topic name, so this finds only itself.
    const found = (await super.createRetainedStream(topic).toArray()) as PersistedPacket[];
    return found.find((p) => p.topic === topic);
  }
}

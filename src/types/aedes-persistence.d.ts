// The async in-memory persistence of aedes-persistence 10 (its package ships no declaration next to this
// file). Only what DurablePersistence uses is declared.
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';

  export interface StoredSubscription {
    topic: string;
    qos: 0 | 1 | 2;
    rh?: number;
    rap?: boolean;
    nl?: boolean;
    subscriptionIdentifier?: number;
  }

  export interface PersistedPacket {
    topic: string;
    payload: Buffer;
    qos: number;
    retain?: boolean;
    messageId?: number;
    brokerId?: string;
    brokerCounter?: number;
    [key: string]: unknown;
  }

  export interface ClientRef {
    id: string;
  }

  export default class MemoryPersistence {
    constructor(opts?: object);
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: PersistedPacket): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    addSubscriptions(client: ClientRef, subs: StoredSubscription[]): Promise<void>;
    removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
    subscriptionsByClient(client: ClientRef): Promise<StoredSubscription[]>;
    cleanSubscriptions(client: ClientRef): Promise<void>;
    outgoingEnqueue(sub: { clientId: string }, packet: PersistedPacket): Promise<void>;
    outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: PersistedPacket): Promise<void>;
    outgoingUpdate(client: ClientRef, packet: PersistedPacket): Promise<void>;
    outgoingClearMessageId(client: ClientRef, packet: PersistedPacket): Promise<PersistedPacket | undefined>;
    outgoingStream(client: ClientRef): Readable;
    destroy(): Promise<void>;
  }
}

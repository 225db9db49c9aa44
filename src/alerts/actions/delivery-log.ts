import type { AlertState } from '../types.js';

export type ActionType = 'mqtt' | 'webhook';

/** What became of one action for one transition: what an API or CLI shows when a LED stayed green. */
export interface DeliveryRecord {
  /** When the delivery ended (delivered or given up), RFC 3339. */
  readonly time: string;
  readonly rule: string;
  readonly instance: string;
  /** The action's position in the rule's `actions` (from 0) and its type. */
  readonly action: { readonly index: number; readonly type: ActionType };
  /** The rendered topic, or the URL without its query string (which may hold a key). */
  readonly target: string;
  /** The state the instance changed to. */
  readonly state: AlertState;
  readonly ok: boolean;
  /** Publishes or requests made; 0 when it failed before any (a topic template that rendered badly). */
  readonly attempts: number;
  /** The last HTTP status, for webhooks that got an answer. */
  readonly status?: number;
  /** Why it failed, for records with `ok: false`. */
  readonly error?: string;
  /** From the first attempt to the end, retries and waits included. */
  readonly durationMs: number;
}

export interface DeliveryFilter {
  readonly rule?: string;
  /** At most this many, newest first. */
  readonly limit?: number;
}

/** The last `size` deliveries in a fixed ring: memory stays bounded however often alerts flap. */
export class DeliveryLog {
  readonly #ring: Array<DeliveryRecord | undefined>;
  #next = 0;

  constructor(readonly size: number) {
    this.#ring = new Array(size);
  }

  add(record: DeliveryRecord): void {
    this.#ring[this.#next] = record;
    this.#next = (this.#next + 1) % this.size;
  }

  /** Newest first. */
  list(filter: DeliveryFilter = {}): DeliveryRecord[] {
    const limit = filter.limit ?? this.size;
    const out: DeliveryRecord[] = [];
    for (let i = 1; i <= this.size && out.length < limit; i++) {
      const r = this.#ring[(this.#next - i + this.size) % this.size];
      if (r === undefined) break;
      if (filter.rule === undefined || r.rule === filter.rule) out.push(r);
    }
    return out;
  }
}

import type { Clock } from '../core/clock.js';

export interface PresenceState {
  readonly online: boolean;
  /** Open MQTT connections of this device (a device may reconnect before its old session is gone). */
  readonly connections: number;
  /** Epoch ms of its last CONNECT, PUBLISH or disconnect; undefined if never seen. */
  readonly lastSeen: number | undefined;
}

/**
 * Online/offline and last-seen per device, from the broker's connect, publish and disconnect events
 * (a vanished device's keep-alive timeout or last will ends in a disconnect too). Time is injected.
 */
export class PresenceTracker {
  readonly #state = new Map<string, { connections: number; lastSeen: number }>();

  constructor(private readonly clock: Clock) {}

  connected(name: string): void {
    const s = this.#entry(name);
    s.connections++;
    s.lastSeen = this.clock.nowMs();
  }

  /** Cheap enough for every publish: one map lookup and a number. */
  seen(name: string): void {
    const s = this.#state.get(name);
    if (s) s.lastSeen = this.clock.nowMs();
  }

  disconnected(name: string): void {
    const s = this.#entry(name);
    s.connections = Math.max(0, s.connections - 1);
    s.lastSeen = this.clock.nowMs();
  }

  /** Restores a last-seen time kept from an earlier run. */
  restore(name: string, lastSeen: number): void {
    const s = this.#entry(name);
    s.lastSeen = Math.max(s.lastSeen, lastSeen);
  }

  forget(name: string): void {
    this.#state.delete(name);
  }

  of(name: string): PresenceState {
    const s = this.#state.get(name);
    return s
      ? { online: s.connections > 0, connections: s.connections, lastSeen: s.lastSeen || undefined }
      : { online: false, connections: 0, lastSeen: undefined };
  }

  get onlineCount(): number {
    let n = 0;
    for (const s of this.#state.values()) if (s.connections > 0) n++;
    return n;
  }

  lastSeenEntries(): Array<[string, number]> {
    return [...this.#state].filter(([, s]) => s.lastSeen > 0).map(([name, s]) => [name, s.lastSeen]);
  }

  #entry(name: string): { connections: number; lastSeen: number } {
    let s = this.#state.get(name);
    if (!s) {
      s = { connections: 0, lastSeen: 0 };
      this.#state.set(name, s);
    }
    return s;
  }
}

import type { Clock } from '../core/clock.js';

export interface LoginGuardOptions {
  /** Failed logins from one address within `windowMs` that get it blocked. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** How long a blocked address is refused without its credentials being checked. */
  readonly blockMs: number;
  readonly clock: Clock;
}

interface AddressState {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

/** Most addresses tracked at once; beyond it the oldest entries go, so a botnet cannot grow memory. */
const MAX_ADDRESSES = 100_000;

/**
 * Throttles failed logins per remote address (MQTT CONNECT and HTTP alike): after `maxFailures` failures in
 * `windowMs`, the address is refused for `blockMs` before any password is hashed.
 */
export class LoginGuard {
  readonly #addresses = new Map<string, AddressState>();

  constructor(private readonly opts: LoginGuardOptions) {}

  /** Milliseconds the address stays blocked, or 0 when it may try. */
  blockedFor(address: string | undefined): number {
    if (address === undefined) return 0;
    const state = this.#addresses.get(address);
    if (!state) return 0;
    return Math.max(0, state.blockedUntil - this.opts.clock.nowMs());
  }

  /** Records a failed login; returns true when this failure blocked the address. */
  failed(address: string | undefined): boolean {
    if (address === undefined) return false;
    const now = this.opts.clock.nowMs();
    let state = this.#addresses.get(address);
    if (!state || now - state.windowStart > this.opts.windowMs) {
      state = { failures: 0, windowStart: now, blockedUntil: state?.blockedUntil ?? 0 };
      this.#addresses.delete(address);
      this.#addresses.set(address, state);
      if (this.#addresses.size > MAX_ADDRESSES) {
        this.#addresses.delete(this.#addresses.keys().next().value as string);
      }
    }
    state.failures++;
    if (state.failures >= this.opts.maxFailures) {
      state.blockedUntil = now + this.opts.blockMs;
      state.failures = 0;
      state.windowStart = now;
      return true;
    }
    return false;
  }

  /** A successful login clears the address's count. */
  succeeded(address: string | undefined): void {
    if (address !== undefined) this.#addresses.delete(address);
  }

  get trackedAddresses(): number {
    return this.#addresses.size;
  }
}

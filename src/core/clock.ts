import type { EpochMicros } from './point.js';

/** Time is injected so that alerts, presence and retention can be tested with a fake clock. */
export interface Clock {
  nowMs(): number;
  nowMicros(): EpochMicros;
}

const origin = Date.now() - performance.now();

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  // performance.now() keeps sub-millisecond resolution, so points that arrive in the same millisecond
  // still get distinct timestamps and do not overwrite each other.
  nowMicros: () => Math.round((origin + performance.now()) * 1000),
};

import type { EpochMicros } from './point.js';

/** Time is injected so that alerts, presence and retention can be tested with a fake clock. */
export interface Clock {
  nowMs(): number;
  nowMicros(): EpochMicros;
}

let lastMicros = 0;

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  /**
   * Wall-clock microseconds (so a gateway that syncs NTP after start still stamps correct times), with
   * performance.now()'s sub-millisecond part, and strictly increasing within a millisecond: two points of
   * one series that arrive together keep distinct times instead of merging as "the same point".
   */
  nowMicros: () => {
    const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    lastMicros = now <= lastMicros && lastMicros - now < 1000 ? lastMicros + 1 : now;
    return lastMicros;
  },
};

/** A clock from a millisecond source, for tools that need no sub-millisecond times. */
export function clockOf(nowMs: () => number): Clock {
  return { nowMs, nowMicros: () => nowMs() * 1000 };
}

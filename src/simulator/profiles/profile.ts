import type { Rng } from '../rng.js';

export interface SimMessage {
  readonly topic: string;
  readonly payload: string;
}

/**
 * What one kind of device publishes. `messages` is called once per device per interval; `rng` is that
 * device's own seeded generator, so a run with the same seed publishes the same payloads; `nowMs` is the
 * wall-clock time, for profiles whose payloads carry a timestamp.
 */
export interface Profile {
  readonly name: string;
  readonly describe: string;
  messages(deviceIndex: number, tick: number, rng: Rng, nowMs: number): SimMessage[];
}

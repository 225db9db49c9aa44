import { mixSeed } from './rng.js';

/**
 * Smooth 1-D value noise in [-1, 1]: random values at integer points, eased in between. Profiles use it
 * as their "random walk" because it is a pure function of (key, x): a device's reading at tick N can be
 * computed without replaying ticks 0..N-1, profiles keep no state, and the curve stays bounded without
 * clamping the way a free random walk would need.
 */
export function smoothNoise(key: number, x: number): number {
  const k = Math.floor(x);
  const t = x - k;
  const eased = t * t * (3 - 2 * t);
  const a = latticeValue(key, k);
  const b = latticeValue(key, k + 1);
  return a + (b - a) * eased;
}

/** Two octaves: a slow drift plus a faster wobble, which reads like a real sensor on a chart. */
export function wander(key: number, tick: number, period: number): number {
  return smoothNoise(key, tick / period) * 0.8 + smoothNoise(key ^ 0x5bd1e995, (tick * 4) / period) * 0.2;
}

/** A fixed pseudo-random value in [-1, 1] for (key, k): the noise's control points. */
export function latticeValue(key: number, k: number): number {
  return (mixSeed(key, k) / 4294967296) * 2 - 1;
}

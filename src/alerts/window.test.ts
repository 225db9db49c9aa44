import { describe, expect, it } from 'vitest';
import { REDUCERS, type Reducer } from './model.js';
import { SlidingWindow } from './window.js';

const S = 1_000_000;

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reduction done the slow way, over every accepted point inside (end - span, end]. */
function naive(
  reducer: Reducer,
  points: ReadonlyArray<[number, number]>,
  cutoff: number,
): number | undefined {
  const inside = points.filter(([t]) => t > cutoff);
  const values = inside.map(([, v]) => v);
  switch (reducer) {
    case 'avg':
      return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'count':
      return values.length;
    case 'min':
      return values.length === 0 ? undefined : Math.min(...values);
    case 'max':
      return values.length === 0 ? undefined : Math.max(...values);
    case 'last': {
      if (inside.length === 0) return undefined;
      // The latest time wins; among equal times the later arrival.
      let best = inside[0] as [number, number];
      for (const p of inside) if (p[0] >= best[0]) best = p;
      return best[1];
    }
  }
}

describe('SlidingWindow', () => {
  it('averages over (end - span, end] and slides with the clock when no point comes', () => {
    const w = new SlidingWindow('avg', 10 * S);
    for (let i = 1; i <= 10; i++) w.update(i * S, i, i * S);
    expect(w.value(10 * S)).toBe(5.5);
    // 3 s later without a point: the window is (3 s, 13 s], so 1, 2 and 3 fell out.
    expect(w.value(13 * S)).toBe(7);
    expect(w.value(20 * S)).toBeUndefined();
    expect(w.size).toBe(0);
  });

  it('keeps a full window for a device whose clock lags: the end advances from its latest point', () => {
    const w = new SlidingWindow('count', 10 * S);
    // Points stamped 5 s before the clock, one per second.
    for (let i = 0; i < 10; i++) w.update(i * S, 1, (i + 5) * S);
    expect(w.value(14 * S)).toBe(10);
    expect(w.value(15 * S)).toBe(9);
  });

  it('ignores points older than the window, and takes late points inside it', () => {
    const w = new SlidingWindow('sum', 10 * S);
    w.update(20 * S, 1, 20 * S);
    expect(w.update(10 * S, 100, 20 * S)).toBe(1);
    expect(w.late).toBe(1);
    expect(w.update(15 * S, 10, 20 * S)).toBe(11);
    expect(w.late).toBe(1);
    // The late point leaves at its own time, not with the newer one.
    expect(w.value(25 * S)).toBe(1);
  });

  it('count and sum are 0 for an empty window once started, undefined before', () => {
    const count = new SlidingWindow('count', S);
    expect(count.value(0)).toBeUndefined();
    count.update(0, 5, 0);
    expect(count.value(5 * S)).toBe(0);
    const sum = new SlidingWindow('sum', S);
    sum.update(0, 5, 0);
    expect(sum.value(5 * S)).toBe(0);
  });

  it('caps the points it keeps and counts the ones that left early', () => {
    const w = new SlidingWindow('avg', 100 * S, 5);
    for (let i = 1; i <= 8; i++) w.update(i * S, i, i * S);
    expect(w.size).toBe(5);
    expect(w.truncated).toBe(3);
    expect(w.value(8 * S)).toBe(6); // 4..8
    const max = new SlidingWindow('max', 100 * S, 3);
    for (let i = 10; i >= 1; i--) max.update((11 - i) * S, i, (11 - i) * S); // decreasing: every entry stays
    expect(max.size).toBe(3);
    expect(max.value(10 * S)).toBe(3);
  });

  it('min and max keep only the entries that can still be the extreme', () => {
    const w = new SlidingWindow('max', 10 * S);
    for (let i = 1; i <= 100; i++) w.update(i * 1000, i, i * 1000); // increasing: each beats all before
    expect(w.size).toBe(1);
    expect(w.value(100_000)).toBe(100);
  });

  for (const reducer of REDUCERS) {
    it(`${reducer}: matches a brute-force reduction over random in-order, late and stale points`, () => {
      const random = rng(REDUCERS.indexOf(reducer) + 1);
      const span = 2 * S;
      const w = new SlidingWindow(reducer, span, 1000);
      const accepted: Array<[number, number]> = [];
      let clock = 0;
      for (let i = 0; i < 20_000; i++) {
        clock += Math.floor(random() * 50_000);
        const r = random();
        // Mostly fresh points; some late by up to 3 s (some inside the window, some too old); a few lagging.
        const t = r < 0.8 ? clock : r < 0.95 ? clock - Math.floor(random() * 3 * S) : clock - 500_000;
        const v = Math.round((random() - 0.5) * 2000) / 10;
        const late = w.late;
        w.update(t, v, clock);
        if (w.late === late) accepted.push([t, v]);
        if (i % 7 === 0) {
          // Sometimes only time passes (a tick).
          clock += Math.floor(random() * 400_000);
        }
        const got = w.value(clock);
        const cutoff = w.end(clock) - span;
        const want = naive(reducer, accepted, cutoff);
        const same = want === undefined || got === undefined ? got === want : Math.abs(got - want) < 1e-6;
        if (!same) expect(got, `step ${i}`).toBe(want);
        // The end never moves back, so what is out is out for good.
        if (i % 64 === 0) accepted.splice(0, accepted.length, ...accepted.filter(([t]) => t > cutoff));
      }
      expect(w.truncated).toBe(0);
    });
  }

  it('saves and loads its contents', () => {
    for (const reducer of REDUCERS) {
      const w = new SlidingWindow(reducer, 10 * S);
      for (let i = 1; i <= 20; i++) w.update(i * S, (i * 7) % 11, i * S);
      const saved = JSON.parse(JSON.stringify(w.save()));
      const copy = new SlidingWindow(reducer, 10 * S);
      copy.load(saved);
      expect(copy.value(20 * S), reducer).toBe(w.value(20 * S));
      expect(copy.value(25 * S), reducer).toBe(w.value(25 * S));
      expect(copy.size, reducer).toBe(w.size);
    }
  });
});

describe('SlidingWindow storage', () => {
  it('grows for a burst, and gives the memory back once the window slides on', () => {
    const w = new SlidingWindow('count', 10 * S);
    for (let i = 0; i < 10_000; i++) w.update(i, 1, i); // 10,000 points within 10 ms
    expect(w.capacity).toBe(16_384);
    // Then one point a second: the burst leaves; the buffer shrinks at the next compact() (a tick) but one:
    // the first still sees the burst's peak.
    for (let i = 1; i <= 30; i++) w.update(i * S, 1, i * S);
    expect(w.value(30 * S)).toBe(10);
    w.compact();
    expect(w.capacity).toBe(16_384);
    w.compact();
    expect(w.capacity).toBe(64);
    expect(w.value(30 * S)).toBe(10);
  });

  it('inserts late points in order across the wrap-around of its ring', () => {
    const w = new SlidingWindow('sum', 100 * S);
    for (let i = 1; i <= 6; i++) w.update(i * 10 * S, i, i * 10 * S);
    expect(w.capacity).toBe(8);
    expect(w.value(125 * S)).toBe(3 + 4 + 5 + 6); // 10 s and 20 s left: the ring's head moved on
    for (let i = 7; i <= 9; i++) w.update(i * 10 * S, i, 125 * S); // the last one wraps to slot 0
    w.update(55 * S, 100, 125 * S); // late, inside: shifted in across the wrap (the ring is now full)
    w.update(35 * S, 1000, 125 * S); // late again: grows first
    expect(w.save().ages.map((a) => 125 - a / S)).toEqual([30, 35, 40, 50, 55, 60, 70, 80, 90]);
    expect(w.value(125 * S)).toBe(42 + 100 + 1000);
    // Sliding past 35 s takes the late point with it, at its own time.
    expect(w.value(136 * S)).toBe(42 + 100 - 3);
  });
});

import { describe, expect, it } from 'vitest';
import { type Frame, LiveFrame, toFrames } from './data';

const frame = (times: number[], values: number[]): Frame => ({
  key: 'k',
  label: 'k',
  measurement: 'm',
  tags: {},
  field: 'value',
  queryIndex: 0,
  times,
  values,
});

/** The reference: aggregate raw points per bucket directly. */
function buckets(
  points: Array<[number, number]>,
  interval: number,
  agg: (vs: number[]) => number,
): Array<[number, number]> {
  const by = new Map<number, number[]>();
  for (const [t, v] of points) {
    const b = Math.floor(t / interval) * interval;
    by.set(b, [...(by.get(b) ?? []), v]);
  }
  return [...by].sort((a, b) => a[0] - b[0]).map(([b, vs]) => [b, agg(vs)]);
}

describe('live frames', () => {
  it('continue a fetched aggregated series exactly: the bucket in progress is rebuilt from raw points', () => {
    const interval = 10_000;
    const raw: Array<[number, number]> = [];
    for (let t = 0; t < 60_000; t += 1700) raw.push([t, Math.sin(t / 5000) * 10]);
    const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length;
    // Loaded at t = 35 s: buckets 0–30 s as the server computes them (the last one partial) …
    const loadedAt = 35_000;
    const fetched = buckets(
      raw.filter(([t]) => t <= loadedAt),
      interval,
      mean,
    );
    const f = frame(
      fetched.map((b) => b[0]),
      fetched.map((b) => b[1]),
    );
    const live = new LiveFrame(f, 'mean', interval);
    // … plus the raw points of the bucket in progress, then live points (some sent twice).
    const tail = raw.filter(([t]) => t >= 30_000 && t <= loadedAt);
    live.seed(
      tail.map((p) => p[0]),
      tail.map((p) => p[1]),
    );
    for (const [t, v] of raw.filter(([t]) => t > loadedAt - 3000)) live.add(t, v);
    const expected = buckets(raw, interval, mean);
    expect(f.times).toEqual(expected.map((b) => b[0]));
    f.values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]?.[1] ?? Number.NaN, 12);
    });
  });

  it('keeps min, max, count, last; appends raw points; trims the sliding window', () => {
    for (const [agg, fn] of [
      ['min', (vs: number[]) => Math.min(...vs)],
      ['max', (vs: number[]) => Math.max(...vs)],
      ['count', (vs: number[]) => vs.length],
      ['last', (vs: number[]) => vs[vs.length - 1] ?? 0],
      ['sum', (vs: number[]) => vs.reduce((a, b) => a + b, 0)],
    ] as const) {
      const f = frame([], []);
      const live = new LiveFrame(f, agg, 1000);
      const pts: Array<[number, number]> = [
        [100, 5],
        [900, 2],
        [1200, 7],
        [1300, 1],
        [2500, 4],
      ];
      for (const [t, v] of pts) live.add(t, v);
      expect(f.values, agg).toEqual(buckets(pts, 1000, fn).map((b) => b[1]));
    }
    // Raw: points already loaded are skipped, a late one goes in time order, the window trims.
    const f = frame([1000, 2000], [1, 2]);
    const live = new LiveFrame(f, 'raw', 1000);
    expect(live.add(2000, 9)).toBe(false);
    for (const t of [3, 4]) live.add(t * 1000, t);
    expect(live.add(3500, 3.5)).toBe(true);
    expect(f.times).toEqual([1000, 2000, 3000, 3500, 4000]);
    live.trim(2500);
    expect(f.times).toEqual([3000, 3500, 4000]);
  });

  it('folds points of several devices arriving out of time order into the right buckets', () => {
    // One frame for all devices (no group by): commits interleave devices whose clocks differ.
    const points: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) points.push([10_000 + ((i * 7919) % 50_000), (i % 13) - 4]);
    const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length;
    const f = frame([], []);
    const live = new LiveFrame(f, 'mean', 5000);
    for (const [t, v] of points) live.add(t, v);
    const expected = buckets(points, 5000, mean);
    expect(f.times).toEqual(expected.map((b) => b[0]));
    f.values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]?.[1] ?? Number.NaN, 12);
    });
  });

  it('turns InfluxQL series into one frame per column with readable labels', () => {
    const frames = toFrames(
      0,
      { measurement: 'pot', field: 'value', alias: '$tag_device' },
      [
        {
          name: 'pot',
          tags: { device: 'esp1' },
          columns: ['time', 'value'],
          values: [
            [1000, 1],
            [2000, null],
          ],
        },
      ],
      false,
    );
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ label: 'esp1', times: [1000, 2000], values: [1, null] });
    const two = toFrames(
      1,
      { influxql: 'x' },
      [{ name: 'm', columns: ['time', 'a', 'b'], values: [[1, 2, 3]] }],
      true,
    );
    expect(two.map((f) => f.label)).toEqual(['m.a', 'm.b']);
  });
});

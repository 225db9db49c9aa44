import { describe, expect, it } from 'vitest';
import type { FieldValue, Point } from '../../core/point.js';
import { decodePoints, encodePoints } from './point-codec.js';

describe('point codec', () => {
  it('round-trips points of every field type, sharing series and names', () => {
    const points: Point[] = [
      { database: 'a', measurement: 'm', tags: { x: '1' }, fields: { v: 1.5, on: true, s: 'txt' }, time: 10 },
      { database: 'a', measurement: 'm', tags: { x: '1' }, fields: { v: -2 }, time: 11 },
      { database: 'b', measurement: 'm,=\u0000', tags: {}, fields: { off: false, 'we ird': 0 }, time: 12 },
    ];
    const e = encodePoints(points);
    expect(e.series).toHaveLength(2);
    expect(decodePoints(e)).toEqual(points);
  });

  it('round-trips random points', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const values: FieldValue[] = [0, -1.25, 1e300, true, false, '', 'é"\\\u0000'];
    const points: Point[] = Array.from({ length: 500 }, (_, i) => {
      const tags: Record<string, string> = {};
      for (let t = 0; t < rnd(3); t++) tags[`t${rnd(4)}`] = `v${rnd(5)}`;
      const fields: Record<string, FieldValue> = {};
      for (let f = 0; f <= rnd(3); f++) fields[`f${rnd(6)}`] = values[rnd(values.length)] as FieldValue;
      return {
        database: `db${rnd(2)}`,
        measurement: `m${rnd(3)}`,
        tags,
        fields,
        time: 1_700_000_000_000_000 + i,
      };
    });
    expect(decodePoints(encodePoints(points))).toEqual(points);
  });
});

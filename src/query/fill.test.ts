import { describe, expect, it } from 'vitest';
import { fillBuckets } from './fill.js';

const s = 1_000_000; // one second in µs
const sparse = { time: [0, 2 * s, 3 * s], value: [1, 3, 5] };

describe('fillBuckets', () => {
  it('none returns the sparse buckets', () => {
    expect(fillBuckets(sparse, 0, 5 * s, s, 'none')).toEqual(sparse);
  });
  it('null, previous, a number and linear fill every bucket in [from, to)', () => {
    expect(fillBuckets(sparse, 0, 5 * s, s, 'null').value).toEqual([1, null, 3, 5, null]);
    expect(fillBuckets(sparse, 0, 5 * s, s, 'previous').value).toEqual([1, 1, 3, 5, 5]);
    expect(fillBuckets(sparse, 0, 5 * s, s, 0).value).toEqual([1, 0, 3, 5, 0]);
    expect(fillBuckets(sparse, 0, 5 * s, s, 'linear').value).toEqual([1, 2, 3, 5, null]);
    expect(fillBuckets(sparse, 0, 5 * s, s, 'null').time).toEqual([0, s, 2 * s, 3 * s, 4 * s]);
  });
  it('aligns the first bucket to the interval', () => {
    expect(fillBuckets({ time: [], value: [] }, 1.5 * s, 3 * s, s, 'null').time).toEqual([s, 2 * s]);
  });
});

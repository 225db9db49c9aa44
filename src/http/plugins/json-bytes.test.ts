import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBytes } from './json-bytes.js';

/** What JsonBytes writes for one value, as a string. */
function written(v: unknown, size = 64): string {
  const w = new JsonBytes(size);
  w.value(v);
  return Buffer.concat(w.take()).toString('utf8');
}

/** Decimals as sensors send them: up to 8 places, any magnitude a reading has. */
const reading = fc
  .tuple(fc.integer({ min: -2e12, max: 2e12 }), fc.integer({ min: 0, max: 8 }))
  .map(([m, places]) => m / 10 ** places);

/** Computed values: means of readings, ratios, anything in the range written by digits (1e-6 to 1e15). */
const mean = fc
  .array(reading, { minLength: 1, maxLength: 12 })
  .map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
const inRange = fc.double({ min: 1e-6, max: 1e15, noNaN: true });
/** A decimal of 1 to 17 significant digits, read as the double nearest it. */
const decimal = fc
  .tuple(fc.stringMatching(/^[1-9][0-9]{0,16}$/), fc.integer({ min: -24, max: 15 }))
  .map(([digits, e]) => Number(`${digits}e${e}`));
/** 16 and 17 digits whose last 8 are near 0 or 10^8: where their two halves are split (with a correction). */
const split = fc
  .tuple(
    fc.stringMatching(/^[1-9][0-9]{7,8}$/),
    fc.constantFrom('0000000', '9999999'),
    fc.stringMatching(/^[0-9]$/),
    fc.integer({ min: -22, max: -2 }),
  )
  .map(([high, middle, last, e]) => Number(`${high}${middle}${last}e${e}`));
/** The doubles next to a power of ten (the digit count changes there). */
const nearPower = fc
  .tuple(fc.integer({ min: -7, max: 16 }), fc.integer({ min: -4, max: 4 }))
  .map(([e, steps]) => {
    const f = new Float64Array([Number(`1e${e}`)]);
    const bits = new BigInt64Array(f.buffer);
    bits[0] = (bits[0] as bigint) + BigInt(steps);
    return f[0] as number;
  });

describe('JsonBytes numbers', () => {
  it('writes computed values (15, 16 and 17 digits) as String() does', () => {
    for (const arbitrary of [mean, inRange, decimal, split, nearPower])
      fc.assert(
        fc.property(arbitrary, fc.boolean(), (v, negative) => {
          const x = negative ? -v : v;
          expect(written(x)).toBe(String(x));
        }),
        { numRuns: 50_000 },
      );
  });

  it('writes every double as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(written(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 50_000 },
    );
  });

  it('writes readings, integers and the edges of the digit path as String() does', () => {
    fc.assert(
      fc.property(reading, (v) => {
        expect(written(v)).toBe(String(v));
      }),
      { numRuns: 50_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
        expect(written(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
    const edges = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      0.1,
      0.5,
      0.000001,
      0.0000015,
      1e-7,
      0.000123,
      1.5e-6,
      999_999_999.999999,
      999_999_999.5,
      1e9 + 0.5,
      1e15 - 1,
      1e15,
      1e15 + 1,
      1e21,
      1e-6 - 1e-22,
      0.1 + 0.2,
      1 / 3,
      -2 / 3,
      49.35,
      100.25,
      123456.123456,
      5e-324,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
    ];
    for (const v of edges) {
      expect(written(v)).toBe(String(v));
      expect(written(-v)).toBe(String(-v));
    }
    expect(written(Number.NaN)).toBe('null');
    expect(written(Number.POSITIVE_INFINITY)).toBe('null');
    expect(written(Number.NEGATIVE_INFINITY)).toBe('null');
  });
});

describe('JsonBytes', () => {
  it('writes strings, booleans and null as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null)), (v) => {
        expect(written(v, 4)).toBe(JSON.stringify(v));
      }),
    );
  });

  it('hands out what was written in order, across buffers, whatever their size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double(), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array()), {
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 100 }),
        (items, size) => {
          const w = new JsonBytes(size);
          let expected = '';
          const out: Buffer[] = [];
          for (const [i, item] of items.entries()) {
            if (item instanceof Uint8Array) {
              w.bytes(item);
              expected += Buffer.from(item).toString('latin1');
            } else {
              w.value(item);
              expected += Buffer.from(JSON.stringify(item)).toString('latin1');
            }
            if (i % 7 === 6) out.push(...w.take());
            else if (i % 3 === 2) out.push(...w.takeFull());
          }
          const pending = w.length;
          const rest = w.take();
          expect(Buffer.concat(rest).length).toBe(pending);
          out.push(...rest);
          expect(Buffer.concat(out).toString('latin1')).toBe(expected);
        },
      ),
    );
  });
});

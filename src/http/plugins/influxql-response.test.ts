import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnRows } from '../../query/influxql/column-rows.js';
import type { Value } from '../../query/influxql/evaluate.js';
import type { StatementResult } from '../../query/influxql/execute.js';
import type { ResultSeries } from '../../query/influxql/select.js';
import { formatTime, jsonPieces, shapeResults } from './influxql-response.js';

const jsonBody = (results: StatementResult[], epoch?: string): Buffer =>
  Buffer.concat([...jsonPieces(results, epoch)]);

/** What formatTime must equal: Date's ISO form to the second, InfluxDB's trimmed fraction, Z. */
function reference(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const frac = micros - seconds * 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction}Z`;
}

describe('formatTime', () => {
  it('prints any time as RFC 3339 like Date#toISOString, with the fraction trimmed', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000_000, max: 4_000_000_000_000_000 }), (us) => {
        expect(formatTime(us)).toBe(reference(us));
      }),
      { numRuns: 20_000 },
    );
    expect(formatTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(formatTime(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(formatTime(1_704_067_199_500_000)).toBe('2023-12-31T23:59:59.5Z');
  });

  it('prints local time with its offset in a tz() zone', () => {
    expect(formatTime(1_704_067_200_000_000, 'Europe/Berlin')).toBe('2024-01-01T01:00:00+01:00');
    expect(formatTime(1_704_067_200_000_000, 'America/New_York')).toBe('2023-12-31T19:00:00-05:00');
  });
});

describe('jsonBody', () => {
  const value = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.string({ unit: 'grapheme' }),
    fc.constant('"\u0000quoted"'),
  );
  /** A GROUP BY time answer held as columns: number columns (NaN: null) and columns of any values. */
  const columnRows = fc
    .record({
      starts: fc.array(fc.integer({ min: 0, max: 2 ** 52 }), { minLength: 1, maxLength: 12 }),
      width: fc.integer({ min: 1, max: 3 }),
      seed: fc.array(fc.oneof(fc.double(), value), { minLength: 40, maxLength: 40 }),
      numbers: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      keep: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      shape: fc.constantFrom('asc', 'desc', 'slice'),
    })
    .map(({ starts, width, seed, numbers, keep, shape }) => {
      const cols = Array.from({ length: width }, (_, c) => {
        const vals = starts.map((_, i) => seed[(c * 13 + i) % seed.length] ?? null);
        return numbers[c]
          ? Float64Array.from(vals, (v) => (typeof v === 'number' ? v : Number.NaN))
          : (vals as Value[]);
      });
      const at = Int32Array.from(starts.flatMap((_, i) => (keep[i] ? [i] : [])));
      const rows = new ColumnRows(starts, cols, at);
      return {
        columns: ['time', ...cols.map((_, c) => `c${c}`)],
        values: shape === 'desc' ? rows.reversed() : shape === 'slice' ? rows.slice(1, 3) : rows,
      };
    });
  const arrayRows = fc.record({
    columns: fc.constant(['name', 'v'] as string[]),
    values: fc.array(fc.tuple(value, value) as fc.Arbitrary<Value[]>, { maxLength: 5 }),
  });
  const series = fc
    .record({
      name: fc.constantFrom('', 'm', 'ünï'),
      tags: fc.option(fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' }), { maxKeys: 2 }), {
        nil: undefined,
      }),
      rows: fc.oneof(columnRows, arrayRows),
    })
    .map(({ name, tags, rows }): ResultSeries => ({ name, ...(tags ? { tags } : {}), ...rows }));
  const result = fc.oneof(
    fc.record({
      statement_id: fc.nat(),
      series: fc.array(series, { maxLength: 4 }),
      timezone: fc.option(fc.constantFrom('Europe/Berlin', 'UTC'), { nil: undefined }),
    }),
    fc.record({ statement_id: fc.nat(), error: fc.string() }),
  ) as fc.Arbitrary<StatementResult>;

  it('writes the bytes JSON.stringify writes for the shaped results, in every epoch unit', () => {
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 3 }),
        fc.constantFrom(undefined, 'ns', 'u', 'ms', 's', 'h'),
        (results, epoch) => {
          const expected = JSON.stringify({ results: shapeResults(results, epoch) });
          const body = jsonBody(results, epoch);
          expect(body.toString('utf8')).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes a number column’s NaN as null and its integers like String()', () => {
    const rows = new ColumnRows([0, 60_000_000], [Float64Array.of(Number.NaN, 1e21)], Int32Array.of(0, 1));
    const body = jsonBody(
      [{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], values: rows }] }],
      'ms',
    );
    expect(JSON.parse(body.toString()).results[0].series[0].values).toEqual([
      [0, null],
      [60_000, 1e21],
    ]);
  });

  it('splits a large answer into buffers of 256 KiB that join to the whole', () => {
    const starts = Array.from({ length: 20_000 }, (_, i) => 1_700_000_000_000_000 + i * 60_000_000);
    const col = Float64Array.from(starts, (_, i) => (i % 7 === 0 ? Number.NaN : i / 3));
    const at = Int32Array.from(starts, (_, i) => i);
    const series: ResultSeries[] = ['a', 'b', 'c'].map((host) => ({
      name: 'm',
      tags: { host },
      columns: ['time', 'mean'],
      values: new ColumnRows(starts, [col], at),
    }));
    const results: StatementResult[] = [{ statement_id: 0, series }];
    const pieces = [...jsonPieces(results, undefined)];
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces.slice(0, -1)) {
      expect(p.length).toBeGreaterThan(255 * 1024);
      expect(p.length).toBeLessThanOrEqual(256 * 1024);
    }
    expect(Buffer.concat(pieces).toString()).toBe(
      JSON.stringify({ results: shapeResults(results, undefined) }),
    );
  });
});

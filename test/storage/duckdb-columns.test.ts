import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNumberColumns } from '../../src/storage/duckdb/columns.js';
import { orderBucketRows } from '../../src/storage/duckdb/query-sql.js';
import type { SeriesQuery } from '../../src/storage/store.js';

describe('readNumberColumns', () => {
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => instance.closeSync());

  it('reads every chunk of a large result, NULL doubles as NaN', async () => {
    const conn = await instance.connect();
    const result = await conn.run(
      `SELECT i::INTEGER AS ord, CASE WHEN i % 7 = 3 THEN NULL ELSE i * 0.5::DOUBLE END AS v, NULL::DOUBLE AS unused
       FROM range(10000) t(i) ORDER BY i`,
    );
    const { rows, columns } = readNumberColumns(result, ['integer', 'double', 'double']);
    expect(rows).toBe(10_000);
    const [ords, values, unused] = columns as [Int32Array, Float64Array, Float64Array];
    for (let i = 0; i < rows; i++) {
      expect(ords[i]).toBe(i);
      if (i % 7 === 3) expect(values[i]).toBeNaN();
      else expect(values[i]).toBe(i * 0.5);
    }
    expect(unused.every(Number.isNaN)).toBe(true);
    conn.closeSync();
  });

  it('refuses a column of another type, and NULL in an integer column', async () => {
    const conn = await instance.connect();
    await expect(
      conn.run('SELECT 1.5::DOUBLE AS v').then((r) => readNumberColumns(r, ['integer'])),
    ).rejects.toThrow(/column 0 \(v\) is DOUBLE, expected integer/);
    await expect(
      conn.run('SELECT NULL::INTEGER AS ord').then((r) => readNumberColumns(r, ['integer'])),
    ).rejects.toThrow(/holds NULL/);
    await expect(conn.run('SELECT 1, 2').then((r) => readNumberColumns(r, ['integer']))).rejects.toThrow(
      /expected 1 result columns, got 2/,
    );
    conn.closeSync();
  });
});

describe('orderBucketRows', () => {
  const MIN = 60_000_000;
  const q: SeriesQuery & { interval: number } = {
    database: 'db',
    measurement: 'm',
    field: 'v',
    tags: {},
    from: 10 * MIN,
    to: 20 * MIN,
    aggregate: 'mean',
    interval: MIN,
    limit: 1000,
  };
  const rows = (r: Array<[number, number, number]>): [Int32Array, Float64Array, Float64Array] => [
    Int32Array.from(r.map((x) => x[0])),
    Float64Array.from(r.map((x) => x[1])),
    Float64Array.from(r.map((x) => x[2])),
  ];
  const asRows = (c: [Int32Array, Float64Array, Float64Array]) =>
    Array.from(c[0], (o, i) => [o, c[1][i], c[2][i]]);
  const shuffled: Array<[number, number, number]> = [
    [1, 12 * MIN, 5],
    [0, 19 * MIN, 4],
    [1, 10 * MIN, 3],
    [0, 10 * MIN, 2],
    [2, 15 * MIN, 1],
    [0, 11 * MIN, 0],
  ];
  const expected = [...shuffled].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  it('places rows in (ord, bucket) order', () => {
    expect(asRows(orderBucketRows(rows(shuffled), q, 3))).toEqual(expected);
  });

  it('returns ordered rows as they are', () => {
    const ordered = rows(expected);
    expect(orderBucketRows(ordered, q, 3)).toBe(ordered);
  });

  it('sorts when the slot table would dwarf the rows, or a time is not a bucket start', () => {
    const sparse = { ...q, interval: 1, from: 0, to: 1e12 };
    expect(asRows(orderBucketRows(rows(shuffled), sparse, 3))).toEqual(expected);
    const misaligned = shuffled.map(([o, t, v]): [number, number, number] => [o, t + 1, v]);
    expect(asRows(orderBucketRows(rows(misaligned), q, 3))).toEqual(
      [...misaligned].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
    );
  });
});

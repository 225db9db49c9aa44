import { bucketStart } from './semantics.js';
import { type BucketGrid, MAX_GRID_CELLS, type SeriesQuery } from './store.js';

/**
 * Dense bucketed answers (BucketGrid) from the rows a SQL driver reads: (ord, t, val) in any order, one
 * per non-empty bucket of a group. Each row goes to its cell; nothing is sorted, and no array per series
 * is built: a thousand series of a day in minutes cost a sort and two copies into row arrays before.
 */

/** The grid's first bucket and bucket count for a bucketed query. */
export function gridShape(q: SeriesQuery & { readonly interval: number }): {
  first: number;
  buckets: number;
} {
  const first = bucketStart(q.from, q.interval, q.offset ?? 0);
  return { first, buckets: q.to <= first ? 0 : Math.floor((q.to - 1 - first) / q.interval) + 1 };
}

/** Whether a query's grid for `groups` groups stays within MAX_GRID_CELLS. */
export function gridFits(q: SeriesQuery & { readonly interval: number }, groups: number): boolean {
  return groups * gridShape(q).buckets <= MAX_GRID_CELLS;
}

export function emptyGrid(q: SeriesQuery & { readonly interval: number }, truncated = false): BucketGrid {
  const { first, buckets } = gridShape(q);
  return { series: [], first, interval: q.interval, buckets, values: new Float64Array(0), truncated };
}

/**
 * The grid of rows read with `LIMIT limit + 1` (more than `limit`: truncated, no values). Undefined when a
 * value is NaN (a sum of +∞ and −∞): a grid cannot tell it from an empty bucket, so the caller asks for
 * the sparse answer. A row whose time is not a bucket start of the range, or whose ord is not a group's,
 * is a bug in the SQL and throws.
 */
export function placeGrid(
  columns: readonly [Int32Array, Float64Array, Float64Array],
  q: SeriesQuery & { readonly interval: number },
  groups: ReadonlyArray<{ readonly tags: Readonly<Record<string, string>> }>,
): BucketGrid | undefined {
  const [ords, times, values] = columns;
  if (ords.length > q.limit) return emptyGrid(q, true);
  const { first, buckets } = gridShape(q);
  const { interval } = q;
  const cells = new Float64Array(groups.length * buckets).fill(Number.NaN);
  const present = new Uint8Array(groups.length);
  for (let i = 0; i < ords.length; i++) {
    const ord = ords[i] as number;
    const k = ((times[i] as number) - first) / interval;
    const v = values[i] as number;
    if (!(ord >= 0 && ord < groups.length && Number.isInteger(k) && k >= 0 && k < buckets))
      throw new Error(
        `bucket row (${ord}, ${times[i]}) outside the query's ${groups.length} × ${buckets} grid`,
      );
    if (Number.isNaN(v)) return undefined;
    cells[ord * buckets + k] = v;
    present[ord] = 1;
  }
  let kept = 0;
  for (const p of present) kept += p;
  const series = groups
    .filter((_, ord) => present[ord] === 1)
    .map((g) => ({ measurement: q.measurement, tags: { ...g.tags }, field: q.field }));
  if (kept === groups.length) return { series, first, interval, buckets, values: cells, truncated: false };
  const compact = new Float64Array(kept * buckets);
  let row = 0;
  for (let ord = 0; ord < groups.length; ord++) {
    if (present[ord] === 0) continue;
    compact.set(cells.subarray(ord * buckets, (ord + 1) * buckets), row * buckets);
    row++;
  }
  return { series, first, interval, buckets, values: compact, truncated: false };
}

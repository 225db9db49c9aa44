import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochMicros } from '../../core/point.js';
import { bucketStart } from '../semantics.js';
import { readMeta, writeMeta } from './meta-sql.js';

/**
 * Series-clustered storage for closed time ranges, in the spirit of InfluxDB's TSM compaction. Samples
 * are appended in arrival order (time order, interleaved across series), so the zone maps of `sid` span
 * every series in every row group and a one-series query scans the whole range. Once a slice of time is
 * closed, this rewrites its rows ordered by (sid, ts): a row group then holds a few series, and DuckDB
 * skips the others by their zone maps. The `ts` zone maps still prune by slice, so a range query reads
 * only its slices.
 *
 * Purely physical: the same rows before and after, so same-point merges (delete by (sid, ts), then
 * append), retention deletes, rollups and their dirty marks see no difference. Each slice is one
 * transaction that also moves the watermark (meta key COMPACTED_KEY), so a crash leaves a slice either
 * as it was or compacted. A late write into a compacted slice is appended unclustered; it is read
 * correctly, only pruned less; once LATE_ROWS_TO_RECOMPACT have landed in one slice (a backfill, an
 * import), it is compacted again. Those counts live in memory only: after a restart, late rows written
 * before it stay where they are, which costs pruning, never correctness.
 */

/** Kept in the meta table: every slice that ends at or before this (µs) has been compacted. */
export const COMPACTED_KEY = 'storage.duckdb.compacted_before';
/** One hour: at 10M points a day, 400k rows, a few row groups of ~300 series each. */
export const SLICE_MICROS = 3_600_000_000;
/** A slice is closed once it ended this long ago: late points of a slow gateway mostly arrive before. */
export const CLOSE_DELAY_MICROS = 3_600_000_000;
/** Late rows in one compacted slice that make it worth rewriting again (a slice holds ~400k rows). */
export const LATE_ROWS_TO_RECOMPACT = 1_000;
const SCRATCH = 'compact_slice';

const at = (t: EpochMicros): string => `make_timestamp(${t}::BIGINT)`;

/** The end of the last slice that is closed at `now`. */
export function closedSlicesBefore(now: EpochMicros): EpochMicros {
  return bucketStart(now - CLOSE_DELAY_MICROS, SLICE_MICROS);
}

/** The compaction watermark stored by an earlier run, or undefined before the first. */
export async function loadWatermark(conn: DuckDBConnection): Promise<EpochMicros | undefined> {
  const value = await readMeta(conn, COMPACTED_KEY);
  return value === undefined ? undefined : Number(value);
}

/** Starts of the slices in [from, until) that hold samples, ascending. */
export async function slicesWithSamples(
  conn: DuckDBConnection,
  from: EpochMicros | undefined,
  until: EpochMicros,
): Promise<EpochMicros[]> {
  const lower = from === undefined ? '' : `ts >= ${at(from)} AND `;
  const rows = await conn.runAndReadAll(
    `SELECT DISTINCT (epoch_us(ts) // ${SLICE_MICROS} * ${SLICE_MICROS})::DOUBLE AS s FROM samples
     WHERE ${lower}ts < ${at(until)} ORDER BY s`,
  );
  return rows.getRows().map(([s]) => Number(s));
}

/**
 * Inside a write transaction: rewrites the samples of [from, to) in (sid, ts) order. A count mismatch
 * (which would lose or duplicate points) throws, rolling it all back.
 */
export async function compactSlice(
  conn: DuckDBConnection,
  from: EpochMicros,
  to: EpochMicros,
): Promise<void> {
  const range = `ts >= ${at(from)} AND ts < ${at(to)}`;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${SCRATCH} AS SELECT sid, ts, v, s FROM samples WHERE ${range}`,
  );
  const deleted = await conn.run(`DELETE FROM samples WHERE ${range}`);
  const inserted = await conn.run(
    `INSERT INTO samples SELECT sid, ts, v, s FROM ${SCRATCH} ORDER BY sid, ts`,
  );
  await conn.run(`DROP TABLE ${SCRATCH}`);
  if (deleted.rowsChanged !== inserted.rowsChanged) {
    throw new Error(
      `compaction of [${from}, ${to}) moved ${inserted.rowsChanged} of ${deleted.rowsChanged} samples`,
    );
  }
}

/** Counts rows written into slices that were compacted already, per slice start. */
export class LateRows {
  readonly #count = new Map<EpochMicros, number>();

  /** After a write committed: its times before `compactedBefore` landed in compacted slices. */
  note(times: readonly EpochMicros[], compactedBefore: EpochMicros | undefined): void {
    if (compactedBefore === undefined) return;
    for (const t of times) {
      if (t >= compactedBefore) continue;
      const slice = bucketStart(t, SLICE_MICROS);
      this.#count.set(slice, (this.#count.get(slice) ?? 0) + 1);
    }
  }

  /** Slice starts holding at least LATE_ROWS_TO_RECOMPACT late rows, ascending. */
  due(): EpochMicros[] {
    return [...this.#count]
      .filter(([, n]) => n >= LATE_ROWS_TO_RECOMPACT)
      .map(([s]) => s)
      .sort((a, b) => a - b);
  }

  clear(slice: EpochMicros): void {
    this.#count.delete(slice);
  }
}

export async function saveWatermark(conn: DuckDBConnection, to: EpochMicros): Promise<void> {
  await writeMeta(conn, COMPACTED_KEY, String(to));
}

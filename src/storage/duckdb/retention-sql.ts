import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochMicros } from '../../core/point.js';
import type { DatabaseStats } from '../store.js';
import type { CatalogEntry } from './catalog.js';

/**
 * Deletes the samples of one database older than `before`; returns how many. `everySeries` (the database
 * owns every catalog entry) drops the series filter. The time bound comes first so that DuckDB skips, by
 * their zone maps, the row groups holding only newer samples: with appends in time order, all but the
 * oldest row groups.
 */
export async function deleteSamplesBefore(
  conn: DuckDBConnection,
  database: string,
  before: EpochMicros,
  everySeries: boolean,
): Promise<number> {
  const bound = `ts < make_timestamp(${before}::BIGINT)`;
  const result = everySeries
    ? await conn.run(`DELETE FROM samples WHERE ${bound}`)
    : await conn.run(
        `DELETE FROM samples WHERE ${bound} AND sid IN (SELECT id FROM series WHERE database = $database)`,
        { database },
      );
  return result.rowsChanged;
}

/** Count and time range per sid, in one scan of samples. */
export const SAMPLES_PER_SID_SQL =
  'SELECT sid, count(*)::DOUBLE, epoch_us(min(ts))::DOUBLE, epoch_us(max(ts))::DOUBLE FROM samples GROUP BY sid';

/** Blocks in use times the block size: the file's data, without free blocks and the WAL. */
export const USED_BYTES_SQL = 'SELECT (used_blocks * block_size)::DOUBLE FROM pragma_database_size()';

/**
 * Folds per-sid rows (SAMPLES_PER_SID_SQL) into per-database stats; `usedBytes` is shared out by sample
 * count (undefined: no bytes reported, as for an in-memory database).
 */
export function databaseStatsOf(
  entries: readonly CatalogEntry[],
  rows: ReadonlyArray<readonly unknown[]>,
  usedBytes: number | undefined,
): DatabaseStats[] {
  const databaseOf = new Map<number, string>();
  const totals = new Map<string, { series: number; samples: number; oldest: number; newest: number }>();
  for (const e of entries) {
    databaseOf.set(e.id, e.database);
    const t = totals.get(e.database);
    if (t === undefined) {
      totals.set(e.database, {
        series: 1,
        samples: 0,
        oldest: Number.POSITIVE_INFINITY,
        newest: Number.NEGATIVE_INFINITY,
      });
    } else t.series++;
  }
  let all = 0;
  for (const [sid, count, oldest, newest] of rows) {
    const t = totals.get(databaseOf.get(Number(sid)) ?? '');
    if (t === undefined) continue;
    t.samples += Number(count);
    t.oldest = Math.min(t.oldest, Number(oldest));
    t.newest = Math.max(t.newest, Number(newest));
    all += Number(count);
  }
  return [...totals]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([database, t]) => ({
      database,
      series: t.series,
      samples: t.samples,
      oldest: t.samples === 0 ? null : t.oldest,
      newest: t.samples === 0 ? null : t.newest,
      ...(usedBytes === undefined
        ? {}
        : { bytes: all === 0 ? 0 : Math.round((usedBytes * t.samples) / all) }),
    }));
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { EpochMicros } from '../../core/point.js';
import {
  bucketRanges,
  checkRollupLevels,
  closedBefore,
  DirtyBuckets,
  type LevelView,
  pruneBefore,
} from '../rollup/plan.js';
import { bucketStart } from '../semantics.js';
import type { RollupLevel, RollupReport } from '../store.js';
import { deleteMetaKey, readMeta, writeMeta } from './meta-sql.js';
import { bucketSql } from './query-sql.js';

/**
 * Rollups in DuckDB: one table per level (`rollup_<interval µs>`), a row per (sid, bucket) of a float
 * field with the PartialState columns; `rollup_levels` holds each level's watermark and prune horizon,
 * `rollup_dirty` the buckets that late writes touched after they were rolled up. A dirty mark is inserted
 * in the write's own transaction, so a crash cannot lose it. Everything that changes rollups runs on the
 * write queue, so a write and a roll never interleave.
 */

const LEVELS_DDL =
  'CREATE TABLE IF NOT EXISTS rollup_levels (interval BIGINT PRIMARY KEY, watermark BIGINT, pruned_before BIGINT)';
const DIRTY_DDL =
  'CREATE TABLE IF NOT EXISTS rollup_dirty (interval BIGINT NOT NULL, bucket BIGINT NOT NULL, PRIMARY KEY (interval, bucket))';
/** A level's table. */
export const rollupTable = (interval: number): string => `rollup_${interval}`;
const table = rollupTable;
/** Buckets per maintenance transaction: 1,000 series at 1 minute make 60,000 rollup rows per slice. */
const SLICE_BUCKETS = 60;
const rollupDdl = (interval: number): string =>
  `CREATE TABLE IF NOT EXISTS ${table(interval)} (sid UINTEGER NOT NULL, bucket BIGINT NOT NULL,
    n DOUBLE NOT NULL, total DOUBLE, lo DOUBLE, lo_time BIGINT, hi DOUBLE, hi_time BIGINT,
    first DOUBLE, first_time BIGINT, last DOUBLE, last_time BIGINT)`;

interface Level extends LevelView {
  readonly level: RollupLevel;
  watermark: EpochMicros | undefined;
  prunedBefore: EpochMicros;
  readonly dirty: DirtyBuckets;
  /** Spans ending at or before this are clustered (see cluster); undefined before the first. */
  clusteredBefore: EpochMicros | undefined;
  /** Rows re-rolled into clustered spans since they were clustered, per span start (memory only). */
  readonly lateRows: Map<EpochMicros, number>;
  /**
   * Spans that the last maintenance pass re-rolled buckets of: late data is still arriving there (a
   * backfill), and clustering them now would only be undone by the next pass.
   */
  readonly recentLate: Set<EpochMicros>;
}

/** Meta key prefix of a level's clustering watermark (µs), per level interval (µs). */
const CLUSTERED_KEY = 'storage.duckdb.rollup_clustered:';
/**
 * Buckets per clustered span: a day of a 1-minute level (1,000 series make 1.44 million rows: a dozen row
 * groups of ~85 series each), 60 days of a 1-hour level.
 */
const CLUSTER_BUCKETS = 1440;
/**
 * Re-rolled rows (late writes, a backfill) appended to one clustered span that make it worth rewriting
 * again. Counted in memory: after a restart, such rows stay where they are, which costs pruning only.
 */
const LATE_ROWS_TO_RECLUSTER = 1_000;
/** Spans clustered per call, so that a first run over years of rollups does not hold the job for long. */
const MAX_SPANS_PER_CALL = 8;

/** The state of the rollup tables, mirrored in memory for query planning and for the write path. */
export class DuckDbRollups {
  readonly #levels: Level[];
  /** The least watermark: a write at or after it is late for no level (the write path's fast check). */
  #lateBefore = Number.NEGATIVE_INFINITY;

  constructor(levels: readonly RollupLevel[]) {
    this.#levels = checkRollupLevels(levels).map((level) => ({
      level,
      interval: level.interval,
      watermark: undefined,
      prunedBefore: Number.NEGATIVE_INFINITY,
      dirty: new DirtyBuckets(),
      clusteredBefore: undefined,
      lateRows: new Map(),
      recentLate: new Set(),
    }));
  }

  get enabled(): boolean {
    return this.#levels.length > 0;
  }

  views(): readonly LevelView[] {
    return this.#levels;
  }

  /**
   * Creates the tables of the configured levels and loads their state. A level no longer configured is
   * dropped with its rows: kept, it would miss the writes made while it was off and serve them wrong.
   */
  async open(conn: DuckDBConnection): Promise<void> {
    await conn.run(LEVELS_DDL);
    await conn.run(DIRTY_DDL);
    const configured = new Set(this.#levels.map((l) => l.interval));
    const stored = (
      await conn.runAndReadAll('SELECT interval, watermark, pruned_before FROM rollup_levels')
    ).getRows();
    for (const [interval, watermark, prunedBefore] of stored) {
      const i = Number(interval);
      const level = this.#levels.find((l) => l.interval === i);
      if (level === undefined || !configured.has(i)) {
        await conn.run(`DROP TABLE IF EXISTS ${table(i)}`);
        await conn.run(`DELETE FROM rollup_levels WHERE interval = ${i}`);
        await conn.run(`DELETE FROM rollup_dirty WHERE interval = ${i}`);
        await deleteMetaKey(conn, `${CLUSTERED_KEY}${i}`);
        continue;
      }
      level.watermark = watermark === null ? undefined : Number(watermark);
      level.prunedBefore = prunedBefore === null ? Number.NEGATIVE_INFINITY : Number(prunedBefore);
    }
    for (const l of this.#levels) {
      await conn.run(rollupDdl(l.interval));
      const clustered = await readMeta(conn, `${CLUSTERED_KEY}${l.interval}`);
      l.clusteredBefore = clustered === undefined ? undefined : Number(clustered);
    }
    const dirty = (await conn.runAndReadAll('SELECT interval, bucket FROM rollup_dirty')).getRows();
    for (const [interval, bucket] of dirty) {
      this.#levels.find((l) => l.interval === Number(interval))?.dirty.add(Number(bucket));
    }
    this.#updateLateBefore();
  }

  /**
   * Inside a write transaction: marks the rolled-up buckets that these times fall in as dirty. Returns
   * at once when every time is at or after every watermark, the usual case.
   */
  async markLate(conn: DuckDBConnection, times: readonly EpochMicros[]): Promise<void> {
    const rows = new Set<string>();
    for (const t of times) {
      if (t >= this.#lateBefore) continue;
      for (const l of this.#levels) {
        if (l.watermark === undefined || t >= l.watermark) continue;
        const b = bucketStart(t, l.interval);
        // Every late bucket gets its row in this transaction, even one already dirty in memory: that mark
        // may come from a write that failed (memory is marked before COMMIT), whose row was rolled back, and
        // a mark only in memory is lost at a restart.
        l.dirty.add(b);
        rows.add(`(${l.interval}, ${b})`);
      }
    }
    // Marked in memory before COMMIT: if the write fails, the bucket is only re-rolled for nothing.
    if (rows.size > 0) await conn.run(`INSERT OR IGNORE INTO rollup_dirty VALUES ${[...rows].join(', ')}`);
  }

  /**
   * One maintenance pass; `transaction` runs its body in a write transaction of the store. The work is
   * cut into slices of SLICE_BUCKETS buckets, one transaction each, so that memory stays bounded (DuckDB
   * holds a transaction's new rows and a statement's groups in memory): a slice replaces its buckets,
   * clears its dirty marks and, past the watermark, moves the watermark to its end, all or nothing.
   */
  async maintain(
    now: EpochMicros,
    conn: DuckDBConnection,
    transaction: (body: () => Promise<void>) => Promise<void>,
    readsSettled: () => Promise<void>,
  ): Promise<RollupReport> {
    const report: Array<RollupReport['levels'][number]> = [];
    for (const l of this.#levels) {
      const i = l.interval;
      const t = table(i);
      const until = closedBefore(now, i);
      const span = SLICE_BUCKETS * i;
      let rolled = 0;
      l.recentLate.clear();
      /** Replaces the level's buckets in [from, to) with those of the samples there; in a transaction. */
      const roll = async (from: number, to: number): Promise<number> => {
        await conn.run(`DELETE FROM ${t} WHERE bucket >= ${from} AND bucket < ${to}`);
        const inserted = await conn.run(
          `INSERT INTO ${t}
           SELECT sid, ${bucketSql('us', i, 0)} AS b, count(*)::DOUBLE, sum(v), min(v), arg_min(us, (v, us)),
             max(v), arg_min(us, (-v, us)), arg_min(v, us), min(us), arg_max(v, us), max(us)
           FROM (SELECT sid, epoch_us(ts) AS us, v FROM samples
                 WHERE ts >= make_timestamp(${from}::BIGINT) AND ts < make_timestamp(${to}::BIGINT)
                   AND sid IN (SELECT id FROM series WHERE type = 'float'))
           GROUP BY sid, b`,
        );
        rolled += inserted.rowsChanged;
        return inserted.rowsChanged;
      };
      // Dirty buckets first, a slice per transaction, each clearing its own marks.
      for (const [a, b] of bucketRanges(l.dirty.all(), i)) {
        for (let at = a; at < b; at += span) {
          const to = Math.min(b, at + span);
          const marks = l.dirty.within(at, to, Number.POSITIVE_INFINITY);
          let rows = 0;
          await transaction(async () => {
            rows = await roll(at, to);
            await conn.run(
              `DELETE FROM rollup_dirty WHERE interval = ${i} AND bucket >= ${at} AND bucket < ${to}`,
            );
          });
          l.dirty.delete(marks);
          // Its rows were appended, unclustered: counted toward the span the slice starts in.
          const lateSpan = bucketStart(at, CLUSTER_BUCKETS * i);
          l.recentLate.add(lateSpan);
          if (l.clusteredBefore !== undefined && at < l.clusteredBefore)
            l.lateRows.set(lateSpan, (l.lateRows.get(lateSpan) ?? 0) + rows);
        }
      }
      // Then forward from the watermark to `until`, a transaction per slice that holds samples (a first run
      // may start years back, mostly empty). Each one rolls everything from the watermark to its end, gaps
      // included, so a write that landed in a gap meanwhile is rolled too; the last one reaches `until`.
      let wm = l.watermark;
      if (wm === undefined || wm < until) {
        const lower = wm === undefined ? '' : `ts >= make_timestamp(${wm}::BIGINT) AND `;
        let starts: number[] = [];
        await transaction(async () => {
          const rows = await conn.runAndReadAll(
            `SELECT DISTINCT ${bucketSql('epoch_us(ts)', span, 0)}::DOUBLE AS s FROM samples
             WHERE ${lower}ts < make_timestamp(${until}::BIGINT) ORDER BY s`,
          );
          starts = rows.getRows().map(([v]) => Number(v));
          if (wm === undefined) {
            // From here on, a write before the first slice is late (dirty) for this level.
            wm = Math.min(starts[0] ?? until, until);
            await this.#saveLevel(conn, i, wm, l.prunedBefore);
          }
        });
        l.watermark = wm;
        this.#updateLateBefore();
        const ends = [...starts.map((at) => Math.min(until, at + span)), until];
        for (const end of ends) {
          const from = l.watermark as number;
          if (end <= from) continue;
          await transaction(async () => {
            await roll(from, end);
            await this.#saveLevel(conn, i, end, l.prunedBefore);
          });
          // Committed: only now do queries see it.
          l.watermark = end;
          this.#updateLateBefore();
        }
      }
      const cutoff = Math.max(l.prunedBefore, pruneBefore(now, l.level));
      let pruned = 0;
      const previous = l.prunedBefore;
      if (cutoff > previous) {
        // A query plans its segments from this state, then reads: queries planned from now on leave these
        // buckets alone, and those planned before (their reads already queued) read them before they go.
        // Deleting first let a query planned just before read a level whose rows were gone (no data for a
        // range that raw points still held).
        l.prunedBefore = cutoff;
        await readsSettled();
      }
      try {
        await transaction(async () => {
          pruned = (await conn.run(`DELETE FROM ${t} WHERE bucket < ${cutoff}`)).rowsChanged;
          await this.#saveLevel(conn, i, l.watermark as number, cutoff);
        });
      } catch (err) {
        l.prunedBefore = previous;
        throw err;
      }
      report.push({ interval: i, watermark: l.watermark as number, rolled, pruned });
      this.#updateLateBefore();
    }
    return { levels: report };
  }

  /**
   * Rewrites each level's rows of whole spans (CLUSTER_BUCKETS buckets) that are rolled up in (sid, bucket)
   * order, a transaction per span that also moves the level's clustering watermark: the rows of a level
   * are written bucket after bucket, every series in every row group, and a one-series read scanned them
   * all; clustered, DuckDB skips the other series' row groups by their zone maps. As samples' compaction
   * (compaction.ts), purely physical: the same rows before and after (counted), and a re-roll of a dirty
   * bucket later only appends a few unclustered rows. Returns how many spans it rewrote.
   */
  async cluster(
    conn: DuckDBConnection,
    queued: <T>(body: () => Promise<T>) => Promise<T>,
    transaction: (body: () => Promise<void>) => Promise<void>,
    closing: () => boolean,
  ): Promise<number> {
    let done = 0;
    for (const l of this.#levels) {
      if (l.watermark === undefined) continue;
      const span = CLUSTER_BUCKETS * l.interval;
      // Spans still receiving late data wait (forward clustering stops at the first of them).
      const settled = (start: EpochMicros): boolean => !l.recentLate.has(start);
      const until = Math.min(
        bucketStart(l.watermark, span),
        ...[...l.recentLate].filter((start) => start >= (l.clusteredBefore ?? start)),
      );
      const t = table(l.interval);
      const again = [...l.lateRows]
        .filter(
          ([start, rows]) =>
            rows >= LATE_ROWS_TO_RECLUSTER && start < (l.clusteredBefore ?? start) && settled(start),
        )
        .map(([start]) => start)
        .sort((a, b) => a - b);
      for (const start of again) {
        if (closing()) return done;
        await transaction(() => clusterSpan(conn, t, start, start + span));
        l.lateRows.delete(start);
        done++;
      }
      if (l.clusteredBefore !== undefined && l.clusteredBefore >= until) continue;
      const lower = l.clusteredBefore === undefined ? '' : `bucket >= ${l.clusteredBefore} AND `;
      const starts = (
        await queued(() =>
          conn.runAndReadAll(
            `SELECT DISTINCT (bucket // ${span} * ${span})::DOUBLE AS s FROM ${t}
           WHERE ${lower}bucket < ${until} ORDER BY s`,
          ),
        )
      )
        .getRows()
        .map(([v]) => Number(v));
      for (const start of starts.slice(0, MAX_SPANS_PER_CALL)) {
        if (closing()) return done;
        const end = start + span;
        await transaction(async () => {
          await clusterSpan(conn, t, start, end);
          await writeMeta(conn, `${CLUSTERED_KEY}${l.interval}`, String(end));
        });
        l.clusteredBefore = end;
        done++;
      }
      if (starts.length <= MAX_SPANS_PER_CALL && (l.clusteredBefore ?? Number.NEGATIVE_INFINITY) < until) {
        // Nothing left to rewrite before `until` (spans without rows included): start there next time.
        await transaction(() => writeMeta(conn, `${CLUSTERED_KEY}${l.interval}`, String(until)));
        l.clusteredBefore = until;
      }
    }
    return done;
  }

  async #saveLevel(
    conn: DuckDBConnection,
    interval: number,
    watermark: number,
    prunedBefore: number,
  ): Promise<void> {
    const pruned = Number.isFinite(prunedBefore) ? String(prunedBefore) : 'NULL';
    await conn.run(
      `INSERT INTO rollup_levels VALUES (${interval}, ${watermark}, ${pruned})
       ON CONFLICT (interval) DO UPDATE SET watermark = excluded.watermark, pruned_before = excluded.pruned_before`,
    );
  }

  #updateLateBefore(): void {
    let least = Number.POSITIVE_INFINITY;
    for (const l of this.#levels) if (l.watermark !== undefined) least = Math.min(least, l.watermark);
    this.#lateBefore = Number.isFinite(least) ? least : Number.NEGATIVE_INFINITY;
  }
}

/** Inside a transaction: rewrites a level table's rows in [from, to) in (sid, bucket) order, counted. */
async function clusterSpan(conn: DuckDBConnection, t: string, from: number, to: number): Promise<void> {
  const range = `bucket >= ${from} AND bucket < ${to}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_scratch AS SELECT * FROM ${t} WHERE ${range}`);
  const deleted = await conn.run(`DELETE FROM ${t} WHERE ${range}`);
  const inserted = await conn.run(`INSERT INTO ${t} SELECT * FROM rollup_scratch ORDER BY sid, bucket`);
  await conn.run('DROP TABLE rollup_scratch');
  if (deleted.rowsChanged !== inserted.rowsChanged)
    throw new Error(
      `clustering ${t} [${from}, ${to}) moved ${inserted.rowsChanged} of ${deleted.rowsChanged} rows`,
    );
}

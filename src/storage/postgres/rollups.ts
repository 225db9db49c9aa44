import type pg from 'pg';
import type { EpochMicros } from '../../core/point.js';
import { finishGroups, type StateBuckets } from '../rollup/partial.js';
import {
  bucketRanges,
  checkRollupLevels,
  closedBefore,
  DirtyBuckets,
  type LevelView,
  planSegments,
  pruneBefore,
} from '../rollup/plan.js';
import { bucketStart } from '../semantics.js';
import type { QueryResult, RollupLevel, RollupReport, SeriesQuery } from '../store.js';
import type { SelectedGroup } from './query-sql.js';
import { addSegmentRows, segmentSql } from './rollup-query.js';
import { lateLockKey } from './rollup-schema.js';
import {
  clearDirty,
  dirtyBuckets,
  ensureRollupPartitions,
  firstSampleIn,
  openLevel,
  pruneLevel,
  rollRange,
  updateLevel,
} from './rollup-sql.js';
import type { Partitioning } from './schema.js';
import { schemaNames } from './schema.js';

/**
 * Rollups in PostgreSQL (tables: rollup-schema.ts). Unlike the DuckDB driver, nothing is mirrored in
 * memory: several processes may share the database, so the levels' watermarks and dirty marks are read at
 * each query (views()) and maintained under a database lock (maintain()).
 *
 * A roll of [from, to) runs in two steps, so that ingest never waits for it:
 * 1. a short transaction moves `late_before` to the end of what will be rolled, under the exclusive side
 *    of the advisory lock every write takes shared (merge_staged_samples): a write in flight commits
 *    first, and every later write before `late_before` marks its bucket dirty;
 * 2. per slice, one transaction deletes the slice's dirty marks (waiting for a write that holds one),
 *    then reads the samples, writes the states and moves the watermark. A write the read missed has left
 *    a mark that survives, and its bucket is re-rolled at the next run.
 */

/** Buckets per transaction: 1,000 series at 1 minute make 60,000 rollup rows per slice. */
const SLICE_BUCKETS = 60;
/** More dirty marks than this inside one query's range: the query reads raw points only. */
const MAX_QUERY_MARKS = 10_000;

export class PostgresRollups {
  readonly #levels: RollupLevel[];
  readonly #schema: string;
  /** Rollup partitions known to exist. */
  readonly #partitions = new Set<string>();

  constructor(schema: string, levels: readonly RollupLevel[]) {
    this.#schema = schema;
    this.#levels = checkRollupLevels(levels);
  }

  get enabled(): boolean {
    return this.#levels.length > 0;
  }

  /**
   * A float aggregate answered from rollup segments and raw edges, read in the caller's REPEATABLE READ
   * transaction (so that a maintenance run committing meanwhile cannot make a bucket be read twice or not at
   * all). Undefined when no level applies: raw points serve it whole, and one statement does that faster.
   */
  async read(
    c: pg.ClientBase,
    q: SeriesQuery,
    groups: readonly SelectedGroup[],
  ): Promise<QueryResult | undefined> {
    const views = await this.views(c, q.from, q.to);
    const segments = views === undefined ? [] : planSegments(q, views);
    if (segments.every((s) => s.level === undefined)) return undefined;
    const states: StateBuckets[] = [];
    for (const segment of segments) {
      const sql = segmentSql(this.#schema, q, groups, segment);
      const result = await c.query<unknown[]>({ text: sql.text, values: sql.values, rowMode: 'array' });
      addSegmentRows(result.rows, states);
    }
    return finishGroups(q, groups, states);
  }

  /**
   * What the planner needs of the configured levels for a query over [from, to), read in the caller's
   * transaction (so that it and the reads after it see one snapshot). Undefined when too many buckets
   * there are dirty to be worth it.
   */
  async views(c: pg.ClientBase, from: EpochMicros, to: EpochMicros): Promise<LevelView[] | undefined> {
    const n = schemaNames(this.#schema);
    const intervals = this.#levels.map((l) => String(l.interval));
    const levels = await c.query<[number, number | null, number | null]>({
      text: `SELECT level::float8, watermark::float8, pruned_before::float8 FROM ${n.rollupLevels}
        WHERE level = ANY ($1::bigint[]) AND watermark IS NOT NULL`,
      values: [intervals],
      rowMode: 'array',
    });
    if (levels.rows.length === 0) return [];
    const marks = await c.query<[number, number]>({
      text: `SELECT level::float8, bucket::float8 FROM ${n.rollupDirty}
        WHERE level = ANY ($1::bigint[]) AND bucket >= $2::bigint AND bucket < $3::bigint LIMIT $4`,
      values: [intervals, String(from), String(to), MAX_QUERY_MARKS + 1],
      rowMode: 'array',
    });
    if (marks.rows.length > MAX_QUERY_MARKS) return undefined;
    const views = levels.rows.map(([interval, watermark, pruned]) => ({
      interval,
      watermark: watermark ?? undefined,
      prunedBefore: pruned ?? Number.NEGATIVE_INFINITY,
      dirty: new DirtyBuckets(),
    }));
    for (const [level, bucket] of marks.rows) views.find((v) => v.interval === level)?.dirty.add(bucket);
    return views;
  }

  /**
   * One maintenance pass on `c` (a connection of its own, outside any transaction), as the schema owner.
   * A session advisory lock makes the processes sharing the schema take turns: a second one waits, then
   * finds the work done.
   */
  async maintain(c: pg.ClientBase, partitioning: Partitioning, now: EpochMicros): Promise<RollupReport> {
    const key = `sensorhub rollups ${this.#schema}`;
    await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      const report: Array<RollupReport['levels'][number]> = [];
      for (const level of this.#levels) report.push(await this.#maintainLevel(c, partitioning, level, now));
      return { levels: report };
    } finally {
      await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  }

  async #maintainLevel(
    c: pg.ClientBase,
    partitioning: Partitioning,
    level: RollupLevel,
    now: EpochMicros,
  ): Promise<RollupReport['levels'][number]> {
    const schema = this.#schema;
    const i = level.interval;
    const span = SLICE_BUCKETS * i;
    const until = closedBefore(now, i);
    const stored = await openLevel(c, schema, i);
    let watermark = stored.watermark;
    let rolled = 0;
    const transaction = async (body: () => Promise<void>): Promise<void> => {
      await c.query('BEGIN');
      try {
        await body();
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    };
    const roll = async (from: EpochMicros, to: EpochMicros, moveWatermark: boolean): Promise<void> => {
      await ensureRollupPartitions(c, schema, partitioning, i, from, to, this.#partitions);
      await transaction(async () => {
        // Marks first: this DELETE waits for a write holding one, and the read below then sees that write.
        await clearDirty(c, schema, i, from, to);
        rolled += await rollRange(c, schema, i, from, to);
        if (moveWatermark) await updateLevel(c, schema, i, { watermark: to });
      });
    };

    if (watermark === undefined || watermark < until) {
      // Step 1: from now on, every write before `until` marks its bucket dirty.
      await transaction(async () => {
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lateLockKey(schema)]);
        await updateLevel(c, schema, i, { lateBefore: until });
      });
      if (watermark === undefined) {
        // The first roll starts at the oldest sample; a write older than that from here on is dirty.
        const first = await firstSampleIn(c, schema, undefined, until);
        watermark = first === undefined ? until : Math.min(bucketStart(first, i), until);
        await updateLevel(c, schema, i, { watermark });
      }
      // Step 2: forward, a transaction per slice that holds samples; each rolls from the watermark (gaps
      // included) to its end.
      while (watermark < until) {
        const from: EpochMicros = watermark;
        let to = Math.min(until, from + span);
        if (until - from > span) {
          const next = await firstSampleIn(c, schema, from, until);
          if (next === undefined) {
            // Nothing left to roll. A write there since the probe has marked its bucket (late_before):
            // the marks stay, and the dirty pass below rolls them.
            await updateLevel(c, schema, i, { watermark: until });
            watermark = until;
            break;
          }
          to = Math.min(until, bucketStart(next, span) + span);
        }
        await roll(from, to, true);
        watermark = to;
      }
    }

    // Buckets late writes touched after they were rolled, a slice per transaction.
    const cutoff = Math.max(stored.prunedBefore, pruneBefore(now, level));
    const dirty = (await dirtyBuckets(c, schema, i, watermark)).filter((b) => b >= cutoff);
    for (const [a, b] of bucketRanges(dirty, i)) {
      for (let at = a; at < b; at += span) await roll(at, Math.min(b, at + span), false);
    }

    let pruned = 0;
    if (cutoff > stored.prunedBefore) {
      await transaction(async () => {
        pruned = await pruneLevel(c, schema, partitioning, i, stored.prunedBefore, cutoff, this.#partitions);
        await updateLevel(c, schema, i, { prunedBefore: cutoff });
      });
    }
    return { interval: i, watermark, rolled, pruned };
  }
}

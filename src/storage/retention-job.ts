import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Counter, MetricsRegistry } from '../core/metrics.js';
import { PeriodicJob } from '../core/periodic-job.js';
import type { EpochMicros } from '../core/point.js';
import { listAllDatabases, type RetentionPolicies, type RetentionPolicy } from './retention.js';
import type { DatabaseStats, TimeSeriesStore } from './store.js';

export interface RetentionJobOptions {
  readonly store: TimeSeriesStore;
  readonly policies: RetentionPolicies;
  readonly clock: Clock;
  readonly logger: Logger;
  /** storage.retention.checkInterval, ms. */
  readonly intervalMs: number;
  /** Delay of the first run after start(), ms: shortly after start, not during it. Default 2 s. */
  readonly firstRunMs?: number;
  /** Registers the sensorhub_database_* gauges and the sensorhub_retention_* counters. */
  readonly metrics?: MetricsRegistry;
  /**
   * The rollup intervals (µs). A database's cutoff is rounded down to the coarsest of them that is at most
   * 1/24 of its retention (and a multiple of the finer ones), so raw data is deleted in whole rollup buckets:
   * a late write, accepted because it is inside the retention, then lands in a bucket whose raw points are
   * all still there, and re-rolling that bucket keeps every point it had. Raw data is kept at most ~4 %
   * longer. With a retention shorter than 24 of a level's buckets, that level's bucket at the cutoff can
   * still be re-rolled from the points left (docs/influxql.md, rollups).
   */
  readonly rollupIntervals?: readonly number[];
}

/** What one run did. */
export interface RetentionRun {
  readonly at: EpochMicros;
  /** Per database with a finite retention: the cutoff and how many values went. */
  readonly deleted: ReadonlyArray<{
    readonly database: string;
    readonly before: EpochMicros;
    readonly samples: number;
  }>;
  /** Databases whose delete failed (the others still ran), with the reason. */
  readonly failed: ReadonlyArray<{ readonly database: string; readonly error: string }>;
  /** Per-database stats after the deletes; undefined when they could not be read. */
  readonly stats: readonly DatabaseStats[] | undefined;
}

/**
 * Enforces retention: every checkInterval (and once shortly after start), deletes each database's values
 * older than now - its duration, then reads the per-database stats the gauges report. Runs never
 * overlap: the next is scheduled when one ends.
 */
export class RetentionJob extends PeriodicJob<RetentionRun> {
  readonly #opts: RetentionJobOptions;
  #stats: readonly DatabaseStats[] = [];
  #policies: ReadonlyMap<string, RetentionPolicy> = new Map();
  readonly #deleted: Counter | undefined;
  readonly #runs: Counter | undefined;

  constructor(opts: RetentionJobOptions) {
    super({ firstRunMs: opts.firstRunMs ?? 2000, intervalMs: opts.intervalMs });
    this.#opts = opts;
    const m = opts.metrics;
    this.#deleted = m?.counter(
      'sensorhub_retention_deleted_samples_total',
      'Values deleted by retention, by database.',
    );
    this.#runs = m?.counter('sensorhub_retention_runs_total', 'Retention runs, by result (ok, failed).');
    m?.gauge('sensorhub_database_samples', 'Stored values per database (as of the last retention run).', () =>
      this.#stats.map((s) => [{ database: s.database }, s.samples] as const),
    );
    m?.gauge('sensorhub_database_series', 'Series (measurement, tags, field) per database.', () =>
      this.#stats.map((s) => [{ database: s.database }, s.series] as const),
    );
    m?.gauge('sensorhub_database_bytes', 'Estimated bytes on disk per database.', () =>
      this.#stats.flatMap((s) =>
        s.bytes === undefined ? [] : [[{ database: s.database }, s.bytes] as const],
      ),
    );
    m?.gauge(
      'sensorhub_database_oldest_timestamp_seconds',
      'Time of the oldest stored value per database.',
      () =>
        this.#stats.flatMap((s) =>
          s.oldest === null ? [] : [[{ database: s.database }, s.oldest / 1e6] as const],
        ),
    );
    m?.gauge(
      'sensorhub_database_retention_seconds',
      'Retention duration per database; 0 keeps data forever.',
      () => [...this.#policies].map(([database, p]) => [{ database }, p.duration / 1e6] as const),
    );
  }

  /** The stats of the last run (empty before the first). */
  get stats(): readonly DatabaseStats[] {
    return this.#stats;
  }

  protected async work(): Promise<RetentionRun> {
    const { store, policies, logger, clock } = this.#opts;
    const at = clock.nowMicros();
    const deleted: Array<{ database: string; before: EpochMicros; samples: number }> = [];
    const failed: Array<{ database: string; error: string }> = [];
    try {
      // Databases written before their policy was recorded (none normally) get theirs now.
      for (const db of await listAllDatabases(store)) await policies.policyOf(db);
      this.#policies = await policies.list();
    } catch (err) {
      this.#runs?.inc({ result: 'failed' });
      logger.warn({ err: errorMessage(err) }, 'retention: cannot read the policies; nothing deleted');
      return { at, deleted, failed: [{ database: '*', error: errorMessage(err) }], stats: undefined };
    }
    for (const [database, policy] of this.#policies) {
      if (policy.duration === 0) continue;
      const align = alignmentFor(policy.duration, this.#opts.rollupIntervals ?? []);
      const cutoff = at - policy.duration;
      const before = align > 0 ? Math.floor(cutoff / align) * align : cutoff;
      try {
        const samples = await store.deleteBefore(database, before);
        deleted.push({ database, before, samples });
        if (samples > 0) {
          this.#deleted?.inc({ database }, samples);
          logger.info(
            { database, samples, before: new Date(before / 1000).toISOString(), policy: policy.name },
            'retention deleted old values',
          );
        }
      } catch (err) {
        failed.push({ database, error: errorMessage(err) });
        logger.warn(
          { database, err: errorMessage(err) },
          'retention: delete failed (with PostgreSQL, the server role needs DELETE on samples); retrying next run',
        );
      }
    }
    let stats: readonly DatabaseStats[] | undefined;
    try {
      stats = await store.databaseStats();
      this.#stats = stats;
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'retention: cannot read the per-database stats');
    }
    this.#runs?.inc({ result: failed.length === 0 ? 'ok' : 'failed' });
    return { at, deleted, failed, stats };
  }
}

/** The coarsest rollup interval at most 1/24 of `duration` that every finer one divides; 0 for none. */
export function alignmentFor(duration: number, intervals: readonly number[]): number {
  const sorted = [...intervals].sort((a, b) => a - b);
  let align = 0;
  for (const interval of sorted) {
    if (interval * 24 > duration) break;
    if (align > 0 && interval % align !== 0) break;
    align = interval;
  }
  return align;
}

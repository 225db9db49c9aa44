import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Counter, MetricsRegistry } from '../../core/metrics.js';
import { PeriodicJob } from '../../core/periodic-job.js';
import type { RollupReport, TimeSeriesStore } from '../store.js';

export interface RollupJobOptions {
  readonly store: TimeSeriesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often to roll up, ms. Default 15 s: a closed 1-minute bucket is served from rollups soon after. */
  readonly intervalMs?: number;
  /** Delay of the first run after start(), ms. Default 1 s. */
  readonly firstRunMs?: number;
  /** Registers sensorhub_rollup_watermark_seconds and sensorhub_rollup_buckets_total. */
  readonly metrics?: MetricsRegistry;
}

/**
 * Keeps the store's rollups current: every interval, store.maintainRollups(now) rolls up the buckets that
 * closed since the last run, re-rolls those late writes touched and prunes the old ones. Runs never
 * overlap: the next is scheduled when one ends. Each run then lets the store compact closed time slices
 * (TimeSeriesStore.compact). A failed run is logged and retried at the next one;
 * queries meanwhile read raw points where rollups are behind, so they stay correct.
 */
export class RollupJob extends PeriodicJob<RollupReport | undefined> {
  readonly #opts: RollupJobOptions;
  #last: RollupReport = { levels: [] };
  readonly #buckets: Counter | undefined;
  readonly #compacted: Counter | undefined;

  constructor(opts: RollupJobOptions) {
    super({ firstRunMs: opts.firstRunMs ?? 1000, intervalMs: opts.intervalMs ?? 15_000 });
    this.#opts = opts;
    const m = opts.metrics;
    this.#buckets = m?.counter(
      'sensorhub_rollup_buckets_total',
      'Rollup buckets written (rolled, including re-rolls) or pruned, by level interval (s) and action.',
    );
    this.#compacted = m?.counter(
      'sensorhub_compacted_slices_total',
      'Closed time slices of samples rewritten in series order (DuckDB), so that one-series reads skip the rest.',
    );
    m?.gauge('sensorhub_rollup_watermark_seconds', 'Every rollup bucket before this time is rolled up.', () =>
      this.#last.levels.map((l) => [{ interval: String(l.interval / 1e6) }, l.watermark / 1e6] as const),
    );
  }

  /** The report of the last successful run. */
  get last(): RollupReport {
    return this.#last;
  }

  protected async work(): Promise<RollupReport | undefined> {
    const started = performance.now();
    try {
      const report = await this.#opts.store.maintainRollups(this.#opts.clock.nowMicros());
      this.#last = report;
      for (const l of report.levels) {
        const interval = String(l.interval / 1e6);
        if (l.rolled > 0) this.#buckets?.inc({ interval, action: 'rolled' }, l.rolled);
        if (l.pruned > 0) this.#buckets?.inc({ interval, action: 'pruned' }, l.pruned);
      }
      if (report.levels.some((l) => l.rolled > 0 || l.pruned > 0)) {
        this.#opts.logger.debug(
          { levels: report.levels, ms: Math.round(performance.now() - started) },
          'rollups maintained',
        );
      }
      await this.#compact();
      return report;
    } catch (err) {
      this.#opts.logger.warn(
        { err: errorMessage(err) },
        'rollup maintenance failed; retrying at the next run',
      );
      return undefined;
    }
  }

  /**
   * The store's compaction shares this timer: both rewrite closed time ranges, and one after the other
   * they never compete for the store's write queue. Its failure is its own: the rollup report stands.
   */
  async #compact(): Promise<void> {
    const { store, clock, logger } = this.#opts;
    if (store.compact === undefined) return;
    const started = performance.now();
    try {
      const slices = await store.compact(clock.nowMicros());
      if (slices > 0) {
        this.#compacted?.inc({}, slices);
        logger.debug({ slices, ms: Math.round(performance.now() - started) }, 'samples compacted');
      }
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'compaction failed; retrying at the next run');
    }
  }
}

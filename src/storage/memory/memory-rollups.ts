import type { EpochMicros, FieldValue } from '../../core/point.js';
import { mergeState, type PartialState, pointState } from '../rollup/partial.js';
import {
  checkRollupLevels,
  closedBefore,
  DirtyBuckets,
  type LevelView,
  pruneBefore,
} from '../rollup/plan.js';
import { bucketStart } from '../semantics.js';
import type { RollupLevel, RollupReport } from '../store.js';

/** One float field of one series, as the rollups see it: `key` names it in every level. */
export interface RolledField {
  readonly key: string;
  readonly values: ReadonlyMap<EpochMicros, FieldValue>;
}

interface Level extends LevelView {
  readonly level: RollupLevel;
  watermark: EpochMicros | undefined;
  prunedBefore: EpochMicros;
  /** field key → bucket start → state */
  readonly buckets: Map<string, Map<EpochMicros, PartialState>>;
}

/**
 * The reference rollups: per level, a state per (series field, bucket), built from the raw values by
 * maintain() — every closed bucket since the watermark, then the buckets late writes made dirty.
 */
export class MemoryRollups {
  readonly #levels: Level[];

  constructor(levels: readonly RollupLevel[]) {
    this.#levels = checkRollupLevels(levels).map((level) => ({
      level,
      interval: level.interval,
      watermark: undefined,
      prunedBefore: Number.NEGATIVE_INFINITY,
      dirty: new DirtyBuckets(),
      buckets: new Map(),
    }));
  }

  views(): readonly LevelView[] {
    return this.#levels;
  }

  /** A float value was written at `time`: the buckets already rolled up that hold it are dirty. */
  noteWrite(time: EpochMicros): void {
    for (const l of this.#levels) {
      if (l.watermark !== undefined && time < l.watermark) l.dirty.add(bucketStart(time, l.interval));
    }
  }

  /** The states of one field in one level, by bucket start. */
  states(interval: number, key: string): ReadonlyMap<EpochMicros, PartialState> | undefined {
    return this.#levels.find((l) => l.interval === interval)?.buckets.get(key);
  }

  maintain(now: EpochMicros, fields: () => Iterable<RolledField>): RollupReport {
    const report: Array<RollupReport['levels'][number]> = [];
    for (const l of this.#levels) {
      const i = l.interval;
      const until = closedBefore(now, i);
      let rolled = 0;
      let from = l.watermark;
      if (from === undefined) {
        from = until;
        for (const f of fields()) for (const t of f.values.keys()) from = Math.min(from, bucketStart(t, i));
      }
      const dirty = l.dirty.all();
      const redo = new Set(dirty);
      if (from < until || dirty.length > 0) {
        for (const f of fields()) {
          const fresh = new Map<EpochMicros, PartialState>();
          for (const [t, v] of f.values) {
            const b = bucketStart(t, i);
            if (!((b >= from && b < until) || redo.has(b))) continue;
            const s = fresh.get(b);
            if (s === undefined) fresh.set(b, pointState(t, v));
            else mergeState(s, pointState(t, v));
          }
          let stored = l.buckets.get(f.key);
          if (stored === undefined) {
            if (fresh.size === 0) continue;
            stored = new Map();
            l.buckets.set(f.key, stored);
          }
          // A re-rolled bucket is replaced whole: the late write may have overwritten a point.
          for (const b of dirty) stored.delete(b);
          for (const [b, s] of fresh) stored.set(b, s);
          rolled += fresh.size;
        }
      }
      l.dirty.delete(dirty);
      l.watermark = Math.max(from, until);
      const cutoff = pruneBefore(now, l.level);
      let pruned = 0;
      for (const stored of l.buckets.values()) {
        for (const b of stored.keys()) {
          if (b < cutoff) {
            stored.delete(b);
            pruned++;
          }
        }
      }
      l.prunedBefore = Math.max(l.prunedBefore, cutoff);
      report.push({ interval: i, watermark: l.watermark, rolled, pruned });
    }
    return { levels: report };
  }
}

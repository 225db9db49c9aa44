import { AppError } from '../../core/errors.js';
import {
  type EpochMicros,
  type FieldType,
  type FieldValue,
  fieldTypeOf,
  type Point,
  seriesKey,
} from '../../core/point.js';
import { validateRetentionCutoff } from '../retention-cutoff.js';
import { pointState, StateBuckets } from '../rollup/partial.js';
import { planSegments, type Segment } from '../rollup/plan.js';
import {
  bucketStart,
  compareStrings,
  fieldTypeIdentity,
  groupSeries,
  seriesIdentity,
  seriesSelected,
  sortedTags,
  typeConflictMessage,
  validateAggregateType,
  validatePointTimes,
  validateQuery,
} from '../semantics.js';
import type {
  DatabaseStats,
  DeadLetter,
  DeadLetterCountFilter,
  DeadLetterFilter,
  DeadLetterLimits,
  QueryResult,
  RefusedPoint,
  RollupLevel,
  RollupReport,
  SeriesData,
  SeriesFilter,
  SeriesInfo,
  SeriesQuery,
  StoreBackup,
  StoredDeadLetter,
  StoreStats,
  TimeSeriesStore,
  WriteOutcome,
} from '../store.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';
import { MemoryRollups, type RolledField } from './memory-rollups.js';

interface MemorySeries {
  readonly database: string;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly key: string;
  readonly identity: string;
  /** field → time → value */
  readonly fields: Map<string, Map<EpochMicros, FieldValue>>;
}

interface Row {
  readonly time: EpochMicros;
  readonly value: FieldValue;
}

/**
 * The reference driver: plain maps, no cleverness. The contract suite is checked against it first, so
 * when DuckDB and memory disagree, memory is presumed right.
 */
export class MemoryStore implements TimeSeriesStore {
  #open = false;
  readonly #rollups: MemoryRollups | undefined;
  readonly #series = new Map<string, MemorySeries>();
  readonly #fieldTypes = new Map<string, FieldType>();
  readonly #deadLetters = new MemoryDeadLetters();
  readonly #meta = new Map<string, string>();
  #samples = 0;
  #fieldSeries = 0;

  /** `rollups`: the levels kept (default none: the memory store is the reference, not a server store). */
  constructor(options: { readonly rollups?: readonly RollupLevel[] } = {}) {
    const levels = options.rollups ?? [];
    this.#rollups = levels.length > 0 ? new MemoryRollups(levels) : undefined;
  }

  async start(): Promise<void> {
    this.#open = true;
  }

  async stop(): Promise<void> {
    this.#open = false;
  }

  async write(points: readonly Point[]): Promise<WriteOutcome> {
    this.#assertOpen();
    validatePointTimes(points);
    const refused: RefusedPoint[] = [];
    for (let index = 0; index < points.length; index++) {
      const point = points[index] as Point;
      const conflict = this.#typeConflict(point);
      if (conflict !== undefined) {
        refused.push({ index, code: 'STO_FIELD_TYPE_CONFLICT', message: conflict });
        continue;
      }
      this.#apply(point);
    }
    return { written: points.length - refused.length, refused };
  }

  async query(q: SeriesQuery): Promise<QueryResult> {
    this.#assertOpen();
    validateQuery(q);
    const type = this.#fieldTypes.get(fieldTypeIdentity(q.database, q.measurement, q.field));
    if (type === undefined) return { series: [], truncated: false };
    validateAggregateType(q, type);

    const matching = [...this.#series.values()]
      .filter(
        (s) =>
          s.database === q.database &&
          s.measurement === q.measurement &&
          s.fields.has(q.field) &&
          seriesSelected(s.tags, q),
      )
      .sort(bySeriesKey);
    if (q.aggregate === 'raw') return rawSeries(matching, q);

    const aggregate = q.aggregate;
    const segments: readonly Segment[] =
      type === 'float' && this.#rollups !== undefined
        ? planSegments(q, this.#rollups.views())
        : [{ from: q.from, to: q.to, level: undefined }];
    const interval = q.interval;
    const bucketOf =
      interval === undefined ? () => q.from : (t: EpochMicros) => bucketStart(t, interval, q.offset ?? 0);
    const series: SeriesData[] = [];
    let budget = q.limit;
    for (const group of groupSeries(matching, q.groupBy)) {
      const states = new StateBuckets();
      for (const s of group.members) {
        const stored = s.fields.get(q.field) as Map<EpochMicros, FieldValue>;
        for (const seg of segments) {
          if (seg.level === undefined) {
            for (const [time, value] of stored) {
              if (time >= seg.from && time < seg.to) states.add(bucketOf(time), pointState(time, value));
            }
            continue;
          }
          const rolled = this.#rollups?.states(seg.level, rolledKey(s, q.field));
          for (const [b, state] of rolled ?? []) {
            if (b >= seg.from && b < seg.to) states.add(bucketOf(b), state);
          }
        }
      }
      if (states.size === 0) continue;
      const rows = states.finish(aggregate, interval !== undefined, q.from);
      if (budget === 0) return { series, truncated: true };
      const kept = Math.min(budget, rows.time.length);
      budget -= kept;
      series.push({
        measurement: q.measurement,
        tags: group.tags,
        field: q.field,
        time: rows.time.slice(0, kept),
        value: rows.value.slice(0, kept),
      });
      if (kept < rows.time.length) return { series, truncated: true };
    }
    return { series, truncated: false };
  }

  async maintainRollups(now: EpochMicros): Promise<RollupReport> {
    this.#assertOpen();
    if (this.#rollups === undefined) return { levels: [] };
    return this.#rollups.maintain(now, () => this.#floatFields());
  }

  *#floatFields(): Iterable<RolledField> {
    for (const s of this.#series.values()) {
      for (const [name, values] of s.fields) {
        if (this.#fieldTypes.get(fieldTypeIdentity(s.database, s.measurement, name)) !== 'float') continue;
        yield { key: rolledKey(s, name), values };
      }
    }
  }

  async listSeries(filter: SeriesFilter): Promise<SeriesInfo[]> {
    this.#assertOpen();
    const out: SeriesInfo[] = [];
    const matching = [...this.#series.values()]
      .filter(
        (s) =>
          (filter.database === undefined || s.database === filter.database) &&
          (filter.measurement === undefined || s.measurement === filter.measurement),
      )
      .sort((a, b) => compareStrings(a.database, b.database) || bySeriesKey(a, b));
    for (const s of matching) {
      const fields: Record<string, FieldType> = {};
      for (const name of [...s.fields.keys()].sort(compareStrings)) {
        fields[name] = this.#fieldTypes.get(fieldTypeIdentity(s.database, s.measurement, name)) as FieldType;
      }
      out.push({ database: s.database, measurement: s.measurement, tags: { ...s.tags }, fields });
    }
    return out;
  }

  async listDatabases(): Promise<string[]> {
    this.#assertOpen();
    const names = new Set<string>();
    for (const s of this.#series.values()) names.add(s.database);
    return [...names].sort(compareStrings);
  }

  async appendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    this.#assertOpen();
    this.#deadLetters.append(letters);
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    this.#assertOpen();
    return this.#deadLetters.list(filter);
  }

  async countDeadLetters(filter: DeadLetterCountFilter): Promise<number> {
    this.#assertOpen();
    return this.#deadLetters.count(filter);
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    this.#assertOpen();
    return this.#deadLetters.delete(ids);
  }

  async pruneDeadLetters(limits: DeadLetterLimits): Promise<number> {
    this.#assertOpen();
    return this.#deadLetters.prune(limits);
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#meta.get(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#assertOpen();
    this.#meta.set(key, value);
  }

  async deleteMeta(key: string): Promise<boolean> {
    this.#assertOpen();
    return this.#meta.delete(key);
  }

  async putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
    this.#assertOpen();
    for (const [k, v] of entries) {
      if (v === null) this.#meta.delete(k);
      else this.#meta.set(k, v);
    }
  }

  async listMeta(prefix: string): Promise<Array<[string, string]>> {
    this.#assertOpen();
    return [...this.#meta]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Nothing here outlives the process, so there is nothing a backup could restore. */
  async backup(_targetPath: string): Promise<StoreBackup> {
    throw new AppError(
      'STO_BACKUP_UNSUPPORTED',
      'the memory store keeps nothing on disk, so there is nothing to back up; use sensorhub export for its points',
    );
  }

  async deleteBefore(database: string, before: EpochMicros): Promise<number> {
    this.#assertOpen();
    validateRetentionCutoff(before);
    let deleted = 0;
    for (const s of this.#series.values()) {
      if (s.database !== database) continue;
      for (const values of s.fields.values()) {
        for (const time of values.keys()) {
          if (time < before) {
            values.delete(time);
            deleted++;
          }
        }
      }
    }
    this.#samples -= deleted;
    return deleted;
  }

  async databaseStats(): Promise<DatabaseStats[]> {
    this.#assertOpen();
    const byDatabase = new Map<string, { series: number; samples: number; oldest: number; newest: number }>();
    for (const s of this.#series.values()) {
      let d = byDatabase.get(s.database);
      if (d === undefined) {
        d = { series: 0, samples: 0, oldest: Number.POSITIVE_INFINITY, newest: Number.NEGATIVE_INFINITY };
        byDatabase.set(s.database, d);
      }
      for (const values of s.fields.values()) {
        d.series++;
        d.samples += values.size;
        for (const time of values.keys()) {
          if (time < d.oldest) d.oldest = time;
          if (time > d.newest) d.newest = time;
        }
      }
    }
    return [...byDatabase]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([database, d]) => ({
        database,
        series: d.series,
        samples: d.samples,
        oldest: d.samples === 0 ? null : d.oldest,
        newest: d.samples === 0 ? null : d.newest,
      }));
  }

  isWritable(): boolean {
    return this.#open;
  }

  stats(): StoreStats {
    return { series: this.#fieldSeries, samples: this.#samples, deadLetters: this.#deadLetters.size };
  }

  #typeConflict(point: Point): string | undefined {
    for (const name in point.fields) {
      const got = fieldTypeOf(point.fields[name] as FieldValue);
      const stored = this.#fieldTypes.get(fieldTypeIdentity(point.database, point.measurement, name));
      if (stored !== undefined && stored !== got) return typeConflictMessage(name, stored, got);
    }
    return undefined;
  }

  #apply(point: Point): void {
    const names = Object.keys(point.fields);
    if (names.length === 0) return;
    const identity = seriesIdentity(point.database, point.measurement, point.tags);
    let s = this.#series.get(identity);
    if (s === undefined) {
      s = {
        database: point.database,
        measurement: point.measurement,
        tags: sortedTags(point.tags),
        key: seriesKey(point.measurement, point.tags),
        identity,
        fields: new Map(),
      };
      this.#series.set(identity, s);
    }
    for (const name of names) {
      const value = point.fields[name] as FieldValue;
      this.#fieldTypes.set(fieldTypeIdentity(point.database, point.measurement, name), fieldTypeOf(value));
      let values = s.fields.get(name);
      if (values === undefined) {
        values = new Map();
        s.fields.set(name, values);
        this.#fieldSeries++;
      }
      if (!values.has(point.time)) this.#samples++;
      values.set(point.time, value);
      if (typeof value === 'number') this.#rollups?.noteWrite(point.time);
    }
  }

  #assertOpen(): void {
    if (!this.#open) throw new AppError('STO_CLOSED', 'the memory store is not started');
  }
}

function rolledKey(s: MemorySeries, field: string): string {
  return `${s.identity}${field.length}:${field}`;
}

function rawSeries(matching: readonly MemorySeries[], q: SeriesQuery): QueryResult {
  const series: SeriesData[] = [];
  let budget = q.limit;
  for (const s of matching) {
    const stored = s.fields.get(q.field) as Map<EpochMicros, FieldValue>;
    const rows: Row[] = [];
    for (const [time, value] of stored) if (time >= q.from && time < q.to) rows.push({ time, value });
    if (rows.length === 0) continue;
    rows.sort((a, b) => a.time - b.time);
    if (budget === 0) return { series, truncated: true };
    const kept = rows.slice(0, budget);
    budget -= kept.length;
    series.push({
      measurement: s.measurement,
      tags: { ...s.tags },
      field: q.field,
      time: kept.map((r) => r.time),
      value: kept.map((r) => r.value),
    });
    if (kept.length < rows.length) return { series, truncated: true };
  }
  return { series, truncated: false };
}

function bySeriesKey(a: MemorySeries, b: MemorySeries): number {
  return compareStrings(a.key, b.key) || compareStrings(a.identity, b.identity);
}

import { AppError } from '../../core/errors.js';
import {
  type EpochMicros,
  type FieldType,
  type FieldValue,
  fieldTypeOf,
  type Point,
  seriesKey,
} from '../../core/point.js';
import {
  bucketStart,
  compareStrings,
  fieldTypeIdentity,
  seriesIdentity,
  sortedTags,
  tagsMatch,
  typeConflictMessage,
  validateAggregateType,
  validatePointTimes,
  validateQuery,
} from '../semantics.js';
import type {
  DeadLetter,
  DeadLetterCountFilter,
  DeadLetterFilter,
  DeadLetterLimits,
  QueryResult,
  RefusedPoint,
  SeriesData,
  SeriesFilter,
  SeriesInfo,
  SeriesQuery,
  StoredDeadLetter,
  StoreStats,
  TimeSeriesStore,
  WriteOutcome,
} from '../store.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';

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
  readonly #series = new Map<string, MemorySeries>();
  readonly #fieldTypes = new Map<string, FieldType>();
  readonly #deadLetters = new MemoryDeadLetters();
  readonly #meta = new Map<string, string>();
  #samples = 0;
  #fieldSeries = 0;

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
          tagsMatch(s.tags, q.tags),
      )
      .sort(bySeriesKey);

    const series: SeriesData[] = [];
    let budget = q.limit;
    for (const s of matching) {
      const stored = s.fields.get(q.field) as Map<EpochMicros, FieldValue>;
      const inRange: Row[] = [];
      for (const [time, value] of stored) if (time >= q.from && time < q.to) inRange.push({ time, value });
      if (inRange.length === 0) continue;
      inRange.sort((a, b) => a.time - b.time);
      const rows = aggregateRows(inRange, q);
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
    }
  }

  #assertOpen(): void {
    if (!this.#open) throw new AppError('STO_CLOSED', 'the memory store is not started');
  }
}

function bySeriesKey(a: MemorySeries, b: MemorySeries): number {
  return compareStrings(a.key, b.key) || compareStrings(a.identity, b.identity);
}

/** `rows` is sorted by time and non-empty. */
function aggregateRows(rows: readonly Row[], q: SeriesQuery): Row[] {
  if (q.aggregate === 'raw') return rows.slice();
  const interval = q.interval;
  if (interval === undefined) return [aggregateGroup(rows, q, undefined)];
  const out: Row[] = [];
  let start = 0;
  while (start < rows.length) {
    const bucket = bucketStart((rows[start] as Row).time, interval);
    let end = start + 1;
    while (end < rows.length && bucketStart((rows[end] as Row).time, interval) === bucket) end++;
    out.push(aggregateGroup(rows.slice(start, end), q, bucket));
    start = end;
  }
  return out;
}

/** `bucket` undefined means the whole range is one group. */
function aggregateGroup(rows: readonly Row[], q: SeriesQuery, bucket: EpochMicros | undefined): Row {
  const first = rows[0] as Row;
  const last = rows[rows.length - 1] as Row;
  const at = (selected: EpochMicros): EpochMicros => bucket ?? selected;
  switch (q.aggregate) {
    case 'first':
      return { time: at(first.time), value: first.value };
    case 'last':
      return { time: at(last.time), value: last.value };
    case 'count':
      return { time: bucket ?? q.from, value: rows.length };
    case 'sum':
    case 'mean': {
      let sum = 0;
      for (const r of rows) sum += r.value as number;
      return { time: bucket ?? q.from, value: q.aggregate === 'sum' ? sum : sum / rows.length };
    }
    case 'min':
    case 'max': {
      // Strict comparison keeps the earliest point among equal values.
      let best = first;
      for (const r of rows) {
        const better = q.aggregate === 'min' ? r.value < best.value : r.value > best.value;
        if (better) best = r;
      }
      return { time: at(best.time), value: best.value };
    }
    case 'raw':
      throw new Error('raw rows are not aggregated');
  }
}

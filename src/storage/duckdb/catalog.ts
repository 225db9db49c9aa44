import { type EpochMicros, type FieldType, seriesKey } from '../../core/point.js';
import { fieldTypeIdentity, seriesIdentity, sortedTags } from '../semantics.js';

/** One row of the `series` table: one field of one series. `id` is the `sid` of its samples. */
export interface CatalogEntry {
  readonly id: number;
  readonly database: string;
  readonly measurement: string;
  /** Sorted by key. */
  readonly tags: Readonly<Record<string, string>>;
  readonly field: string;
  readonly type: FieldType;
  /** core's seriesKey, for ordering results. */
  readonly key: string;
  /** semantics.seriesIdentity, unambiguous. */
  readonly identity: string;
}

/** What one write transaction adds to the catalog; applied to the Catalog only once it has committed. */
export interface CatalogDelta {
  readonly entries: CatalogEntry[];
  /** sid → greatest time written by the batch. */
  readonly maxTime: Map<number, EpochMicros>;
}

/**
 * The `series` table and the greatest committed time per sid, held in memory. Written only by the write
 * path, and only after COMMIT, so that a rolled-back batch leaves no trace here either.
 */
export class Catalog {
  /** identity → field → entry */
  readonly #byIdentity = new Map<string, Map<string, CatalogEntry>>();
  readonly #byId: CatalogEntry[] = [];
  /** measurementIdentity → entries of every field of every series of that measurement */
  readonly #byMeasurement = new Map<string, CatalogEntry[]>();
  readonly #fieldTypes = new Map<string, FieldType>();
  /** Indexed by sid; -Infinity for a sid with no samples yet. */
  readonly #maxTime: number[] = [];
  #nextId = 1;
  #count = 0;

  get nextId(): number {
    return this.#nextId;
  }

  /** Catalog rows: distinct (database, measurement, tag set, field). */
  get seriesCount(): number {
    return this.#count;
  }

  fields(identity: string): Map<string, CatalogEntry> | undefined {
    return this.#byIdentity.get(identity);
  }

  fieldType(database: string, measurement: string, field: string): FieldType | undefined {
    return this.#fieldTypes.get(fieldTypeIdentity(database, measurement, field));
  }

  maxTime(sid: number): EpochMicros {
    return this.#maxTime[sid] ?? Number.NEGATIVE_INFINITY;
  }

  databaseOf(sid: number): string | undefined {
    return this.#byId[sid]?.database;
  }

  entries(): readonly CatalogEntry[] {
    return this.#byId.filter((e) => e !== undefined);
  }

  entriesOf(database: string, measurement: string): readonly CatalogEntry[] {
    return this.#byMeasurement.get(measurementIdentity(database, measurement)) ?? [];
  }

  add(entry: CatalogEntry): void {
    let fields = this.#byIdentity.get(entry.identity);
    if (fields === undefined) {
      fields = new Map();
      this.#byIdentity.set(entry.identity, fields);
    }
    fields.set(entry.field, entry);
    if (this.#byId[entry.id] === undefined) this.#count++;
    this.#byId[entry.id] = entry;
    const m = measurementIdentity(entry.database, entry.measurement);
    const siblings = this.#byMeasurement.get(m);
    if (siblings === undefined) this.#byMeasurement.set(m, [entry]);
    else siblings.push(entry);
    this.#fieldTypes.set(fieldTypeIdentity(entry.database, entry.measurement, entry.field), entry.type);
    if (entry.id >= this.#nextId) this.#nextId = entry.id + 1;
  }

  raiseMaxTime(sid: number, time: EpochMicros): void {
    if (!(time <= this.maxTime(sid))) this.#maxTime[sid] = time;
  }

  apply(delta: CatalogDelta): void {
    for (const e of delta.entries) this.add(e);
    for (const [sid, time] of delta.maxTime) this.raiseMaxTime(sid, time);
  }
}

function measurementIdentity(database: string, measurement: string): string {
  return `${database.length}:${database}${measurement}`;
}

export function makeEntry(
  id: number,
  database: string,
  measurement: string,
  tags: Readonly<Record<string, string>>,
  field: string,
  type: FieldType,
): CatalogEntry {
  return {
    id,
    database,
    measurement,
    tags: sortedTags(tags),
    field,
    type,
    key: seriesKey(measurement, tags),
    identity: seriesIdentity(database, measurement, tags),
  };
}

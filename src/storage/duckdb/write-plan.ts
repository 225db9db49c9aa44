import {
  type EpochMicros,
  type FieldType,
  type FieldValue,
  fieldTypeOf,
  type Point,
} from '../../core/point.js';
import { fieldTypeIdentity, seriesIdentity, typeConflictMessage } from '../semantics.js';
import type { RefusedPoint } from '../store.js';
import { type Catalog, type CatalogEntry, makeEntry } from './catalog.js';

/** Everything one write transaction does, worked out in JS before the transaction opens. */
export interface WritePlan {
  readonly written: number;
  readonly refused: RefusedPoint[];
  /** Catalog rows to insert; the Catalog itself learns of them only after COMMIT. */
  readonly newEntries: CatalogEntry[];
  /** Rows to append, (sid, time) unique. */
  readonly sid: number[];
  readonly time: EpochMicros[];
  readonly value: FieldValue[];
  /** Indexes into the rows of those that may replace a stored sample: delete (sid, time) before appending. */
  readonly overwrite: number[];
  /** Least and greatest time among the overwrite rows, to bound the delete's scan. */
  readonly overwriteFrom: EpochMicros;
  readonly overwriteTo: EpochMicros;
  /** sid → greatest time in this batch, to raise the catalog's max once committed. */
  readonly maxTime: Map<number, EpochMicros>;
}

/**
 * Same-point semantics without paying for dedup at read time: a sample later than everything stored for
 * its sid cannot collide, so it is a plain append; only one at or before that max may replace a stored
 * sample and needs a delete first. In a telemetry stream nearly every sample is the former.
 */
export function planWrite(points: readonly Point[], catalog: Catalog): WritePlan {
  return new Planner(catalog).plan(points);
}

/** One use per batch. This is the ingest hot path: one pass, no per-row allocation beyond the rows. */
class Planner {
  readonly #catalog: Catalog;
  readonly #refused: RefusedPoint[] = [];
  readonly #newEntries: CatalogEntry[] = [];
  /** identity → field → entry, for series and fields first seen in this batch. */
  readonly #staged = new Map<string, Map<string, CatalogEntry>>();
  /** Field types first set by this batch (per measurement, like the catalog's). */
  readonly #stagedTypes = new Map<string, FieldType>();
  #nextId: number;
  #sid: number[] = [];
  #time: EpochMicros[] = [];
  #value: FieldValue[] = [];
  /** Indexed by sid: greatest time seen in this batch. */
  readonly #batchMax: number[] = [];
  readonly #touched: number[] = [];
  #duplicates = false;
  /** Scratch for one point's entries, so a point is checked whole before any of its rows is taken. */
  readonly #entries: CatalogEntry[] = [];
  readonly #values: FieldValue[] = [];

  constructor(catalog: Catalog) {
    this.#catalog = catalog;
    this.#nextId = catalog.nextId;
  }

  plan(points: readonly Point[]): WritePlan {
    for (let index = 0; index < points.length; index++) {
      const p = points[index] as Point;
      const identity = seriesIdentity(p.database, p.measurement, p.tags);
      const known = this.#catalog.fields(identity);
      if (known !== undefined && this.#takeKnown(p, known)) continue;
      const conflict = this.#conflict(p, identity, known);
      if (conflict !== undefined)
        this.#refused.push({ index, code: 'STO_FIELD_TYPE_CONFLICT', message: conflict });
      else this.#takeWithNewFields(p, identity, known);
    }
    if (this.#duplicates) this.#keepLastPerKey();

    const overwrite: number[] = [];
    let overwriteFrom = Number.POSITIVE_INFINITY;
    let overwriteTo = Number.NEGATIVE_INFINITY;
    const sid = this.#sid;
    const time = this.#time;
    for (let i = 0; i < sid.length; i++) {
      const t = time[i] as number;
      if (t > this.#catalog.maxTime(sid[i] as number)) continue;
      overwrite.push(i);
      if (t < overwriteFrom) overwriteFrom = t;
      if (t > overwriteTo) overwriteTo = t;
    }
    const maxTime = new Map<number, EpochMicros>();
    for (const id of this.#touched) maxTime.set(id, this.#batchMax[id] as number);
    return {
      written: points.length - this.#refused.length,
      refused: this.#refused,
      newEntries: this.#newEntries,
      sid,
      time,
      value: this.#value,
      overwrite,
      overwriteFrom,
      overwriteTo,
      maxTime,
    };
  }

  /** The common case: every field of the point is already in the catalog with this type. */
  #takeKnown(p: Point, known: Map<string, CatalogEntry>): boolean {
    let n = 0;
    for (const name in p.fields) {
      const v = p.fields[name] as FieldValue;
      const entry = known.get(name);
      if (entry === undefined || entry.type !== fieldTypeOf(v)) return false;
      this.#entries[n] = entry;
      this.#values[n] = v;
      n++;
    }
    for (let j = 0; j < n; j++)
      this.#row((this.#entries[j] as CatalogEntry).id, p.time, this.#values[j] as FieldValue);
    return true;
  }

  /** Checks every field before any is taken, so that a refused point establishes no type and no series. */
  #conflict(p: Point, identity: string, known: Map<string, CatalogEntry> | undefined): string | undefined {
    const mine = this.#staged.get(identity);
    for (const name in p.fields) {
      const got = fieldTypeOf(p.fields[name] as FieldValue);
      const expected =
        known?.get(name)?.type ??
        mine?.get(name)?.type ??
        this.#catalog.fieldType(p.database, p.measurement, name) ??
        this.#stagedTypes.get(fieldTypeIdentity(p.database, p.measurement, name));
      if (expected !== undefined && expected !== got) return typeConflictMessage(name, expected, got);
    }
    return undefined;
  }

  #takeWithNewFields(p: Point, identity: string, known: Map<string, CatalogEntry> | undefined): void {
    for (const name in p.fields) {
      const v = p.fields[name] as FieldValue;
      let entry = known?.get(name) ?? this.#staged.get(identity)?.get(name);
      if (entry === undefined) {
        entry = makeEntry(this.#nextId++, p.database, p.measurement, p.tags, name, fieldTypeOf(v));
        let fields = this.#staged.get(identity);
        if (fields === undefined) {
          fields = new Map();
          this.#staged.set(identity, fields);
        }
        fields.set(name, entry);
        this.#stagedTypes.set(fieldTypeIdentity(p.database, p.measurement, name), entry.type);
        this.#newEntries.push(entry);
      }
      this.#row(entry.id, p.time, v);
    }
  }

  #row(id: number, t: EpochMicros, v: FieldValue): void {
    this.#sid.push(id);
    this.#time.push(t);
    this.#value.push(v);
    const batchMax = this.#batchMax[id];
    if (batchMax === undefined) {
      this.#batchMax[id] = t;
      this.#touched.push(id);
    } else if (t > batchMax) {
      this.#batchMax[id] = t;
    } else {
      this.#duplicates = true;
    }
  }

  /** Within a batch the later sample for a (sid, time) wins, as if the points had been written one by one. */
  #keepLastPerKey(): void {
    const sid = this.#sid;
    const time = this.#time;
    const lastIndex = new Map<number, Map<EpochMicros, number>>();
    for (let i = 0; i < sid.length; i++) {
      const s = sid[i] as number;
      let byTime = lastIndex.get(s);
      if (byTime === undefined) {
        byTime = new Map();
        lastIndex.set(s, byTime);
      }
      byTime.set(time[i] as number, i);
    }
    const keptSid: number[] = [];
    const keptTime: EpochMicros[] = [];
    const keptValue: FieldValue[] = [];
    for (let i = 0; i < sid.length; i++) {
      if (lastIndex.get(sid[i] as number)?.get(time[i] as number) !== i) continue;
      keptSid.push(sid[i] as number);
      keptTime.push(time[i] as number);
      keptValue.push(this.#value[i] as FieldValue);
    }
    this.#sid = keptSid;
    this.#time = keptTime;
    this.#value = keptValue;
  }
}

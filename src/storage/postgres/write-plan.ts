import { AppError } from '../../core/errors.js';
import {
  type EpochMicros,
  type FieldType,
  type FieldValue,
  fieldTypeOf,
  type Point,
} from '../../core/point.js';
import { fieldTypeIdentity, seriesIdentity, sortedTags, typeConflictMessage } from '../semantics.js';
import type { RefusedPoint } from '../store.js';
import type { SeriesCache, SeriesEntry } from './catalog.js';

/** A (database, measurement, field) whose type the batch needs; the planner cannot decide without it. */
export interface FieldKey {
  readonly database: string;
  readonly measurement: string;
  readonly field: string;
}

export interface NewFieldType extends FieldKey {
  readonly type: FieldType;
}

/** A series row this batch needs and the cache does not have: it may exist in the database already. */
export interface NewSeries extends NewFieldType {
  readonly identity: string;
  /** Sorted tags as JSON, for the jsonb column. */
  readonly tagsJson: string;
}

/** Everything one write does, worked out in JS before its transaction opens. */
export interface WritePlan {
  readonly written: number;
  readonly refused: RefusedPoint[];
  /**
   * Field types neither the cache nor `absent` knows. Non-empty means the plan is provisional: look them up
   * in the database, then plan again.
   */
  readonly unknownTypes: FieldKey[];
  /** Types this batch fixes (their first point in the batch decides), to insert. */
  readonly newTypes: NewFieldType[];
  readonly newSeries: NewSeries[];
  /** Rows, (sid, time) unique. A negative sid is -(1 + index into newSeries), resolved in the transaction. */
  readonly sid: number[];
  readonly time: EpochMicros[];
  readonly value: FieldValue[];
}

/**
 * Plans a batch against the cache. `absent` holds fieldTypeIdentity keys known not to be in the database
 * (looked up during this write), so the batch may fix them.
 */
export function planWrite(
  points: readonly Point[],
  cache: SeriesCache,
  absent: ReadonlySet<string>,
): WritePlan {
  return new Planner(cache, absent).plan(points);
}

/** One use per batch. The ingest hot path: one pass, nothing allocated per row beyond the rows. */
class Planner {
  readonly #cache: SeriesCache;
  readonly #absent: ReadonlySet<string>;
  readonly #refused: RefusedPoint[] = [];
  readonly #unknown = new Map<string, FieldKey>();
  readonly #newTypes = new Map<string, NewFieldType>();
  readonly #newSeries: NewSeries[] = [];
  /** identity → field → provisional sid of a series first needed by this batch */
  readonly #staged = new Map<string, Map<string, number>>();
  #sid: number[] = [];
  #time: EpochMicros[] = [];
  #value: FieldValue[] = [];
  /** sid → greatest time in this batch so far; a row at or before it may duplicate an earlier row. */
  readonly #batchMax = new Map<number, EpochMicros>();
  #duplicates = false;
  /** Scratch for one point's fields, so a point is checked whole before any of its rows is taken. */
  readonly #sids: number[] = [];
  readonly #values: FieldValue[] = [];

  constructor(cache: SeriesCache, absent: ReadonlySet<string>) {
    this.#cache = cache;
    this.#absent = absent;
  }

  plan(points: readonly Point[]): WritePlan {
    for (let index = 0; index < points.length; index++) {
      const p = points[index] as Point;
      const identity = seriesIdentity(p.database, p.measurement, p.tags);
      const known = this.#cache.fields(identity);
      if (known !== undefined && this.#takeKnown(p, known)) continue;
      // Names of cached series are stored already, so they were checked then.
      checkText(p, index);
      const conflict = this.#conflict(p);
      if (conflict !== undefined)
        this.#refused.push({ index, code: 'STO_FIELD_TYPE_CONFLICT', message: conflict });
      else this.#takeWithNewFields(p, identity, known);
    }
    if (this.#duplicates) this.#keepLastPerKey();
    return {
      written: points.length - this.#refused.length,
      refused: this.#refused,
      unknownTypes: [...this.#unknown.values()],
      newTypes: [...this.#newTypes.values()],
      newSeries: this.#newSeries,
      sid: this.#sid,
      time: this.#time,
      value: this.#value,
    };
  }

  /** The common case: every field of the point is a cached series of the same type. */
  #takeKnown(p: Point, known: Map<string, SeriesEntry>): boolean {
    let n = 0;
    for (const name in p.fields) {
      const v = p.fields[name] as FieldValue;
      const entry = known.get(name);
      if (entry === undefined || entry.type !== fieldTypeOf(v)) return false;
      this.#sids[n] = entry.id;
      this.#values[n] = v;
      n++;
    }
    for (let j = 0; j < n; j++) this.#row(this.#sids[j] as number, p.time, this.#values[j] as FieldValue);
    return true;
  }

  /** Checks every field before any is taken, so that a refused point fixes no type and makes no series. */
  #conflict(p: Point): string | undefined {
    for (const name in p.fields) {
      const got = fieldTypeOf(p.fields[name] as FieldValue);
      const expected = this.#typeOf(p.database, p.measurement, name);
      if (expected !== undefined && expected !== got) return typeConflictMessage(name, expected, got);
    }
    return undefined;
  }

  /** The stored type, or the one an earlier point of this batch fixed; undefined when still free. */
  #typeOf(database: string, measurement: string, field: string): FieldType | undefined {
    const key = fieldTypeIdentity(database, measurement, field);
    const type = this.#cache.fieldTypeById(key) ?? this.#newTypes.get(key)?.type;
    if (type !== undefined || this.#absent.has(key)) return type;
    // Unknown here, maybe stored by another process: the plan is redone once the database has answered.
    this.#unknown.set(key, { database, measurement, field });
    return undefined;
  }

  #takeWithNewFields(p: Point, identity: string, known: Map<string, SeriesEntry> | undefined): void {
    for (const name in p.fields) {
      const v = p.fields[name] as FieldValue;
      const type = fieldTypeOf(v);
      let sid = known?.get(name)?.id ?? this.#staged.get(identity)?.get(name);
      if (sid === undefined) {
        const key = fieldTypeIdentity(p.database, p.measurement, name);
        if (this.#cache.fieldTypeById(key) === undefined && !this.#newTypes.has(key)) {
          this.#newTypes.set(key, { database: p.database, measurement: p.measurement, field: name, type });
        }
        this.#newSeries.push({
          database: p.database,
          measurement: p.measurement,
          field: name,
          type,
          identity,
          tagsJson: JSON.stringify(sortedTags(p.tags)),
        });
        sid = -this.#newSeries.length;
        let fields = this.#staged.get(identity);
        if (fields === undefined) {
          fields = new Map();
          this.#staged.set(identity, fields);
        }
        fields.set(name, sid);
      }
      this.#row(sid, p.time, v);
    }
  }

  #row(sid: number, t: EpochMicros, v: FieldValue): void {
    if (typeof v === 'string' && v.includes('\u0000')) this.#nul(v);
    this.#sid.push(sid);
    this.#time.push(t);
    this.#value.push(v);
    const max = this.#batchMax.get(sid);
    if (max === undefined || t > max) this.#batchMax.set(sid, t);
    else this.#duplicates = true;
  }

  #nul(v: string): never {
    throw nulError(`string value "${v.replaceAll('\u0000', '\\u0000').slice(0, 60)}"`);
  }

  /** Within a batch the later sample for a (sid, time) wins, as if the points had been written one by one. */
  #keepLastPerKey(): void {
    const lastIndex = new Map<number, Map<EpochMicros, number>>();
    for (let i = 0; i < this.#sid.length; i++) {
      const s = this.#sid[i] as number;
      let byTime = lastIndex.get(s);
      if (byTime === undefined) {
        byTime = new Map();
        lastIndex.set(s, byTime);
      }
      byTime.set(this.#time[i] as number, i);
    }
    const sid: number[] = [];
    const time: EpochMicros[] = [];
    const value: FieldValue[] = [];
    for (let i = 0; i < this.#sid.length; i++) {
      if (lastIndex.get(this.#sid[i] as number)?.get(this.#time[i] as number) !== i) continue;
      sid.push(this.#sid[i] as number);
      time.push(this.#time[i] as number);
      value.push(this.#value[i] as FieldValue);
    }
    this.#sid = sid;
    this.#time = time;
    this.#value = value;
  }
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000. A batch carrying one is refused whole, before the
 * database sees it, like a batch with a non-integer time: storing it altered would be silent data loss.
 */
function checkText(p: Point, index: number): void {
  if (p.database.includes('\u0000') || p.measurement.includes('\u0000')) {
    throw nulError(`point ${index}: database or measurement name`);
  }
  for (const k in p.tags) {
    if (k.includes('\u0000') || (p.tags[k] as string).includes('\u0000')) {
      throw nulError(`point ${index}: tag "${k.replaceAll('\u0000', '\\u0000')}"`);
    }
  }
  for (const k in p.fields) {
    if (k.includes('\u0000')) throw nulError(`point ${index}: field name`);
  }
}

function nulError(where: string): AppError {
  return new AppError(
    'STO_WRITE_FAILED',
    `${where} contains U+0000, which PostgreSQL cannot store; nothing of the batch was written`,
  );
}

import type { EpochMicros, FieldType } from '../../core/point.js';
import { fieldTypeIdentity } from '../semantics.js';

/** One row of `series`: one field of one tag set. */
export interface SeriesEntry {
  readonly id: number;
  readonly type: FieldType;
}

/**
 * What this process knows of the `series` and `field_types` tables, so that a write resolves its series ids
 * and checks field types without a round trip. The database stays the authority: several sensorhub
 * processes may share it, so anything missing here is looked up (and created) inside the write
 * transaction. Entries never go stale: a series keeps its id and a field its type forever. Filled only
 * after COMMIT, so a rolled-back write leaves no trace here.
 */
export class SeriesCache {
  /** seriesIdentity → field → entry */
  readonly #byIdentity = new Map<string, Map<string, SeriesEntry>>();
  /** fieldTypeIdentity → type */
  readonly #fieldTypes = new Map<string, FieldType>();
  /**
   * Indexed by series id: the greatest sample time known to be stored. A sample later than this cannot
   * replace a stored one (unless another process wrote it), which spares most rows the existence check
   * that keeps stats().samples exact.
   */
  readonly #lastTime: number[] = [];

  fields(identity: string): Map<string, SeriesEntry> | undefined {
    return this.#byIdentity.get(identity);
  }

  /** By semantics.fieldTypeIdentity. */
  fieldTypeById(key: string): FieldType | undefined {
    return this.#fieldTypes.get(key);
  }

  setFieldType(database: string, measurement: string, field: string, type: FieldType): void {
    this.#fieldTypes.set(fieldTypeIdentity(database, measurement, field), type);
  }

  addSeries(identity: string, field: string, entry: SeriesEntry): void {
    let fields = this.#byIdentity.get(identity);
    if (fields === undefined) {
      fields = new Map();
      this.#byIdentity.set(identity, fields);
    }
    fields.set(field, entry);
  }

  /** -Infinity when nothing is known to be stored for the series. */
  lastTime(id: number): EpochMicros {
    return this.#lastTime[id] ?? Number.NEGATIVE_INFINITY;
  }

  raiseLastTime(id: number, time: EpochMicros): void {
    if (!(time <= this.lastTime(id))) this.#lastTime[id] = time;
  }
}

import {
  BIGINT,
  BLOB,
  blobValue,
  DOUBLE,
  DuckDBDataChunk,
  type DuckDBTimestampValue,
  type DuckDBType,
  DuckDBVector,
  INTEGER,
  TIMESTAMP,
  timestampValue,
  UINTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import type { EpochMicros, FieldValue } from '../../core/point.js';
import type { DeadLetter } from '../store.js';
import type { CatalogEntry } from './catalog.js';

/**
 * Column-wise DataChunk builders, one per appended table. Column order must match the CREATE TABLE in
 * schema.ts: the appender maps chunk columns to table columns by position and does not cast.
 */

const SAMPLE_TYPES: readonly DuckDBType[] = [UINTEGER, TIMESTAMP, DOUBLE, VARCHAR];
const SERIES_TYPES: readonly DuckDBType[] = [UINTEGER, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR];
const KEY_TYPES: readonly DuckDBType[] = [UINTEGER, TIMESTAMP];
const DEAD_LETTER_TYPES: readonly DuckDBType[] = [
  BIGINT,
  TIMESTAMP,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  BLOB,
  INTEGER,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  INTEGER,
];

const ts = (micros: EpochMicros): DuckDBTimestampValue => timestampValue(BigInt(micros));

/** Calls `fill` for each run of at most one vector's worth of rows (a chunk cannot hold more). */
function chunked(
  count: number,
  types: readonly DuckDBType[],
  fill: (chunk: DuckDBDataChunk, start: number, end: number) => void,
): DuckDBDataChunk[] {
  const size = DuckDBVector.standardSize();
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < count; start += size) {
    const end = Math.min(count, start + size);
    const chunk = DuckDBDataChunk.create(types, end - start);
    fill(chunk, start, end);
    chunks.push(chunk);
  }
  return chunks;
}

export function sampleChunks(
  sid: readonly number[],
  time: readonly EpochMicros[],
  value: readonly FieldValue[],
): DuckDBDataChunk[] {
  return chunked(sid.length, SAMPLE_TYPES, (chunk, start, end) => {
    // Straight into the vectors: building column arrays for setColumns costs about half as much again.
    const sids = chunk.getColumnVector(0);
    const times = chunk.getColumnVector(1);
    const nums = chunk.getColumnVector(2);
    const strs = chunk.getColumnVector(3);
    for (let i = 0, row = start; row < end; i++, row++) {
      sids.setItem(i, sid[row] as number);
      times.setItem(i, ts(time[row] as number));
      const v = value[row] as FieldValue;
      if (typeof v === 'string') {
        nums.setItem(i, null);
        strs.setItem(i, v);
      } else {
        nums.setItem(i, typeof v === 'boolean' ? (v ? 1 : 0) : v);
        strs.setItem(i, null);
      }
    }
    sids.flush();
    times.flush();
    nums.flush();
    strs.flush();
  });
}

/** Keys of the given rows, for the overwrite_keys temp table. */
export function keyChunks(
  sid: readonly number[],
  time: readonly EpochMicros[],
  rows: readonly number[],
): DuckDBDataChunk[] {
  return chunked(rows.length, KEY_TYPES, (chunk, start, end) => {
    const sids: number[] = [];
    const times: DuckDBTimestampValue[] = [];
    for (let i = start; i < end; i++) {
      const row = rows[i] as number;
      sids.push(sid[row] as number);
      times.push(ts(time[row] as number));
    }
    chunk.setColumns([sids, times]);
  });
}

export function seriesChunks(entries: readonly CatalogEntry[]): DuckDBDataChunk[] {
  return chunked(entries.length, SERIES_TYPES, (chunk, start, end) => {
    const rows = entries.slice(start, end);
    chunk.setColumns([
      rows.map((e) => e.id),
      rows.map((e) => e.database),
      rows.map((e) => e.measurement),
      rows.map((e) => JSON.stringify(e.tags)),
      rows.map((e) => e.field),
      rows.map((e) => e.type),
    ]);
  });
}

/** `ids[i]` is the id of `letters[i]`. */
export function deadLetterChunks(letters: readonly DeadLetter[], ids: readonly number[]): DuckDBDataChunk[] {
  return chunked(letters.length, DEAD_LETTER_TYPES, (chunk, start, end) => {
    const rows = letters.slice(start, end);
    chunk.setColumns([
      ids.slice(start, end).map((id) => BigInt(id)),
      rows.map((l) => ts(l.time)),
      rows.map((l) => l.source),
      rows.map((l) => l.clientId),
      rows.map((l) => l.topic),
      rows.map((l) => blobValue(l.payload)),
      rows.map((l) => l.payloadSize),
      rows.map((l) => l.rule),
      rows.map((l) => l.code),
      rows.map((l) => l.message),
      rows.map((l) => l.payload.length),
    ]);
  });
}

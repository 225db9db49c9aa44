import { ColumnRows, rowsOf } from '../../query/influxql/column-rows.js';
import type { Value } from '../../query/influxql/evaluate.js';
import type { StatementResult } from '../../query/influxql/execute.js';
import type { ResultSeries } from '../../query/influxql/select.js';
import { zoneOffsetMicros } from '../../query/influxql/timezone.js';
import { CHAR, JsonBytes, NUMBER_ROOM, writeNumber } from './json-bytes.js';

/**
 * The InfluxDB 1.x response bodies of /query: JSON (written directly for large answers), pretty JSON and
 * CSV, with times in the `epoch` unit or as RFC 3339.
 */

/** µs per unit of the `epoch` parameter. */
const EPOCH_UNITS: Readonly<Record<string, number>> = {
  ns: 0.001,
  n: 0.001,
  u: 1,
  µ: 1,
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let dayCache = { day: Number.NaN, prefix: '' };

/**
 * `YYYY-MM-DDTHH:MM:SS` of epoch seconds. A result has thousands of times on few days: the date part is
 * formatted once per day, the time of day with arithmetic (Date#toISOString per row was the largest cost of
 * a 1,440-bucket answer).
 */
function isoSeconds(seconds: number): string {
  const day = Math.floor(seconds / 86_400);
  if (day !== dayCache.day) {
    dayCache = { day, prefix: new Date(day * 86_400_000).toISOString().slice(0, 11) };
  }
  const inDay = seconds - day * 86_400;
  const h = Math.floor(inDay / 3600);
  const m = Math.floor((inDay % 3600) / 60);
  return `${dayCache.prefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[inDay % 60]}`;
}

/**
 * RFC 3339 with the fraction trimmed, as InfluxDB prints times (its RFC3339Nano); in a tz() zone, local
 * time with its offset (`2024-01-01T01:00:00+01:00`).
 */
export function formatTime(micros: number, timezone?: string): string {
  const zone = timezone === undefined ? 0 : zoneOffsetMicros(timezone, micros);
  const local = micros + zone;
  const seconds = Math.floor(local / 1_000_000);
  const iso = isoSeconds(seconds);
  const frac = local - seconds * 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  if (zone === 0) return `${iso}${fraction}Z`;
  const minutes = Math.abs(zone) / 60_000_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${iso}${fraction}${zone < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** How a statement's times are written: in the `epoch` unit, or RFC 3339 (in its tz() zone). */
function timeFormat(epoch: string | undefined, timezone: string | undefined): (t: Value) => Value {
  const unit = epoch === undefined ? undefined : EPOCH_UNITS[epoch];
  return (t) =>
    typeof t !== 'number' ? t : unit === undefined ? formatTime(t, timezone) : Math.floor(t / unit);
}

/** Results in InfluxDB's shape: `time` columns in the `epoch` unit or RFC 3339, SHOW answers without name. */
export function shapeResults(results: StatementResult[], epoch: string | undefined): unknown[] {
  return results.map(({ timezone, ...r }) => {
    const time = timeFormat(epoch, timezone);
    const shape = (s: ResultSeries) => {
      const rows = rowsOf(s.values);
      return shapeSeries(s, timed(s) ? rows.map(([t, ...rest]) => [time(t ?? null), ...rest]) : rows);
    };
    return { ...r, ...(r.series ? { series: r.series.map(shape) } : {}) };
  });
}

/** Whether a series' first column is `time` (SHOW answers have none). */
function timed(s: ResultSeries): boolean {
  return s.columns[0] === 'time';
}

/** A series as InfluxDB writes it: meta statements that are not about a measurement have no name. */
function shapeSeries(s: ResultSeries, values: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.name !== '') out.name = s.name;
  if (s.tags !== undefined) out.tags = s.tags;
  out.columns = s.columns;
  out.values = values;
  return out;
}

/** Row arrays as a JSON array. */
function writeArrayRows(w: JsonBytes, values: Value[][], time: (t: Value) => Value, timed: boolean): void {
  w.byte(CHAR.open);
  for (let i = 0; i < values.length; i++) {
    const row = values[i] as Value[];
    if (i > 0) w.byte(CHAR.comma);
    w.byte(CHAR.open);
    w.value(timed ? time(row[0] ?? null) : row[0]);
    for (let c = 1; c < row.length; c++) {
      w.byte(CHAR.comma);
      w.value(row[c]);
    }
    w.byte(CHAR.close);
  }
  w.byte(CHAR.close);
}

/** The `[<time>,` of each bucket start of a statement's GROUP BY time, in one buffer. */
interface Prefixes {
  readonly of: readonly number[];
  readonly time: (t: Value) => Value;
  readonly bytes: Buffer;
  /** Bucket i's prefix is bytes[offsets[i], offsets[i + 1]). */
  readonly offsets: Int32Array;
  /** The longest prefix's length. */
  readonly longest: number;
}

function prefixesOf(starts: readonly number[], time: (t: Value) => Value): Prefixes {
  const w = new JsonBytes(starts.length * 24 + 64);
  const offsets = new Int32Array(starts.length + 1);
  let longest = 0;
  for (let i = 0; i < starts.length; i++) {
    offsets[i] = w.length;
    w.byte(CHAR.open);
    w.value(time(starts[i] as number));
    w.byte(CHAR.comma);
    longest = Math.max(longest, w.length - (offsets[i] as number));
  }
  offsets[starts.length] = w.length;
  return { of: starts, time, bytes: Buffer.concat(w.take()), offsets, longest };
}

/**
 * Rows held as columns as a JSON array, read straight from the columns. Every series of a GROUP BY time
 * answer has the same bucket starts, so their `[<time>,` are written once per statement and copied.
 */
function writeColumnRows(w: JsonBytes, values: ColumnRows, prefixes: Prefixes): void {
  const { at, cols } = values;
  const numbers = cols.filter((c): c is Float64Array => c instanceof Float64Array);
  if (numbers.length === cols.length) {
    writeNumberRows(w, at, numbers, prefixes);
    return;
  }
  const { bytes, offsets } = prefixes;
  w.byte(CHAR.open);
  for (let k = 0; k < at.length; k++) {
    const i = at[k] as number;
    if (k > 0) w.byte(CHAR.comma);
    w.bytes(bytes, offsets[i], offsets[i + 1]);
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c] as Float64Array | readonly Value[];
      if (c > 0) w.byte(CHAR.comma);
      if (col instanceof Float64Array) w.number(col[i] as number);
      else w.value(col[i]);
    }
    w.byte(CHAR.close);
  }
  w.byte(CHAR.close);
}

/** writeColumnRows of number columns only (the wide answers): each row written in place, room made once. */
function writeNumberRows(
  w: JsonBytes,
  at: Int32Array,
  cols: readonly Float64Array[],
  { bytes, offsets, longest }: Prefixes,
): void {
  const room = 2 + longest + cols.length * (NUMBER_ROOM + 1);
  const source = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let viewOf: Buffer | undefined;
  let view = source;
  w.byte(CHAR.open);
  for (let k = 0; k < at.length; k++) {
    const i = at[k] as number;
    const buf = w.reserve(room);
    let off = w.offset;
    if (k > 0) buf[off++] = CHAR.comma;
    if (buf !== viewOf) {
      viewOf = buf;
      view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    // The prefix four bytes at a time (a row's time is ~16 bytes; a byte loop was a third of the writing).
    const end = offsets[i + 1] as number;
    let b = offsets[i] as number;
    for (; b + 4 <= end; b += 4, off += 4) view.setUint32(off, source.getUint32(b));
    for (; b < end; b++) buf[off++] = bytes[b] as number;
    for (let c = 0; c < cols.length; c++) {
      if (c > 0) buf[off++] = CHAR.comma;
      off = writeNumber(buf, off, (cols[c] as Float64Array)[i] as number);
    }
    buf[off++] = CHAR.close;
    w.offset = off;
  }
  w.byte(CHAR.close);
}

/**
 * The same bytes as JSON.stringify({ results: shapeResults(…) }), written faster and piece by piece: a
 * 1,000-series answer in 1-minute buckets has 1.44 million rows, and copying each row to shape it, then
 * serializing it generically, took longer than computing it. Everything is written as bytes (json-bytes.ts):
 * the envelope by hand in shapeSeries' key order, each series' rows straight from its columns, and a buffer
 * is handed on whenever PIECE_BYTES are full.
 */
export function* jsonPieces(results: StatementResult[], epoch: string | undefined): Generator<Buffer> {
  const w = new JsonBytes(PIECE_BYTES);
  let prefixes: Prefixes | undefined;
  w.text('{"results":[');
  for (const [k, r] of results.entries()) {
    if (k > 0) w.byte(CHAR.comma);
    w.text('{"statement_id":');
    w.number(r.statement_id);
    if (r.series !== undefined) {
      const time = timeFormat(epoch, r.timezone);
      w.text(',"series":[');
      for (const [j, s] of r.series.entries()) {
        w.text(j > 0 ? ',{' : '{');
        if (s.name !== '') w.text(`"name":${JSON.stringify(s.name)},`);
        if (s.tags !== undefined) w.text(`"tags":${JSON.stringify(s.tags)},`);
        w.text(`"columns":${JSON.stringify(s.columns)},"values":`);
        const values = s.values;
        if (values instanceof ColumnRows && timed(s)) {
          if (prefixes?.of !== values.time || prefixes.time !== time)
            prefixes = prefixesOf(values.time, time);
          writeColumnRows(w, values, prefixes);
        } else writeArrayRows(w, rowsOf(values), time, timed(s));
        w.byte(CHAR.closeBrace);
        yield* w.takeFull();
      }
      w.byte(CHAR.close);
    }
    if (r.error !== undefined) w.text(`,"error":${JSON.stringify(r.error)}`);
    w.byte(CHAR.closeBrace);
  }
  w.text(']}');
  yield* w.take();
}

/** The size of the buffers jsonPieces hands on. */
const PIECE_BYTES = 256 * 1024;

/** How many rows the results hold. */
export function rowCount(results: readonly StatementResult[]): number {
  let n = 0;
  for (const r of results) for (const s of r.series ?? []) n += s.values.length;
  return n;
}

export function csvOf(results: unknown[]): string {
  const lines: string[] = [];
  let header = '';
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  for (const r of results as Array<{
    series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
  }>) {
    for (const s of r.series ?? []) {
      const h = ['name', 'tags', ...s.columns].join(',');
      if (h !== header) {
        if (lines.length > 0) lines.push('');
        lines.push(h);
        header = h;
      }
      const tags = s.tags
        ? Object.entries(s.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '';
      for (const row of s.values) lines.push([cell(s.name), cell(tags), ...row.map(cell)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

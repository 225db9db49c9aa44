import type { EpochMicros, Point } from '../../core/point.js';
import { parseLineProtocol } from '../line-protocol/parse.js';
import { parseRfc3339Micros, pointsJson, pointsLines } from './formats.js';

/**
 * What a forwarding output sends on: the points a rule accepted (for `json` and `line` outputs), or the
 * message as it arrived (for `raw` outputs). `topic` and `clientId` on points items are optional origin
 * details: they only make a dead letter of a failed delivery findable by topic.
 */
export type ForwardItem =
  | {
      readonly kind: 'points';
      readonly points: readonly Point[];
      readonly topic?: string;
      readonly clientId?: string;
    }
  | {
      readonly kind: 'raw';
      readonly topic: string;
      readonly clientId: string;
      readonly time: EpochMicros;
      readonly payload: Buffer;
    };

export type WireFormat = 'json' | 'line' | 'raw';

/**
 * A queue record read back, without parsing its body: `body` is already in the output's wire format (a
 * JSON fragment of point objects, line-protocol lines, or the raw payload), so a batch is sent by
 * concatenating bodies. The work of formatting is done once, at enqueue.
 */
export interface QueuedRecord {
  readonly format: WireFormat;
  /** When it was queued: retryFor is measured from here. */
  readonly enqueuedAtMs: number;
  /** Points (json, line) or 1 (raw): what batchMaxItems counts. */
  readonly size: number;
  readonly topic: string;
  readonly clientId: string;
  /** raw: the message's arrival time. */
  readonly time: EpochMicros;
  /** line: the points' database, which line protocol does not carry. */
  readonly database: string;
  readonly body: Buffer;
}

const FORMAT_CODES: Readonly<Record<WireFormat, number>> = { json: 1, raw: 2, line: 3 };
const FORMATS: readonly (WireFormat | undefined)[] = [undefined, 'json', 'raw', 'line'];

function writeString(buf: Buffer, at: number, s: string, len: number): number {
  const next = buf.writeUInt32LE(len, at);
  buf.write(s, next, len, 'utf8');
  return next + len;
}

/**
 * The queue record of an item for an output of `format`, or why the item cannot be sent in it (a point
 * line protocol cannot carry). Layout: u8 format, f64 enqueuedAtMs, u32 size, u32+utf8 topic, u32+utf8
 * clientId, then for raw f64 time, for line u32+utf8 database, then the body.
 */
export function encodeRecord(
  item: ForwardItem,
  format: WireFormat,
  enqueuedAtMs: number,
): Buffer | { readonly reason: string } {
  let body: Buffer;
  let extra = 0;
  let database = '';
  if (item.kind === 'raw') {
    body = item.payload;
    extra = 8;
  } else if (format === 'line') {
    const lines = pointsLines(item.points);
    if (typeof lines !== 'string') return lines;
    body = Buffer.from(lines, 'utf8');
    database = item.points[0]?.database ?? '';
    extra = 4 + Buffer.byteLength(database, 'utf8');
  } else {
    body = Buffer.from(pointsJson(item.points), 'utf8');
  }
  const topic = item.topic ?? '';
  const clientId = item.clientId ?? '';
  const topicLen = Buffer.byteLength(topic, 'utf8');
  const clientLen = Buffer.byteLength(clientId, 'utf8');
  const buf = Buffer.allocUnsafe(1 + 8 + 4 + 4 + topicLen + 4 + clientLen + extra + body.length);
  let at = buf.writeUInt8(FORMAT_CODES[format], 0);
  at = buf.writeDoubleLE(enqueuedAtMs, at);
  at = buf.writeUInt32LE(item.kind === 'raw' ? 1 : item.points.length, at);
  at = writeString(buf, at, topic, topicLen);
  at = writeString(buf, at, clientId, clientLen);
  if (item.kind === 'raw') at = buf.writeDoubleLE(item.time, at);
  else if (format === 'line') at = writeString(buf, at, database, extra - 4);
  body.copy(buf, at);
  return buf;
}

/** Throws a plain Error for a record this version cannot read (its CRC held, so it is not a torn write). */
export function readRecord(record: Buffer): QueuedRecord {
  const format = FORMATS[record[0] ?? 0];
  if (format === undefined) throw new Error(`queue record of unknown format ${record[0]}`);
  let at = 1;
  const need = (n: number) => {
    if (at + n > record.length) throw new Error('queue record is shorter than its headers say');
  };
  const str = (): string => {
    need(4);
    const len = record.readUInt32LE(at);
    need(4 + len);
    at += 4 + len;
    return record.toString('utf8', at - len, at);
  };
  need(12);
  const enqueuedAtMs = record.readDoubleLE(at);
  const size = record.readUInt32LE(at + 8);
  at += 12;
  const topic = str();
  const clientId = str();
  let time = 0;
  let database = '';
  if (format === 'raw') {
    need(8);
    time = record.readDoubleLE(at);
    at += 8;
  } else if (format === 'line') {
    database = str();
  }
  return { format, enqueuedAtMs, size, topic, clientId, time, database, body: record.subarray(at) };
}

/**
 * The item a record was made from, for a dead letter (the slow path: it parses the body back). Throws
 * a plain Error when the body does not parse.
 */
export function itemOf(rec: QueuedRecord): ForwardItem {
  if (rec.format === 'raw') {
    // A copy: the body is a view into a read chunk that holds a whole batch.
    return {
      kind: 'raw',
      topic: rec.topic,
      clientId: rec.clientId,
      time: rec.time,
      payload: Buffer.from(rec.body),
    };
  }
  let points: Point[];
  if (rec.format === 'json') {
    const docs = JSON.parse(`[${rec.body.toString('utf8')}]`) as Array<
      Omit<Point, 'time'> & { time: string }
    >;
    points = docs.map((d) => ({ ...d, time: parseRfc3339Micros(d.time) }));
  } else {
    const parsed = parseLineProtocol(rec.body);
    if (parsed.errors.length > 0) throw new Error(`queue record: ${parsed.errors[0]?.message}`);
    points = parsed.points.map((p) => ({
      database: rec.database,
      measurement: p.measurement,
      tags: p.tags,
      fields: p.fields,
      time: p.time ?? 0,
    }));
  }
  return {
    kind: 'points',
    points,
    ...(rec.topic !== '' ? { topic: rec.topic } : {}),
    ...(rec.clientId !== '' ? { clientId: rec.clientId } : {}),
  };
}

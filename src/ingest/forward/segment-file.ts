import { open, readFile, rename, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

/**
 * The on-disk layout of a forwarding queue. A segment file is an 8-byte magic followed by records, each
 * `u32 length | u32 crc32(length bytes + data) | data` (little-endian). The CRC covers the length too, so
 * a torn length field is caught as surely as a torn body. The `cursor` file names the first undelivered
 * record as JSON `{"segment":n,"offset":n}` and is replaced by rename, never written in place.
 */
export const MAGIC = Buffer.from('SHFWDQ01', 'latin1');
export const HEADER_BYTES = MAGIC.length;
export const FRAME_BYTES = 8;
const SEGMENT_NAME = /^(\d{16})\.seg$/;
const CURSOR = 'cursor';

export function segmentName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.seg`;
}

export function segmentSeqOf(fileName: string): number | undefined {
  const m = SEGMENT_NAME.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** For Node 20 before 20.15, which has no zlib.crc32; same polynomial and chaining. */
function crc32Portable(data: Uint8Array, value = 0): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++)
    c = (CRC_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlib.crc32 === 'function' ? zlib.crc32 : crc32Portable;

/** The CRC of a record: over its 4 length bytes, then its data. */
export function recordCrc(lengthBytes: Uint8Array, data: Uint8Array): number {
  return crc32(data, crc32(lengthBytes));
}

/** The 8-byte frame that precedes `data` on disk. */
export function frameOf(data: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_BYTES);
  frame.writeUInt32LE(data.length, 0);
  frame.writeUInt32LE(recordCrc(frame.subarray(0, 4), data), 4);
  return frame;
}

/**
 * Reads the record at `at` in `buf`: its data, or why it is not a whole valid record ('short' when `buf`
 * ends inside it; `need` is then the bytes to read from `at` to have all of it).
 */
export function recordAt(
  buf: Buffer,
  at: number,
): { readonly data: Buffer } | { readonly bad: 'short' | 'zero' | 'crc'; readonly need: number } {
  if (at + FRAME_BYTES > buf.length) return { bad: 'short', need: FRAME_BYTES };
  const len = buf.readUInt32LE(at);
  // Records are never empty: zeros here are a preallocated or torn tail, not a record.
  if (len === 0) return { bad: 'zero', need: FRAME_BYTES };
  if (at + FRAME_BYTES + len > buf.length) return { bad: 'short', need: FRAME_BYTES + len };
  const data = buf.subarray(at + FRAME_BYTES, at + FRAME_BYTES + len);
  if (recordCrc(buf.subarray(at, at + 4), data) !== buf.readUInt32LE(at + 4)) {
    return { bad: 'crc', need: FRAME_BYTES + len };
  }
  return { data };
}

export interface ScannedSegment {
  /** Bytes of the valid prefix (header plus whole records). */
  readonly size: number;
  readonly count: number;
  /** Bytes removed from the end: a torn write, or damage. */
  readonly truncated: number;
  /** The greatest record boundary at or before the wanted cursor offset, and the records before it. */
  readonly headOffset: number;
  readonly headIndex: number;
}

/**
 * Validates a segment and cuts it after its last whole record, so that a write torn by a crash (kill -9,
 * power loss) is dropped instead of being read as data. Returns undefined for a file that is not a segment
 * at all (moved aside as `.corrupt`) or holds not even a complete header (removed: its creation was torn).
 */
export async function scanSegment(
  dir: string,
  seq: number,
  cursorOffset: number | undefined,
): Promise<ScannedSegment | { readonly unusable: 'torn-header' | 'bad-magic' }> {
  const path = join(dir, segmentName(seq));
  const buf = await readFile(path);
  if (buf.length < HEADER_BYTES || !buf.subarray(0, HEADER_BYTES).equals(MAGIC)) {
    const partialMagic = buf.length < HEADER_BYTES && MAGIC.subarray(0, buf.length).equals(buf);
    if (partialMagic) return { unusable: 'torn-header' };
    await rename(path, `${path}.corrupt`);
    return { unusable: 'bad-magic' };
  }
  let at = HEADER_BYTES;
  let count = 0;
  let headOffset = HEADER_BYTES;
  let headIndex = 0;
  for (;;) {
    const rec = recordAt(buf, at);
    if (!('data' in rec)) break;
    at += FRAME_BYTES + rec.data.length;
    count++;
    if (cursorOffset !== undefined && at <= cursorOffset) {
      headOffset = at;
      headIndex = count;
    }
  }
  if (at < buf.length) await truncate(path, at);
  return { size: at, count, truncated: buf.length - at, headOffset, headIndex };
}

export interface Cursor {
  readonly segment: number;
  readonly offset: number;
}

/** The committed cursor, or undefined when there is none or it is unreadable (then everything is resent). */
export async function readCursor(dir: string): Promise<Cursor | undefined | { readonly invalid: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const doc = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(doc.segment) && Number.isSafeInteger(doc.offset)) {
      return { segment: doc.segment as number, offset: doc.offset as number };
    }
  } catch {
    // Reported below, like any other malformed content.
  }
  return { invalid: text.slice(0, 80) };
}

/** Atomic: a crash leaves either the old cursor or the new one, both whole. */
export async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const tmp = join(dir, `${CURSOR}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify({ segment: cursor.segment, offset: cursor.offset }));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CURSOR));
}

/** Makes a new or renamed directory entry durable (Linux needs the directory itself fsync'd for that). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type RecoveredHead, recoverSegments } from './recover.js';
import {
  FRAME_BYTES,
  frameOf,
  HEADER_BYTES,
  MAGIC,
  recordAt,
  segmentName,
  syncDir,
  writeCursor,
} from './segment-file.js';

export interface DiskQueueOptions {
  readonly dir: string;
  /** Bytes of undelivered records (8 bytes of framing each included) above which append refuses. */
  readonly maxBytes: number;
  /** A segment is closed and a new one started past this size; default maxBytes/8 within 64KiB..16MiB. */
  readonly segmentBytes?: number;
  readonly logger: Logger;
}

export interface QueuePosition {
  readonly segment: number;
  readonly offset: number;
}

export interface QueueRecord {
  readonly data: Buffer;
  /** Where the next record starts: ack(record) moves the delivery head here. */
  readonly end: QueuePosition;
  /** Records of its segment up to and including this one. */
  readonly index: number;
}

interface Segment {
  readonly seq: number;
  /** Durable bytes: header plus whole records written and fsync'd. */
  size: number;
  count: number;
}

type Head = RecoveredHead;

interface Group {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiter {
  readonly min: number;
  done(ok: boolean): void;
}

const READ_CHUNK = 256 * 1024;

function group(): Group {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A durable FIFO of byte records in `dir`: append-only segment files, a committed read cursor, and
 * segments deleted once every record in them was acknowledged.
 *
 * Guarantees. `append` resolves only after its record is written and fsync'd (appends made while one group
 * is being written go together in the next group: one fsync for many records), so a resolved append
 * survives kill -9 and power loss. Records are read in append order. The cursor is persisted after `ack`
 * without being waited for, so after a crash the records acknowledged since the last persisted cursor are
 * read again: delivery is at-least-once. A record torn by a crash is cut off when the queue is opened.
 */
export class DiskQueue {
  readonly #segments: Segment[];
  #head: Head;
  #records: number;
  #bytes: number;
  #writer: FileHandle | undefined;
  #mustRoll = true;
  readonly #readers = new Map<number, FileHandle>();

  #pending: Buffer[] = [];
  #pendingCount = 0;
  #pendingBytes = 0;
  #group: Group | undefined;
  #flushScheduled = false;
  /** Serialises writes and segment changes. */
  #io: Promise<void> = Promise.resolve();
  #ioBusy = false;

  #persisting: Promise<void> | undefined;
  #persistAgain = false;
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  private constructor(
    private readonly opts: DiskQueueOptions & { readonly segmentBytes: number },
    segments: Segment[],
    head: Head,
  ) {
    this.#segments = segments;
    this.#head = head;
    let records = 0 - head.index;
    let bytes = HEADER_BYTES - head.offset;
    for (const s of segments) {
      if (s.seq < head.seq) continue;
      records += s.count;
      bytes += s.size - HEADER_BYTES;
    }
    this.#records = records;
    this.#bytes = bytes;
  }

  /** Opens (or creates) the queue: drops torn tails, deletes delivered segments, starts a new segment. */
  static async open(options: DiskQueueOptions): Promise<DiskQueue> {
    const { dir, logger } = options;
    await mkdir(dir, { recursive: true });
    const segmentBytes =
      options.segmentBytes ??
      Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(options.maxBytes / 8)));

    const { segments, head } = await recoverSegments(dir, logger);
    const queue = new DiskQueue(
      { ...options, segmentBytes },
      segments.map((seg) => ({ ...seg })),
      head,
    );
    await queue.#roll(Math.max(head.seq - 1, segments[segments.length - 1]?.seq ?? 0));
    return queue;
  }

  /** Undelivered records (durable ones; appends still being written are not counted yet). */
  get records(): number {
    return this.#records;
  }

  /** Undelivered bytes including framing and appends being written: what maxBytes bounds. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues a record. Rejects at once with FWD_QUEUE_FULL when it does not fit in maxBytes; otherwise
   * resolves once the record is durable, or rejects with the I/O error that kept it from being written.
   */
  append(data: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`forward queue ${this.opts.dir} is closed`));
    const bytes = FRAME_BYTES + data.length;
    if (data.length === 0) return Promise.reject(new Error('a queue record cannot be empty'));
    if (this.#bytes + bytes > this.opts.maxBytes) {
      return Promise.reject(
        new AppError(
          'FWD_QUEUE_FULL',
          bytes > this.opts.maxBytes
            ? `the item (${bytes} bytes) is larger than queueMaxBytes (${this.opts.maxBytes})`
            : `the queue holds ${this.#bytes} bytes of undelivered items; queueMaxBytes is ${this.opts.maxBytes}`,
        ),
      );
    }
    this.#pending.push(frameOf(data), data);
    this.#pendingCount++;
    this.#pendingBytes += bytes;
    this.#bytes += bytes;
    this.#group ??= group();
    this.#scheduleFlush();
    return this.#group.promise;
  }

  /** Up to maxRecords durable records from the delivery head, without consuming them. */
  async read(maxRecords: number): Promise<QueueRecord[]> {
    const out: QueueRecord[] = [];
    let { seq, offset, index } = this.#head;
    while (out.length < maxRecords && !this.#closed) {
      const seg = this.#segment(seq);
      if (seg === undefined) break;
      if (offset >= seg.size) {
        const next = this.#segmentAfter(seq);
        if (next === undefined) break;
        seq = next.seq;
        offset = HEADER_BYTES;
        index = 0;
        continue;
      }
      let chunk = await this.#readAt(seq, offset, Math.min(seg.size - offset, READ_CHUNK));
      let at = 0;
      let damaged = false;
      while (out.length < maxRecords && at < chunk.length) {
        const rec = recordAt(chunk, at);
        if ('data' in rec) {
          at += FRAME_BYTES + rec.data.length;
          index++;
          out.push({ data: rec.data, end: { segment: seq, offset: offset + at }, index });
          continue;
        }
        if (rec.bad === 'short' && offset + at + rec.need <= seg.size) {
          if (at > 0) break;
          // One record larger than a read chunk.
          chunk = await this.#readAt(seq, offset, rec.need);
          continue;
        }
        damaged = true;
        break;
      }
      offset += at;
      if (damaged) await this.#dropDamaged(seq, offset, index);
    }
    return out;
  }

  /** Marks every record up to and including `upTo` (from the last read) delivered. */
  ack(upTo: QueueRecord): void {
    const to = upTo.end;
    const head = this.#head;
    if (to.segment < head.seq || (to.segment === head.seq && to.offset <= head.offset)) return;
    let count = 0;
    let bytes = 0;
    for (const s of this.#segments) {
      if (s.seq < head.seq) continue;
      if (s.seq > to.segment) break;
      const atHead = s.seq === head.seq;
      const atEnd = s.seq === to.segment;
      count += (atEnd ? upTo.index : s.count) - (atHead ? head.index : 0);
      bytes += (atEnd ? to.offset : s.size) - (atHead ? head.offset : HEADER_BYTES);
    }
    this.#records -= count;
    this.#bytes -= bytes;
    this.#head = { seq: to.segment, offset: to.offset, index: upTo.index };
    void this.#persistCursor();
  }

  /**
   * Resolves true once at least `min` records are durable and undelivered; false after `timeoutMs`, when
   * `signal` aborts, or when the queue closes.
   */
  waitFor(min: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#records >= min) return Promise.resolve(true);
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => waiter.done(false);
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => waiter.done(false), timeoutMs) : undefined;
      const waiter: Waiter = {
        min,
        done: (ok) => {
          if (!this.#waiters.delete(waiter)) return;
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Writes what was appended, persists the cursor, closes the files. Further appends reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#pending.length > 0 || this.#ioBusy) {
      if (this.#pending.length > 0 && !this.#ioBusy) this.#flushNow();
      await this.#io;
    }
    this.#closed = true;
    for (const w of [...this.#waiters]) w.done(false);
    await this.#persistCursor();
    await this.#writer?.close();
    this.#writer = undefined;
    for (const fh of this.#readers.values()) await fh.close();
    this.#readers.clear();
  }

  #segment(seq: number): Segment | undefined {
    return this.#segments.find((s) => s.seq === seq);
  }

  #segmentAfter(seq: number): Segment | undefined {
    return this.#segments.find((s) => s.seq > seq);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#ioBusy) return;
    this.#flushScheduled = true;
    // setImmediate lets every enqueue made from the same I/O callbacks join this group.
    setImmediate(() => {
      this.#flushScheduled = false;
      if (!this.#ioBusy && this.#pending.length > 0) this.#flushNow();
    });
  }

  #flushNow(): void {
    this.#ioBusy = true;
    this.#io = this.#flush().finally(() => {
      this.#ioBusy = false;
      if (this.#pending.length > 0) this.#scheduleFlush();
    });
  }

  async #flush(): Promise<void> {
    const parts = this.#pending;
    const count = this.#pendingCount;
    const bytes = this.#pendingBytes;
    const done = this.#group as Group;
    this.#pending = [];
    this.#pendingCount = 0;
    this.#pendingBytes = 0;
    this.#group = undefined;
    try {
      let seg = this.#segments[this.#segments.length - 1];
      if (
        this.#mustRoll ||
        seg === undefined ||
        (seg.size > HEADER_BYTES && seg.size + bytes > this.opts.segmentBytes)
      ) {
        await this.#roll(seg?.seq ?? this.#head.seq - 1);
        seg = this.#segments[this.#segments.length - 1] as Segment;
      }
      const writer = this.#writer as FileHandle;
      const buf = Buffer.concat(parts, bytes);
      let written = 0;
      while (written < buf.length) {
        const r = await writer.write(buf, written, buf.length - written, seg.size + written);
        written += r.bytesWritten;
      }
      await writer.datasync();
      seg.size += bytes;
      seg.count += count;
      this.#records += count;
      done.resolve();
      for (const w of [...this.#waiters]) if (this.#records >= w.min) w.done(true);
    } catch (err) {
      this.#bytes -= bytes;
      // After a failed write or fsync the file's tail is unknown (and a failed fsync may have dropped
      // pages): continue in a fresh segment; this one is read only up to its last durable record.
      this.#mustRoll = true;
      this.opts.logger.error({ err, dir: this.opts.dir }, 'forward queue: could not write to disk');
      done.reject(err);
    }
  }

  /** Starts segment `after + 1` and makes it the one appended to. */
  async #roll(after: number): Promise<void> {
    const seq = after + 1;
    const path = join(this.opts.dir, segmentName(seq));
    // 'w': a file of this name can only be left over from a failed roll, and holds no records.
    const fh = await open(path, 'w');
    try {
      await fh.write(MAGIC, 0, HEADER_BYTES, 0);
      await fh.datasync();
      await syncDir(this.opts.dir);
    } catch (err) {
      await fh.close();
      throw err;
    }
    const old = this.#writer;
    this.#writer = fh;
    this.#segments.push({ seq, size: HEADER_BYTES, count: 0 });
    this.#mustRoll = false;
    await old?.close();
  }

  async #readAt(seq: number, offset: number, length: number): Promise<Buffer> {
    let fh = this.#readers.get(seq);
    if (fh === undefined) {
      fh = await open(join(this.opts.dir, segmentName(seq)), 'r');
      this.#readers.set(seq, fh);
    }
    // A fresh buffer per read: records handed out are views into it and must not change under the caller.
    const buf = Buffer.allocUnsafe(length);
    let n = 0;
    while (n < length) {
      const { bytesRead } = await fh.read(buf, n, length - n, offset + n);
      if (bytesRead === 0)
        throw new Error(`forward queue segment ${segmentName(seq)} is shorter than expected`);
      n += bytesRead;
    }
    return buf;
  }

  /**
   * A record that was whole when written (or when the queue was opened) no longer is: the disk damaged
   * it. The rest of that segment cannot be framed any more; it is given up, loudly, so that delivery goes
   * on with the next segment instead of stopping for good.
   */
  async #dropDamaged(seq: number, offset: number, index: number): Promise<void> {
    if (this.#segments[this.#segments.length - 1]?.seq === seq) {
      // The damaged segment is being appended to: move appends to a new one first, between two groups.
      while (this.#ioBusy) await this.#io;
      this.#ioBusy = true;
      try {
        await this.#roll(seq);
      } finally {
        this.#ioBusy = false;
        if (this.#pending.length > 0) this.#scheduleFlush();
      }
    }
    const seg = this.#segment(seq);
    if (seg === undefined || offset >= seg.size) return;
    const lostRecords = seg.count - index;
    const lostBytes = seg.size - offset;
    seg.size = offset;
    seg.count = index;
    this.#records -= lostRecords;
    this.#bytes -= lostBytes;
    this.opts.logger.error(
      { dir: this.opts.dir, file: segmentName(seq), offset, lostRecords, lostBytes },
      'forward queue: a record on disk is damaged (CRC mismatch); the rest of its segment is lost',
    );
  }

  #persistCursor(): Promise<void> {
    if (this.#persisting !== undefined) {
      this.#persistAgain = true;
      return this.#persisting;
    }
    this.#persisting = (async () => {
      do {
        this.#persistAgain = false;
        const head = this.#head;
        await writeCursor(this.opts.dir, { segment: head.seq, offset: head.offset });
        await this.#deleteBefore(head);
      } while (this.#persistAgain);
    })()
      .catch((err: unknown) => {
        this.opts.logger.error(
          { err, dir: this.opts.dir },
          `forward queue: could not save the delivery cursor (${errorMessage(err)}); delivered items may be sent again after a restart`,
        );
      })
      .finally(() => {
        this.#persisting = undefined;
      });
    return this.#persisting;
  }

  /** Deletes the segments wholly before the persisted head: each was delivered to the end. */
  async #deleteBefore(head: Head): Promise<void> {
    const last = this.#segments[this.#segments.length - 1];
    while (this.#segments.length > 0) {
      const s = this.#segments[0] as Segment;
      const done = s.seq < head.seq || (s.seq === head.seq && head.offset >= s.size && s !== last);
      if (!done || s === last) return;
      this.#segments.shift();
      const reader = this.#readers.get(s.seq);
      this.#readers.delete(s.seq);
      await reader?.close();
      await unlink(join(this.opts.dir, segmentName(s.seq)));
      if (s.seq === this.#head.seq) {
        const next = this.#segments[0] as Segment;
        this.#head = { seq: next.seq, offset: HEADER_BYTES, index: 0 };
      }
    }
  }
}

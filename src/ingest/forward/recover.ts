import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { HEADER_BYTES, readCursor, scanSegment, segmentName, segmentSeqOf } from './segment-file.js';

export interface RecoveredSegment {
  readonly seq: number;
  readonly size: number;
  readonly count: number;
}

export interface RecoveredHead {
  readonly seq: number;
  readonly offset: number;
  /** Records of the head segment before `offset`. */
  readonly index: number;
}

/**
 * Brings a queue directory back to a consistent state after whatever ended the last run (a clean stop,
 * kill -9, power loss): reads the cursor, deletes delivered and empty segments, cuts every segment after
 * its last whole record, and finds the first undelivered record. Problems are logged, never thrown, except
 * I/O errors of the directory itself.
 */
export async function recoverSegments(
  dir: string,
  logger: Logger,
): Promise<{ segments: RecoveredSegment[]; head: RecoveredHead }> {
  let cursor = await readCursor(dir);
  if (cursor !== undefined && 'invalid' in cursor) {
    logger.warn(
      { dir, content: cursor.invalid },
      'forward queue cursor is unreadable; everything queued is delivered again',
    );
    cursor = undefined;
  }
  const seqs = (await readdir(dir))
    .map(segmentSeqOf)
    .filter((s): s is number => s !== undefined)
    .sort((a, b) => a - b);

  const segments: RecoveredSegment[] = [];
  let head: RecoveredHead | undefined;
  for (const seq of seqs) {
    if (cursor !== undefined && seq < cursor.segment) {
      // Delivered; left behind by a crash between persisting the cursor and deleting the file.
      await unlink(join(dir, segmentName(seq)));
      continue;
    }
    const atCursor = cursor !== undefined && seq === cursor.segment;
    const scanned = await scanSegment(dir, seq, atCursor ? cursor?.offset : undefined);
    if ('unusable' in scanned) {
      if (scanned.unusable === 'torn-header') await unlink(join(dir, segmentName(seq)));
      else
        logger.error({ dir, file: segmentName(seq) }, 'not a forward queue segment; moved aside as .corrupt');
      continue;
    }
    const isLast = seq === seqs[seqs.length - 1];
    if (scanned.truncated > 0) {
      // At the end of the last segment this is the expected trace of a crash mid-write; anywhere else
      // it is damage, and the records after it are gone.
      const log = isLast ? logger.warn.bind(logger) : logger.error.bind(logger);
      log(
        { dir, file: segmentName(seq), bytes: scanned.truncated },
        isLast
          ? 'forward queue: removed a record torn by a crash (it was never acknowledged as queued)'
          : 'forward queue: a damaged segment was cut; the records after the damage are lost',
      );
    }
    if (atCursor && cursor !== undefined && scanned.headOffset !== cursor.offset) {
      logger.warn(
        { dir, cursor, boundary: scanned.headOffset },
        'forward queue cursor is not at a record boundary; resuming from the one before it',
      );
    }
    if (scanned.count === 0 || (atCursor && scanned.headIndex === scanned.count)) {
      // Nothing to deliver in it: without this, every restart with an idle output would leave a file.
      await unlink(join(dir, segmentName(seq)));
      continue;
    }
    segments.push({ seq, size: scanned.size, count: scanned.count });
    if (atCursor) head = { seq, offset: scanned.headOffset, index: scanned.headIndex };
  }
  const first = segments[0];
  if (head === undefined) {
    head =
      first !== undefined
        ? { seq: first.seq, offset: HEADER_BYTES, index: 0 }
        : { seq: (cursor?.segment ?? 0) + 1, offset: HEADER_BYTES, index: 0 };
  }
  return { segments, head };
}

/** The parser's public shapes; parse.ts re-exports them. */
import type { FieldValue } from '../../core/point.js';
import type { Precision } from './numbers.js';

export type { Precision } from './numbers.js';

export interface LpPoint {
  measurement: string;
  tags: Record<string, string>;
  /**
   * Integers (`12i`, `12u`) are JS numbers: exact within ±2^53, rounded to the nearest double beyond
   * (the int64 / uint64 range is still checked on the digits).
   */
  fields: Record<string, FieldValue>;
  /** Field names written as integers (`i`) or unsigned (`u`), so a serializer can round-trip them. Omit when none. */
  intFields?: Record<string, 'i' | 'u'>;
  /** Epoch microseconds (src/core/point.ts EpochMicros), or undefined when the line has no timestamp. */
  time: number | undefined;
}

export interface LineError {
  /** 1-based line of the input where the error is. */
  line: number;
  /** 1-based column in that line, in UTF-16 code units (bytes, for ASCII). */
  column: number;
  /** That line, cut to 200 characters. */
  text: string;
  message: string;
}

export interface ParseResult {
  points: LpPoint[];
  errors: LineError[];
  /** Non-blank, non-comment lines seen: points.length + errors.length. */
  lines: number;
}

export interface ParseOptions {
  /** Unit of the timestamps; default `ns`. */
  precision?: Precision;
  /** Longest line accepted, in UTF-8 bytes; default 64 KiB. */
  maxLineBytes?: number;
}

/**
 * InfluxDB line protocol parser: `measurement[,tag=v...] field=v[,field=v...] [timestamp]`, one point per
 * line, as InfluxDB 1.x/2.x (models/points.go) accept it. Bad lines do not stop the parse: they are listed
 * with line, column and reason, and the good lines still come out (InfluxDB's partial writes).
 *
 * It is a single pass over the string with charCodeAt: no regex, no split, and substrings only for the
 * names and values that end up in the points. That is what keeps it above a million lines a second.
 * It never throws, whatever the input.
 */
import { isAscii } from 'node:buffer';
import { LineParser } from './scanner.js';
import type { LineError, LpPoint, ParseOptions, ParseResult } from './types.js';

export type { LineError, LpPoint, ParseOptions, ParseResult, Precision } from './types.js';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** LineError.text is cut to this many characters. */
const TEXT_MAX = 200;

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const HASH = 35;

/** Parses line protocol text (a Buffer is read as UTF-8). */
export function parseLineProtocol(input: string | Buffer, opts?: ParseOptions): ParseResult {
  let text: string;
  let ascii = false;
  if (typeof input === 'string') text = input;
  else if (isAscii(input)) {
    // latin1 decodes ASCII to the same characters, without UTF-8 decoding work.
    text = input.toString('latin1');
    ascii = true;
  } else text = input.toString('utf8');
  const maxLineBytes = opts?.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const parser = new LineParser(text, opts?.precision ?? 'ns');
  const points: LpPoint[] = [];
  const errors: LineError[] = [];
  const n = text.length;
  let pos = 0;
  let lineNo = 1;
  while (pos < n) {
    let i = pos;
    let c = text.charCodeAt(i);
    while ((c === SPACE || c === TAB) && ++i < n) c = text.charCodeAt(i);
    if (i >= n) break;
    if (c === LF || (c === CR && (i + 1 === n || text.charCodeAt(i + 1) === LF))) {
      pos = c === LF ? i + 1 : i + 2;
      lineNo++;
      continue;
    }
    if (c === HASH) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      pos = nl + 1;
      lineNo++;
      continue;
    }
    parser.newlines = 0;
    const point = parser.line(i);
    if (point !== undefined) {
      const end = parser.end;
      if (end - pos > maxLineBytes / 3 && lineBytes(text, pos, end, ascii) > maxLineBytes) {
        errors.push(tooLong(text, pos, end, ascii, lineNo, maxLineBytes));
      } else points.push(point);
      lineNo += parser.newlines + 1;
      pos = end + 1;
      continue;
    }
    // Resume at the end of the physical line where the error is (or where an unterminated string began).
    const at = parser.errorAt;
    let end = text.indexOf('\n', at);
    if (end < 0) end = n;
    if (end - pos > maxLineBytes / 3 && lineBytes(text, pos, end, ascii) > maxLineBytes) {
      errors.push(tooLong(text, pos, end, ascii, lineNo, maxLineBytes));
    } else errors.push(lineError(text, pos, at, lineNo, parser.error));
    lineNo += countNewlines(text, pos, end) + 1;
    pos = end + 1;
  }
  return { points, errors, lines: points.length + errors.length };
}

function lineBytes(text: string, start: number, end: number, ascii: boolean): number {
  return ascii ? end - start : Buffer.byteLength(text.slice(start, end), 'utf8');
}

function tooLong(
  text: string,
  start: number,
  end: number,
  ascii: boolean,
  line: number,
  max: number,
): LineError {
  const bytes = lineBytes(text, start, end, ascii);
  return lineError(text, start, start, line, `line is ${bytes} bytes, longer than maxLineBytes (${max})`);
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** Locates `at` by line and column (a point's string values may span lines) and cuts out that line. */
function lineError(text: string, lineStart: number, at: number, lineNo: number, message: string): LineError {
  const before = at > lineStart ? text.lastIndexOf('\n', at - 1) : -1;
  const start = before >= lineStart ? before + 1 : lineStart;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  if (end > start && text.charCodeAt(end - 1) === CR) end--;
  return {
    line: lineNo + (start === lineStart ? 0 : countNewlines(text, lineStart, start)),
    column: at - start + 1,
    text: text.slice(start, Math.min(end, start + TEXT_MAX)),
    message,
  };
}

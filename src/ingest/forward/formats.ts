import type { EpochMicros, Point } from '../../core/point.js';
import { escapeName, escapeString } from '../line-protocol/escape.js';

/** One HTTP request body and its headers (besides auth and the output's own headers). */
export interface Body {
  readonly body: string | Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** `2026-11-22T06:06:23.300123Z`: RFC 3339 in UTC with exactly six fraction digits (the store's resolution). */
export function rfc3339Micros(us: EpochMicros): string {
  const second = Math.floor(us / 1_000_000);
  // Points come in time order, many per second: the date part is formatted once per second.
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    lastSecondPrefix = iso.slice(0, iso.length - 4); // up to and including the '.'
    lastSecond = second;
  }
  return `${lastSecondPrefix}${String(us - second * 1_000_000).padStart(6, '0')}Z`;
}

let lastSecond = Number.NaN;
let lastSecondPrefix = '';

/** The inverse of rfc3339Micros, for exactly the strings it writes. */
export function parseRfc3339Micros(text: string): EpochMicros {
  const m = /^(.*)\.(\d{6})Z$/.exec(text);
  if (!m) throw new Error(`not a time sensorhub wrote: ${JSON.stringify(text)}`);
  const wholeSecondMs = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(wholeSecondMs)) throw new Error(`not a time sensorhub wrote: ${JSON.stringify(text)}`);
  return wholeSecondMs * 1000 + Number(m[2]);
}

export function pointJson(p: Point): string {
  return JSON.stringify({
    database: p.database,
    measurement: p.measurement,
    tags: p.tags,
    fields: p.fields,
    time: rfc3339Micros(p.time),
  });
}

/** Point objects separated by commas: the part of a `json` body one item contributes. */
export function pointsJson(points: readonly Point[]): string {
  return points.map(pointJson).join(',');
}

const JSON_HEAD = Buffer.from('{"points":[');
const JSON_TAIL = Buffer.from(']}');
const COMMA = Buffer.from(',');

/** `{"points":[...]}` from the items' fragments, in order, without parsing them again. */
export function jsonBody(fragments: readonly Buffer[]): Body {
  const parts: Buffer[] = [JSON_HEAD];
  for (const f of fragments) {
    if (f.length === 0) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(f);
  }
  parts.push(JSON_TAIL);
  return { body: Buffer.concat(parts), headers: { 'content-type': 'application/json' } };
}

/** Line protocol: the items' lines, in order. */
export function lineBody(fragments: readonly Buffer[]): Body {
  return { body: Buffer.concat(fragments), headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

/** Why a name cannot be written in line protocol, which has no escape for a line break. */
function lineBreakIn(what: string, value: string): string | undefined {
  return /[\r\n]/.test(value) ? `${what} ${JSON.stringify(value)} contains a line break` : undefined;
}

/**
 * One point as a line-protocol line with a nanosecond timestamp (the default precision of every
 * InfluxDB write endpoint, so the URL needs no `precision`), or why it cannot be one.
 */
export function pointLine(p: Point): string | { readonly reason: string } {
  const bad = lineBreakIn('measurement', p.measurement);
  if (bad) return { reason: bad };
  let line = escapeName(p.measurement, false);
  // Sorted tags are what InfluxDB itself writes and what it parses fastest.
  for (const key of Object.keys(p.tags).sort()) {
    const value = p.tags[key] as string;
    const badTag = lineBreakIn('tag key', key) ?? lineBreakIn(`tag ${key}`, value);
    if (badTag) return { reason: badTag };
    line += `,${escapeName(key, true)}=${escapeName(value, true)}`;
  }
  let sep = ' ';
  for (const [key, value] of Object.entries(p.fields)) {
    const badKey = lineBreakIn('field key', key);
    if (badKey) return { reason: badKey };
    let text: string;
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        return { reason: `field ${key} is ${value}, which line protocol cannot carry` };
      // Without an `i` suffix a number is a float in line protocol, the type sensorhub stores.
      text = String(value);
    } else if (typeof value === 'boolean') {
      text = value ? 'true' : 'false';
    } else {
      text = `"${escapeString(value)}"`;
    }
    line += `${sep}${escapeName(key, true)}=${text}`;
    sep = ',';
  }
  if (sep === ' ') return { reason: 'the point has no fields' };
  // Microseconds times 1000 exceed 2^53, so the nanoseconds are written as digits, not computed.
  const ns = p.time === 0 ? '0' : `${p.time}000`;
  return `${line} ${ns}`;
}

/** Line-protocol lines (each ending in a line break) for an item's points, or why one cannot be written. */
export function pointsLines(points: readonly Point[]): string | { readonly reason: string } {
  let lines = '';
  for (const p of points) {
    const line = pointLine(p);
    if (typeof line !== 'string') return { reason: `cannot be written as line protocol: ${line.reason}` };
    lines += `${line}\n`;
  }
  return lines;
}

/**
 * A header value for any string: bytes outside printable ASCII, and `%`, are percent-encoded (UTF-8), so
 * `sensors/bathroom/temperature` arrives unchanged and `café/température` arrives as `caf%C3%A9/...`;
 * URL-decoding the value (decodeURIComponent, urllib.parse.unquote) always gives the original back.
 */
export function headerSafe(value: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x20 && c < 0x7f && c !== 0x25) continue;
    out += value.slice(from, i);
    // Take a whole surrogate pair together; a lone surrogate becomes U+FFFD, as in UTF-8 encoding.
    const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < value.length ? value.slice(i, i + 2) : value[i];
    const bytes = Buffer.from(pair as string, 'utf8');
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    i += (pair as string).length - 1;
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}

/** `raw`: the payload exactly as published, its topic, client and arrival time in headers. */
export function rawBody(item: {
  readonly topic: string;
  readonly clientId: string;
  readonly time: EpochMicros;
  readonly payload: Buffer;
}): Body {
  return {
    body: item.payload,
    headers: {
      'content-type': 'application/octet-stream',
      'x-sensorhub-topic': headerSafe(item.topic),
      'x-sensorhub-client-id': headerSafe(item.clientId),
      'x-sensorhub-time': rfc3339Micros(item.time),
    },
  };
}

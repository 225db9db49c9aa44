/**
 * Backslash escapes of line protocol, shared by the parser and the serializer so the two agree exactly.
 *
 * The rules are InfluxDB's (models/points.go, and influxdb_line_protocol in InfluxDB 3, which adds `\\`):
 * - measurement: `\,` `\ ` `\\` stand for the character; `=` needs no escape there, so `\=` stays `\=`;
 * - tag keys, tag values, field keys: `\,` `\=` `\ ` `\\`;
 * - string field values: `\"` and `\\`.
 * A backslash before any other character is kept as it is (`a\b` is the three characters `a\b`), as InfluxDB
 * does. Accepting `\\` is what lets a name end in a backslash and still round-trip.
 */

const BACKSLASH = 92;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const QUOTE = 34;

/** Whether `c` is a character a backslash escapes in a measurement. */
export function isMeasurementEscapable(c: number): boolean {
  return c === COMMA || c === SPACE || c === BACKSLASH;
}

/** Whether `c` is a character a backslash escapes in a tag key, tag value or field key. */
export function isKeyEscapable(c: number): boolean {
  return c === COMMA || c === SPACE || c === EQUALS || c === BACKSLASH;
}

/**
 * Unescapes `s[start, end)`, a measurement (`eq` false) or a key or tag value (`eq` true). The scanner has
 * already made sure no backslash is the last character, so `i + 1 < end` holds for every backslash.
 */
export function unescapeName(s: string, start: number, end: number, eq: boolean): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== BACKSLASH) continue;
    const c = s.charCodeAt(i + 1);
    if (eq ? isKeyEscapable(c) : isMeasurementEscapable(c)) {
      out += s.slice(from, i);
      from = i + 1;
    }
    // The escaped character is never a delimiter, whatever it is: skip it as the scanner did.
    i++;
  }
  return out + s.slice(from, end);
}

/** Unescapes the inside of a quoted string field value: `\"` → `"`, `\\` → `\`, other backslashes stay. */
export function unescapeString(s: string, start: number, end: number): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== BACKSLASH) continue;
    const c = s.charCodeAt(i + 1);
    if (c === QUOTE || c === BACKSLASH) {
      out += s.slice(from, i);
      from = i + 1;
    }
    i++;
  }
  return out + s.slice(from, end);
}

/**
 * Escapes a measurement (`eq` false) or a key or tag value (`eq` true). A backslash is doubled only where the
 * parser would otherwise read it as an escape (before an escapable character or at the end), so ordinary
 * names come out exactly as InfluxDB and Telegraf write them.
 */
export function escapeName(value: string, eq: boolean): string {
  const escapable = eq ? isKeyEscapable : isMeasurementEscapable;
  let out = '';
  let from = 0;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === BACKSLASH) {
      if (i + 1 === n || escapable(value.charCodeAt(i + 1))) {
        out += `${value.slice(from, i)}\\\\`;
        from = i + 1;
      }
    } else if (escapable(c)) {
      out += `${value.slice(from, i)}\\`;
      from = i;
    }
  }
  return out === '' ? value : out + value.slice(from);
}

/** Escapes a string field value's `"` and `\` (the quotes around it are the caller's). */
export function escapeString(value: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === QUOTE || c === BACKSLASH) {
      out += `${value.slice(from, i)}\\`;
      from = i;
    }
  }
  return out === '' ? value : out + value.slice(from);
}

import type { FieldValue } from '../../core/point.js';
import { type DecodeContext, DecodeError, excerpt, type Reading } from './decoder.js';

const MAX_DEPTH = 16;

/** Parses a JSON payload; DecodeError (ING_DECODE) with the parser's reason when it is not JSON. */
export function parseJsonPayload(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new DecodeError(
      'ING_DECODE',
      `payload ${excerpt(payload)} is not valid JSON: ${(err as Error).message}`,
    );
  }
}

/**
 * A JSON object's numeric and boolean members become fields; nested objects and arrays are flattened
 * with `_` (`{"a":{"b":1}}` → `a_b`, `{"v":[1,2]}` → `v_0`, `v_1`), as Telegraf's json parser does.
 * Strings and nulls are skipped. A bare JSON number or boolean is a plain value.
 */
export function decodeJson(payload: Buffer, ctx: DecodeContext): Reading[] {
  return [{ fields: fieldsOfDocument(parseJsonPayload(payload), ctx.valueField, payload) }];
}

/** The fields of one decoded JSON document (see decodeJson); `payload` only words the errors. */
export function fieldsOfDocument(
  doc: unknown,
  valueField: string,
  payload?: Buffer,
): Record<string, FieldValue> {
  const what = payload ? `payload ${excerpt(payload)}` : 'the reading';
  if (typeof doc === 'number' || typeof doc === 'boolean') {
    if (typeof doc === 'number' && !Number.isFinite(doc))
      throw new DecodeError('ING_DECODE', 'number out of range');
    return { [valueField]: doc };
  }
  if (typeof doc !== 'object' || doc === null) {
    throw new DecodeError('ING_DECODE', `${what} is JSON but not an object, number or boolean`);
  }
  const fields: Record<string, FieldValue> = {};
  flatten(doc, '', fields, 0);
  if (Object.keys(fields).length === 0) {
    throw new DecodeError('ING_NO_FIELDS', `${what} has no numeric or boolean members`);
  }
  return fields;
}

function flatten(node: object, prefix: string, out: Record<string, FieldValue>, depth: number): void {
  if (depth > MAX_DEPTH) throw new DecodeError('ING_DECODE', `JSON nested deeper than ${MAX_DEPTH} levels`);
  const entries: Array<[string, unknown]> = Array.isArray(node)
    ? node.map((v, i) => [String(i), v])
    : Object.entries(node);
  for (const [key, value] of entries) {
    const name = prefix ? `${prefix}_${key}` : key;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) out[name] = value;
    } else if (typeof value === 'boolean') {
      out[name] = value;
    } else if (typeof value === 'object' && value !== null) {
      flatten(value, name, out, depth + 1);
    }
  }
}

import type { FieldValue } from '../../core/point.js';
import { type DecodeContext, DecodeError, excerpt, type Reading } from './decoder.js';

// A decimal number as devices print it: optional sign, digits, fraction, exponent. Stricter than Number(),
// which would also accept '', '0x1f', 'Infinity' and whitespace-only payloads.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a plain value (Telegraf's `data_format = "value"`): a number, or true/false. */
export function parsePlainValue(text: string): FieldValue | undefined {
  const s = text.trim();
  if (NUMBER.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  switch (s.toLowerCase()) {
    case 'true':
      return true;
    case 'false':
      return false;
    default:
      return undefined;
  }
}

export function decodeValue(payload: Buffer, ctx: DecodeContext): Reading[] {
  return [{ fields: { [ctx.valueField]: parseValuePayload(payload) } }];
}

/** A plain-value payload's value; DecodeError (ING_DECODE) when it is not a number or true/false. */
export function parseValuePayload(payload: Buffer): FieldValue {
  if (payload.length === 0)
    throw new DecodeError('ING_DECODE', 'empty payload; expected a number or true/false');
  const value = parsePlainValue(payload.toString('utf8'));
  if (value === undefined) {
    throw new DecodeError('ING_DECODE', `payload ${excerpt(payload)} is not a number or true/false`);
  }
  return value;
}

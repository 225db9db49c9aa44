import type { DecodeContext, Reading } from './decoder.js';
import { decodeJson } from './json.js';
import { decodeValue } from './value.js';

/** `auto`: a JSON object or array (first byte `{` or `[`) decodes as json, anything else as a plain value. */
export function decodeAuto(payload: Buffer, ctx: DecodeContext): Reading[] {
  return looksLikeJson(payload) ? decodeJson(payload, ctx) : decodeValue(payload, ctx);
}

/** True when the first non-blank byte opens a JSON object or array. */
export function looksLikeJson(payload: Buffer): boolean {
  let i = 0;
  while (
    i < payload.length &&
    (payload[i] === 0x20 || payload[i] === 0x09 || payload[i] === 0x0a || payload[i] === 0x0d)
  )
    i++;
  const first = payload[i];
  return first === 0x7b || first === 0x5b;
}

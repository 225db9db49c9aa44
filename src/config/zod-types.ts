import { z } from 'zod';
import { parseByteSize, parseDuration } from '../core/duration.js';

/**
 * Value types shared by every config schema (the main one, and the modules' own: blobs, forwarding,
 * alerts). In their own file so that a module's schema can use them while src/config/schema.ts imports
 * that module's schema, without an import cycle.
 */

/** true/false, or the strings env vars and flags carry: true, false, 1, 0, yes, no. */
export const bool = z.union(
  [
    z.boolean(),
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  ],
  { error: 'expected true or false' },
);

/** Bytes: a number, or a size like 256KiB, 1MB, 4096. */
export const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 256KiB, 1MB, 4096)` });
    return z.NEVER;
  }
  return n;
});

/** Milliseconds: a number, or a duration like 500ms, 10s, 5m. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseDuration(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 10s, 5m)` });
    return z.NEVER;
  }
  return n;
});

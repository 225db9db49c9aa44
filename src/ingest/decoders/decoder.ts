import type { FieldValue } from '../../core/point.js';

/** A decoder's refusal; `code` is one of the ING_* error codes. */
export class DecodeError extends Error {
  constructor(
    readonly code: 'ING_DECODE' | 'ING_NO_FIELDS',
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export interface DecodeContext {
  /** The field a single plain value is stored under (the rule's `field`). */
  readonly valueField: string;
}

/** Turns a payload into fields. Throws DecodeError, and only DecodeError, for bad input. */
export type Decoder = (payload: Buffer, ctx: DecodeContext) => Record<string, FieldValue>;

/** Shows a short, printable excerpt of a payload in an error message. */
export function excerpt(payload: Buffer, max = 40): string {
  const text = payload.subarray(0, max).toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is masked.
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '.');
  return JSON.stringify(payload.length > max ? `${printable}…` : printable);
}

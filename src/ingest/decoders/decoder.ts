import type { ErrorCode } from '../../core/errors.js';
import type { EpochMicros, FieldValue } from '../../core/point.js';

/** The ING_* codes: why a message was rejected. */
export type IngestErrorCode = Extract<ErrorCode, `ING_${string}`>;

/** A decoder's refusal; `code` is one of the ING_* error codes. */
export class DecodeError extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export interface DecodeContext {
  /** The field a single plain value is stored under (the rule's `field`). */
  readonly valueField: string;
  /** Unit of timestamps that carry none (line protocol's `precision`); default `ns`. */
  readonly precision?: 'ns' | 'us' | 'ms' | 's';
}

/**
 * One reading a payload holds. What a reading does not say, the rule fills in: measurement and tags from
 * the rule's templates (a reading's own tags win over the rule's), time from the arrival time.
 */
export interface Reading {
  readonly measurement?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly fields: Record<string, FieldValue>;
  readonly time?: EpochMicros;
}

/** Turns a payload into readings. Throws DecodeError, and only DecodeError, for bad input. */
export type Decoder = (payload: Buffer, ctx: DecodeContext) => Reading[];

/** Shows a short, printable excerpt of a payload in an error message. */
export function excerpt(payload: Buffer, max = 40): string {
  const text = payload.subarray(0, max).toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is masked.
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '.');
  return JSON.stringify(payload.length > max ? `${printable}…` : printable);
}

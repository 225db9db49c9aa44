import type { Precision } from './types.js';

/** The `rule` of dead letters from HTTP line-protocol writes; replay parses them as line protocol again. */
export const LINE_PROTOCOL_RULE = 'line-protocol';

/** `precision` values of InfluxDB 1.x's `/write` (which also takes `n` for nanoseconds). */
export const V1_PRECISIONS: Readonly<Record<string, Precision>> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};

/** `precision` values of InfluxDB 2.x's `/api/v2/write`. */
export const V2_PRECISIONS: Readonly<Record<string, Precision>> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };

import type { RuleConfig } from '../../config/schema.js';
import { decodeAuto } from './auto.js';
import type { Decoder } from './decoder.js';
import { decodeInflux } from './influx.js';
import { decodeJson } from './json.js';
import { decodeValue } from './value.js';

/** One entry per payload format; a new format is a new file plus one line here. */
export const DECODERS: Readonly<Record<Exclude<RuleConfig['format'], 'binary'>, Decoder>> = {
  value: decodeValue,
  json: decodeJson,
  auto: decodeAuto,
  influx: decodeInflux,
};

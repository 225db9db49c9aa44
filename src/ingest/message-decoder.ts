import type { ErrorCode } from '../core/errors.js';
import type { EpochMicros, Point } from '../core/point.js';
import { resolveContentType } from './blobs/content-type.js';
import { DecodeError, type Reading } from './decoders/decoder.js';
import type { RuleMatch, RuleSet } from './rules.js';

export interface IngestMessage {
  readonly source: 'mqtt' | 'http';
  readonly clientId: string;
  readonly topic: string;
  readonly payload: Buffer;
  /** The points' time (payload timestamps come with timestamp-aware rules). */
  readonly receivedAt: EpochMicros;
  /** The publisher's content type (MQTT 5 property, HTTP header), for `binary` rules. */
  readonly contentType?: string | undefined;
}

export type Decoded =
  | {
      readonly kind: 'points';
      readonly rule: string;
      readonly points: Point[];
      /** The rule's forwarding outputs. */
      readonly forward: readonly string[];
    }
  /** A `binary` rule's message: the bytes go to the blob store, then one point describes them. */
  | {
      readonly kind: 'blob';
      readonly rule: string;
      readonly point: Omit<Point, 'fields'>;
      readonly data: Buffer;
      readonly contentType: string;
      readonly forward: readonly string[];
    }
  | { readonly kind: 'skip' }
  | { readonly kind: 'reject'; readonly rule: string; readonly code: ErrorCode; readonly message: string };

export interface DecodeOptions {
  /** Where points go whose rule names no database. */
  readonly database: string;
  readonly maxPayloadSize: number;
  /** Largest payload a `binary` rule keeps (blobs.maxSize); default maxPayloadSize. */
  readonly maxBlobSize?: number;
}

/**
 * What a message becomes under a rule set: points, a skip (no rule stores it), or a rejection with its
 * code and reason. Pure: used by the ingestor, replay, `rules test` and the rules-test API alike.
 */
export function decodeMessage(rules: RuleSet, msg: IngestMessage, opts: DecodeOptions): Decoded {
  const match = rules.match(msg.topic, msg.clientId);
  if (!match) return { kind: 'skip' };

  const { rule } = match;
  const reject = (code: ErrorCode, message: string): Decoded =>
    rule.onError === 'skip' ? { kind: 'skip' } : { kind: 'reject', rule: rule.name, code, message };

  const problem = rule.checkTopic(match.vars);
  if (problem !== undefined)
    return reject('ING_TOPIC_CONSTRAINT', `topic "${msg.topic}" breaks rule "${rule.name}": ${problem}`);
  const [limit, limitName] =
    rule.binary && opts.maxBlobSize !== undefined
      ? [opts.maxBlobSize, 'blobs.maxSize']
      : [opts.maxPayloadSize, 'ingest.maxPayloadSize'];
  if (msg.payload.length > limit) {
    return reject('ING_TOO_LARGE', `payload is ${msg.payload.length} bytes; ${limitName} is ${limit}`);
  }
  if (rule.binary) {
    const point = toPoint(match, { fields: { size: msg.payload.length } }, msg.receivedAt, opts.database);
    if (typeof point === 'string') return reject('ING_INVALID_POINT', point);
    const { fields: _f, ...where } = point;
    return {
      kind: 'blob',
      rule: rule.name,
      point: where,
      data: msg.payload,
      contentType: resolveContentType(msg.payload, msg.contentType ?? rule.config.contentType),
      forward: rule.forward,
    };
  }
  let readings: Reading[];
  try {
    readings = rule.extract(msg.payload, match.vars);
  } catch (err) {
    if (err instanceof DecodeError) return reject(err.code, err.message);
    throw err;
  }
  const points: Point[] = [];
  for (const reading of readings) {
    const point = toPoint(match, reading, msg.receivedAt, opts.database);
    if (typeof point === 'string') return reject('ING_INVALID_POINT', point);
    points.push(point);
  }
  return { kind: 'points', rule: rule.name, points, forward: rule.forward };
}

function toPoint(
  match: RuleMatch,
  reading: Reading,
  arrival: EpochMicros,
  defaultDatabase: string,
): Point | string {
  const { rule, vars } = match;
  const measurement = reading.measurement ?? rule.measurement?.render(vars) ?? '';
  if (measurement === '')
    return `rule "${rule.name}" produced an empty measurement for topic "${vars.topic}"`;
  const tags: Record<string, string> = {};
  for (const [key, template] of rule.tags) {
    const value = template.render(vars);
    // As in InfluxDB, a tag with an empty value is simply absent.
    if (value !== '') tags[key] = value;
  }
  // The payload's own tags (line protocol, payload paths) win over the rule's topic-derived ones.
  if (reading.tags) Object.assign(tags, reading.tags);
  if ('' in reading.fields) return 'a field name is empty';
  if ('' in tags) return 'a tag name is empty';
  const database = rule.database?.render(vars) || defaultDatabase;
  return { database, measurement, tags, fields: reading.fields, time: reading.time ?? arrival };
}

/**
 * The points a decoded message would store, for previews (`rules test`, dry-run replay). A blob's point
 * shows its size and content type; its key and URL exist only once the blob is stored.
 */
export function previewPoints(d: Decoded): Point[] | undefined {
  if (d.kind === 'points') return d.points;
  if (d.kind === 'blob') return [{ ...d.point, fields: { size: d.data.length, contentType: d.contentType } }];
  return undefined;
}

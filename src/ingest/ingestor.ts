import type { ErrorCode } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { Counter } from '../core/metrics.js';
import type { EpochMicros, FieldValue, Point } from '../core/point.js';
import type { WriteBatcher } from './batcher.js';
import type { DeadLetterWriter } from './dead-letters.js';
import { DecodeError, excerpt } from './decoders/decoder.js';
import type { RuleMatch, RuleSet } from './rules.js';

export interface IngestMessage {
  readonly source: 'mqtt' | 'http';
  readonly clientId: string;
  readonly topic: string;
  readonly payload: Buffer;
  /** The points' time (payload timestamps come with timestamp-aware rules). */
  readonly receivedAt: EpochMicros;
}

export type Decoded =
  | { readonly kind: 'points'; readonly rule: string; readonly points: Point[] }
  | { readonly kind: 'skip' }
  | { readonly kind: 'reject'; readonly rule: string; readonly code: ErrorCode; readonly message: string };

export type IngestVerdict =
  | { readonly kind: 'stored'; readonly points: number }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'rejected'; readonly code: ErrorCode; readonly message: string };

export interface IngestorOptions {
  readonly rules: RuleSet;
  readonly batcher: WriteBatcher;
  readonly deadLetters: DeadLetterWriter;
  readonly database: string;
  readonly maxPayloadSize: number;
  readonly deadLetterPayloadLimit: number;
  readonly logger: Logger;
  readonly messages: Counter;
  readonly rejected: Counter;
  readonly points: Counter;
}

const REJECT_LOG_EVERY_MS = 10_000;
const SKIPPED: IngestVerdict = Object.freeze({ kind: 'skipped' });

/** Message → rule → decoder → points → group commit; rejections become dead letters. */
export class Ingestor {
  readonly #rejectLog = new LogThrottle(REJECT_LOG_EVERY_MS);
  readonly #storedCount: { inc(by?: number): void };
  readonly #skippedCount: { inc(by?: number): void };
  readonly #failedCount: { inc(by?: number): void };

  constructor(private readonly opts: IngestorOptions) {
    this.#storedCount = opts.messages.with({ result: 'stored' });
    this.#skippedCount = opts.messages.with({ result: 'skipped' });
    this.#failedCount = opts.messages.with({ result: 'failed' });
  }

  /** Pure decoding step: what a message would become. Used by ingest() and by tests and tools. */
  decode(msg: IngestMessage): Decoded {
    const match = this.opts.rules.match(msg.topic, msg.clientId);
    if (!match) return { kind: 'skip' };
    const { rule } = match;
    const reject = (code: ErrorCode, message: string): Decoded =>
      rule.onError === 'skip' ? { kind: 'skip' } : { kind: 'reject', rule: rule.name, code, message };

    if (msg.payload.length > this.opts.maxPayloadSize) {
      return reject(
        'ING_TOO_LARGE',
        `payload is ${msg.payload.length} bytes; ingest.maxPayloadSize is ${this.opts.maxPayloadSize}`,
      );
    }
    let fields: Record<string, FieldValue>;
    try {
      fields = rule.decode(msg.payload, { valueField: rule.field.render(match.vars) });
    } catch (err) {
      if (err instanceof DecodeError) return reject(err.code, err.message);
      throw err;
    }
    const point = this.#toPoint(match, fields, msg.receivedAt);
    if (typeof point === 'string') return reject('ING_INVALID_POINT', point);
    return { kind: 'points', rule: rule.name, points: [point] };
  }

  /**
   * Decodes and, when the message holds points, commits them. Skips and rejections are answered at once
   * (no promise); stored points resolve after their batch committed. Rejects only when the store failed.
   */
  ingest(msg: IngestMessage): IngestVerdict | Promise<IngestVerdict> {
    const decoded = this.decode(msg);
    switch (decoded.kind) {
      case 'skip':
        this.#skippedCount.inc();
        return SKIPPED;
      case 'reject':
        this.#reject(msg, decoded.rule, decoded.code, decoded.message);
        return { kind: 'rejected', code: decoded.code, message: decoded.message };
      case 'points':
        return this.opts.batcher.submit(decoded.points).then(
          (refused) => {
            if (refused.length > 0) {
              const first = refused[0] as (typeof refused)[number];
              this.#reject(msg, decoded.rule, first.code, first.message);
              return { kind: 'rejected', code: first.code, message: first.message };
            }
            this.#storedCount.inc();
            this.opts.points.inc(undefined, decoded.points.length);
            return { kind: 'stored', points: decoded.points.length };
          },
          (err: unknown) => {
            // Not a dead letter: the message was refused, not judged bad, and its publisher will re-send it.
            this.#failedCount.inc();
            throw err;
          },
        );
    }
  }

  #toPoint(match: RuleMatch, fields: Record<string, FieldValue>, time: EpochMicros): Point | string {
    const { rule, vars } = match;
    const measurement = rule.measurement.render(vars);
    if (measurement === '')
      return `rule "${rule.name}" produced an empty measurement for topic "${vars.topic}"`;
    const tags: Record<string, string> = {};
    for (const [key, template] of rule.tags) {
      const value = template.render(vars);
      // As in InfluxDB, a tag with an empty value is simply absent.
      if (value !== '') tags[key] = value;
    }
    if ('' in fields) return 'a field name is empty';
    const database = rule.database?.render(vars) || this.opts.database;
    return { database, measurement, tags, fields, time };
  }

  #reject(msg: IngestMessage, rule: string, code: ErrorCode, message: string): void {
    this.opts.messages.inc({ result: 'rejected' });
    this.opts.rejected.inc({ reason: code });
    const limit = this.opts.deadLetterPayloadLimit;
    this.opts.deadLetters.add({
      time: msg.receivedAt,
      source: msg.source,
      clientId: msg.clientId,
      topic: msg.topic,
      // A copy of exactly the kept bytes: the payload is a view into a larger socket read buffer.
      payload: Buffer.from(msg.payload.subarray(0, limit)),
      payloadSize: msg.payload.length,
      rule,
      code,
      message,
    });
    // One line per message would let a misbehaving device flood the log; summarise instead.
    const suppressed = this.#rejectLog.allow();
    if (suppressed !== undefined) {
      this.opts.logger.warn(
        {
          code,
          topic: msg.topic,
          clientId: msg.clientId,
          payload: excerpt(msg.payload),
          rejectedSinceLastLog: suppressed,
        },
        `message rejected: ${message} (see GET /api/v1/dead-letters)`,
      );
    }
  }
}

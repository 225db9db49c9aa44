import { AppError, type ErrorCode } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { Counter } from '../core/metrics.js';
import type { Point } from '../core/point.js';
import type { WriteBatcher } from './batcher.js';
import { type BlobStore, blobKey } from './blobs/blob-store.js';
import type { DeadLetterWriter } from './dead-letters.js';
import { excerpt } from './decoders/decoder.js';
import type { Forwarder } from './forward/forwarder.js';
import { forwardAccepted } from './forward/wiring.js';
import { type Decoded, decodeMessage, type IngestMessage } from './message-decoder.js';
import type { RuleSet } from './rules.js';

export type { Decoded, IngestMessage } from './message-decoder.js';

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
  /** Where `binary` rules keep payloads; without one, such messages fail (and are not acknowledged). */
  readonly blobs?: BlobStore;
  /** Queues what rules with `forward` accept for their outputs. */
  readonly forwarder?: Forwarder | undefined;
  readonly maxBlobSize?: number;
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

  #rules: RuleSet;

  constructor(private readonly opts: IngestorOptions) {
    this.#rules = opts.rules;
    this.#storedCount = opts.messages.with({ result: 'stored' });
    this.#skippedCount = opts.messages.with({ result: 'skipped' });
    this.#failedCount = opts.messages.with({ result: 'failed' });
  }

  get rules(): RuleSet {
    return this.#rules;
  }

  /** Swaps the rule set (a reload); messages already decoded keep the rules they were decoded with. */
  setRules(rules: RuleSet): void {
    this.#rules = rules;
  }

  /** Pure decoding step: what a message would become. Used by ingest() and by tests and tools. */
  decode(msg: IngestMessage): Decoded {
    return decodeMessage(this.#rules, msg, {
      database: this.opts.database,
      maxPayloadSize: this.opts.maxPayloadSize,
      ...(this.opts.maxBlobSize === undefined ? {} : { maxBlobSize: this.opts.maxBlobSize }),
    });
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
      case 'blob':
        return this.#storeBlob(decoded).then(
          (points) => this.#commit(msg, decoded.rule, points, decoded.forward),
          (err: unknown) => {
            this.#failedCount.inc();
            throw err;
          },
        );
      case 'points':
        return this.#commit(msg, decoded.rule, decoded.points, decoded.forward);
    }
  }

  /** The blob first (durably), then the point that points at it: an acked image is never a dangling key. */
  async #storeBlob(decoded: Extract<Decoded, { kind: 'blob' }>): Promise<Point[]> {
    const blobs = this.opts.blobs;
    if (!blobs) throw new AppError('BLOB_WRITE_FAILED', 'no blob store is configured');
    const key = blobKey({ ...decoded.point, data: decoded.data, contentType: decoded.contentType });
    const stored = await blobs.put(key, decoded.data, decoded.contentType);
    return [
      {
        ...decoded.point,
        fields: {
          key: stored.key,
          url: stored.url,
          size: decoded.data.length,
          contentType: decoded.contentType,
        },
      },
    ];
  }

  #commit(
    msg: IngestMessage,
    rule: string,
    points: Point[],
    forward: readonly string[],
  ): Promise<IngestVerdict> {
    return this.opts.batcher.submit(points).then(
      (refused): IngestVerdict | Promise<IngestVerdict> => {
        if (refused.length > 0) {
          const first = refused[0] as (typeof refused)[number];
          this.#reject(msg, rule, first.code, first.message);
          return { kind: 'rejected', code: first.code, message: first.message };
        }
        const stored = (): IngestVerdict => {
          this.#storedCount.inc();
          this.opts.points.inc(undefined, points.length);
          return { kind: 'stored', points: points.length };
        };
        // Acknowledged means stored and queued for forwarding: the ack waits for both.
        const forwarder = this.opts.forwarder;
        if (forward.length === 0 || !forwarder) return stored();
        return forwardAccepted(forwarder, forward, msg, points).then(stored);
      },
      (err: unknown) => {
        // Not a dead letter: the message was refused, not judged bad, and its publisher will re-send it.
        this.#failedCount.inc();
        throw err;
      },
    );
  }

  /**
   * Runs a kept dead letter through the current rules (replay). Unlike ingest(), a message that is still
   * rejected is not recorded again: it stays the one dead letter it already is.
   */
  async reprocess(msg: IngestMessage): Promise<IngestVerdict> {
    const decoded = this.decode(msg);
    if (decoded.kind === 'skip') return SKIPPED;
    if (decoded.kind === 'reject') return { kind: 'rejected', code: decoded.code, message: decoded.message };
    const points = decoded.kind === 'blob' ? await this.#storeBlob(decoded) : decoded.points;
    const verdict = await this.storePoints(points);
    if (verdict.kind === 'stored' && decoded.forward.length > 0 && this.opts.forwarder)
      await forwardAccepted(this.opts.forwarder, decoded.forward, msg, points);
    return verdict;
  }

  /** Commits points that need no rule (a replayed line-protocol write); no dead letter on refusal. */
  async storePoints(points: Point[]): Promise<IngestVerdict> {
    const refused = await this.opts.batcher.submit(points);
    if (refused.length > 0) {
      const first = refused[0] as (typeof refused)[number];
      return { kind: 'rejected', code: first.code, message: first.message };
    }
    this.opts.points.inc(undefined, points.length);
    return { kind: 'stored', points: points.length };
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

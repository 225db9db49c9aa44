import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { DeadLetterDto } from '../../contract/api.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import { formatPointsAsLines } from '../../ingest/explain.js';
import type { IngestMessage, Ingestor } from '../../ingest/ingestor.js';
import { previewPoints } from '../../ingest/message-decoder.js';
import { replayDeadLetters } from '../../ingest/replay.js';
import type { RulesSource } from '../../ingest/rules-source.js';
import { parseTimeBound } from '../../query/time-params.js';
import type { DeadLetterFilter, StoredDeadLetter, TimeSeriesStore } from '../../storage/store.js';
import { requireAuth } from '../auth-hook.js';

export interface IngestRoutesOptions {
  readonly auth: Authenticator;
  readonly store: TimeSeriesStore;
  readonly ingestor: Ingestor;
  readonly rules: RulesSource;
  readonly nowMicros: () => number;
  readonly maxPayloadSize: number;
}

type Params = Record<string, unknown>;

function bad(message: string): AppError {
  return new AppError('HTTP_BAD_REQUEST', message);
}

function str(q: Params, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) return str({ [name]: v[v.length - 1] }, name);
  if (typeof v !== 'string' && typeof v !== 'number') throw bad(`${name} must be a string`);
  return String(v);
}

/**
 * The dead-letter filter of a query string or JSON body: since/until (RFC 3339, epoch ms, or relative
 * like -1h), topic (an MQTT filter: `+` and `#` allowed), code, rule, clientId, source, ids, limit.
 */
export function deadLetterFilterFrom(
  q: Params,
  nowUs: number,
  defaultLimit: number,
  maxLimit: number,
): DeadLetterFilter {
  const limitText = str(q, 'limit') ?? String(defaultLimit);
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    throw bad(`limit must be an integer 1..${maxLimit}`);
  const time = (name: 'since' | 'until') => {
    const text = str(q, name);
    if (text === undefined) return {};
    const t = parseTimeBound(text, nowUs);
    if (t === undefined) throw bad(`${name} "${text}" is not RFC 3339, epoch ms, or relative like -1h`);
    return { [name]: t };
  };
  const text = (name: 'topic' | 'code' | 'rule' | 'clientId' | 'source') => {
    const v = str(q, name);
    return v === undefined ? {} : { [name]: v };
  };
  let ids: number[] | undefined;
  const rawIds = q.ids;
  if (rawIds !== undefined) {
    const list = Array.isArray(rawIds) ? rawIds : String(rawIds).split(',');
    ids = list.map((v) => Number(v));
    if (ids.some((n) => !Number.isSafeInteger(n) || n < 1)) throw bad('ids must be positive integers');
  }
  const afterText = str(q, 'afterId');
  const afterId = afterText === undefined ? undefined : Number(afterText);
  if (afterId !== undefined && !Number.isSafeInteger(afterId)) throw bad('afterId must be an integer');
  const beforeText = str(q, 'beforeId');
  const beforeId = beforeText === undefined ? undefined : Number(beforeText);
  if (beforeId !== undefined && !Number.isSafeInteger(beforeId)) throw bad('beforeId must be an integer');
  return {
    limit,
    ...time('since'),
    ...time('until'),
    ...text('topic'),
    ...text('code'),
    ...text('rule'),
    ...text('clientId'),
    ...text('source'),
    ...(ids ? { ids } : {}),
    ...(afterId === undefined ? {} : { afterId }),
    ...(beforeId === undefined ? {} : { beforeId }),
  };
}

export function toDeadLetterDto(d: StoredDeadLetter): DeadLetterDto {
  const text = d.payload.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(d.payload);
  return {
    id: d.id,
    time: new Date(Math.floor(d.time / 1000)).toISOString(),
    source: d.source,
    clientId: d.clientId,
    topic: d.topic,
    payload: isText ? text : d.payload.toString('base64'),
    payloadEncoding: isText ? 'utf8' : 'base64',
    payloadSize: d.payloadSize,
    payloadTruncated: d.payloadSize > d.payload.length,
    rule: d.rule,
    code: d.code,
    message: d.message,
  };
}

/**
 * Ingest over HTTP and its operations: `POST /api/v1/ingest/<topic>` (devices without MQTT; the same rules),
 * rules (list, reload, test), dead letters (list, delete, replay).
 */
export const ingestRoutes: FastifyPluginAsync<IngestRoutesOptions> = async (app, opts) => {
  // Payloads are bytes, whatever the content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: opts.maxPayloadSize * 4 },
    (req, body, done) => {
      if (req.url.startsWith('/api/v1/ingest/')) return done(null, body);
      if ((body as Buffer).length === 0) return done(null, {});
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')));
      } catch (err) {
        done(bad(`the body is not JSON: ${(err as Error).message}`), undefined);
      }
    },
  );

  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  const admins = requireAuth(opts.auth, ['admin']);

  app.post(
    '/api/v1/ingest/*',
    { preHandler: requireAuth(opts.auth, ['admin', 'client']) },
    async (req, reply) => {
      const topic = decodeURIComponent((req.params as { '*': string })['*']);
      if (topic === '' || /[+#]/.test(topic) || topic.includes('\u0000') || topic.startsWith('$'))
        throw bad(`"${topic}" is not a topic one can publish to (no +, #, NUL, or leading $)`);
      const principal = req.principal;
      const clientId = principal ? `http:${principal.username}` : 'http';
      if (principal && principal.role !== 'admin') {
        if (!principal.publish.allowsTopic(topic, { username: principal.username, clientId })) {
          throw new AppError('AUTH_FORBIDDEN', `user "${principal.username}" may not publish to "${topic}"`);
        }
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const msg: IngestMessage = {
        source: 'http',
        clientId,
        topic,
        payload: body,
        receivedAt: opts.nowMicros(),
      };
      const verdict = await opts.ingestor.ingest(msg);
      if (verdict.kind === 'rejected') {
        return reply.status(ERROR_CODES[verdict.code as ErrorCode]?.status ?? 400).send({
          code: verdict.code,
          error: verdict.message,
          deadLetter: true,
        });
      }
      if (verdict.kind === 'skipped')
        return { result: 'skipped', points: 0, reason: 'no rule stores this topic' };
      return { result: 'stored', points: verdict.points };
    },
  );

  app.get('/api/v1/rules', { preHandler: readers }, async () => ({
    rules: opts.ingestor.rules.rules.map((r) => r.config),
    status: opts.rules.status(),
  }));

  app.post('/api/v1/rules/reload', { preHandler: admins }, async (_req, reply) => {
    const status = await opts.rules.reload();
    if (status.errors.length > 0) {
      return reply.status(400).send({
        code: 'CFG_INVALID',
        error: `rules not reloaded, the running rules stay: ${status.errors.join('; ')}`,
        errors: status.errors,
      });
    }
    return status;
  });

  app.post('/api/v1/rules/test', { preHandler: readers }, async (req) => {
    const b = (req.body ?? {}) as Params;
    const topic = str(b, 'topic');
    if (!topic) throw bad('topic is required');
    const payloadText = typeof b.payload === 'string' ? b.payload : JSON.stringify(b.payload ?? '');
    const payload = Buffer.from(payloadText, b.encoding === 'base64' ? 'base64' : 'utf8');
    const clientId = str(b, 'clientId') ?? 'test';
    const explain = opts.ingestor.rules.explain(topic, clientId);
    const decoded = opts.ingestor.decode({
      source: 'http',
      clientId,
      topic,
      payload,
      receivedAt: opts.nowMicros(),
    });
    if (decoded.kind === 'reject')
      return {
        explain,
        result: 'rejected',
        rule: decoded.rule,
        code: decoded.code,
        message: decoded.message,
      };
    const points = previewPoints(decoded);
    if (decoded.kind === 'skip' || !points) return { explain, result: 'skipped' };
    return {
      explain,
      result: 'stored',
      rule: decoded.rule,
      points,
      lineProtocol: formatPointsAsLines(points),
    };
  });

  app.get('/api/v1/dead-letters', { preHandler: readers }, async (req) => {
    const q = req.query as Params;
    const filter = deadLetterFilterFrom(q, opts.nowMicros(), 100, 10_000);
    const order = str(q, 'order') === 'asc' ? 'asc' : 'desc';
    const { limit: _limit, afterId: _after, beforeId: _before, ...countFilter } = filter;
    const [letters, total] = await Promise.all([
      opts.store.listDeadLetters({ ...filter, order }),
      opts.store.countDeadLetters(countFilter),
    ]);
    return { total, deadLetters: letters.map(toDeadLetterDto) };
  });

  app.delete('/api/v1/dead-letters', { preHandler: admins }, async (req) => {
    const q = req.query as Params;
    if (Object.keys(q).length === 0)
      throw bad('give a filter (e.g. code=ING_DECODE, or ids=1,2); all=true deletes all');
    const filter = deadLetterFilterFrom(q, opts.nowMicros(), 1_000_000, 1_000_000);
    let deleted = 0;
    for (;;) {
      const page = await opts.store.listDeadLetters({ ...filter, limit: 10_000, order: 'asc' });
      if (page.length === 0) break;
      deleted += await opts.store.deleteDeadLetters(page.map((d) => d.id));
      if (deleted >= filter.limit) break;
    }
    return { deleted };
  });

  app.post('/api/v1/dead-letters/replay', { preHandler: admins }, async (req) => {
    const b = (req.body ?? {}) as Params;
    const filter = deadLetterFilterFrom(b, opts.nowMicros(), 100_000, 1_000_000);
    const { afterId: _a, beforeId: _b, ...rest } = filter;
    return replayDeadLetters(opts.store, opts.ingestor, { filter: rest, dryRun: b.dryRun === true });
  });
};

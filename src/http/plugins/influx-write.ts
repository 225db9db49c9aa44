import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { InfluxV1ErrorDto, InfluxV2ErrorDto } from '../../contract/api.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import { LogThrottle } from '../../core/log-throttle.js';
import type { MetricsRegistry } from '../../core/metrics.js';
import type { Point } from '../../core/point.js';
import type { WriteBatcher } from '../../ingest/batcher.js';
import type { DeadLetterWriter } from '../../ingest/dead-letters.js';
import {
  type LineError,
  type LpPoint,
  type Precision,
  parseLineProtocol,
} from '../../ingest/line-protocol/parse.js';
import { formatLineProtocol } from '../../ingest/line-protocol/serialize.js';
import { LINE_PROTOCOL_RULE, V1_PRECISIONS, V2_PRECISIONS } from '../../ingest/line-protocol/write-api.js';
import type { RefusedPoint } from '../../storage/store.js';
import { authenticate, type Identity, requireWrite } from '../auth-hook.js';

/** What InfluxDB clients (and Grafana) read from every response to tell what they talk to. */
export const INFLUXDB_HEADERS = {
  'X-Influxdb-Version': 'sensorhub-0.1.0',
  'X-Influxdb-Build': 'OSS',
} as const;

export const DEFAULT_MAX_WRITE_BODY = 64 * 1024 * 1024;

export interface InfluxWriteOptions {
  readonly auth: Authenticator;
  /** The same group commit the MQTT path uses: a 204 is sent only after the points are committed. */
  readonly batcher: WriteBatcher;
  readonly deadLetters: DeadLetterWriter;
  readonly metrics: MetricsRegistry;
  /** The server time given to lines without a timestamp (the same for all of one request, as InfluxDB). */
  readonly nowMicros: () => number;
  /** ingest.maxPendingPoints: beyond it, writes are refused with 503 before their body is read. */
  readonly maxPendingPoints: number;
  /** ingest.deadLetterPayloadLimit: bytes of a bad line kept in its dead letter. */
  readonly deadLetterPayloadLimit: number;
  /** Largest body accepted, after gzip decompression; default 64 MiB. */
  readonly maxBodyBytes?: number;
}

type Api = 'v1' | 'v2';

interface WriteContext {
  readonly identity: Identity;
  readonly database: string;
  readonly precision: Precision;
  /** The request as a dead letter's topic: `/write?db=…` (v1) or `/api/v2/write?bucket=…` (v2). */
  readonly topic: string;
}

type Query = Record<string, string | string[] | undefined>;

/** Errors listed one by one in a partial-write answer; the rest are counted (every one is a dead letter). */
const LISTED_ERRORS = 10;
const MAX_DATABASE_LENGTH = 255;
const CONTROL = /\p{Cc}/u;
const RULE = LINE_PROTOCOL_RULE;

function last(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * InfluxDB-compatible writes: `POST /write` (1.x: db, rp, precision, u, p) and `POST /api/v2/write`
 * (2.x: bucket, org, precision). Line protocol, optionally gzip; the good lines of a request are written
 * even when others do not parse, and the request is answered only after its points are committed.
 */
export const influxWriteRoutes: FastifyPluginAsync<InfluxWriteOptions> = async (app, opts) => {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_WRITE_BODY;
  const contexts = new WeakMap<FastifyRequest, WriteContext>();
  const partialLog = new LogThrottle(10_000);
  const requests = opts.metrics.counter(
    'sensorhub_http_write_requests_total',
    'HTTP line-protocol writes (POST /write, /api/v2/write), by API and status.',
  );
  const pointsCounter = opts.metrics.counter(
    'sensorhub_http_write_points_total',
    'Points of HTTP line-protocol writes: written (committed), refused (field type conflict, beyond retention), unparsable.',
  );
  const written = pointsCounter.with({ result: 'written' });
  const refusedCount = pointsCounter.with({ result: 'refused' });
  const unparsable = pointsCounter.with({ result: 'unparsable' });

  // Line protocol whatever the Content-Type says (clients send text/plain, octet-stream, form-urlencoded…).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    readBody(payload, req.headers['content-encoding'], req.headers['content-length'], maxBody).then(
      (body) => done(null, body),
      (err: Error) => done(err, undefined),
    );
  });

  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(INFLUXDB_HEADERS);
  });
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ api: apiOf(req), status: String(reply.statusCode) });
  });
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const api = apiOf(req);
    if (err instanceof AppError) return sendError(reply, api, statusFor(err.code), err.message, err.code);
    if (err.statusCode !== undefined && err.statusCode < 500) {
      return sendError(reply, api, err.statusCode, err.message, 'HTTP_BAD_REQUEST');
    }
    req.log.error({ err }, 'write request failed');
    return sendError(reply, api, 500, 'internal error; see the server log', 'INTERNAL');
  });

  /** Who may write where, checked before the body is read: a refused client's upload costs nothing. */
  const admit = (api: Api) => async (req: FastifyRequest, reply: FastifyReply) => {
    const identity = await authenticate(opts.auth, req, reply);
    const q = req.query as Query;
    const target = api === 'v1' ? last(q, 'db') : last(q, 'bucket');
    if (!target) {
      throw new AppError('HTTP_BAD_REQUEST', api === 'v1' ? 'database is required' : 'bucket is required');
    }
    // v2 buckets may be "db/rp" (the 1.x mapping); the retention policy is not used.
    const database = api === 'v2' ? (target.split('/')[0] as string) : target;
    if (database === '') throw new AppError('HTTP_BAD_REQUEST', `bucket "${target}" names no database`);
    if (database.length > MAX_DATABASE_LENGTH || CONTROL.test(database)) {
      throw new AppError(
        'HTTP_BAD_REQUEST',
        `database name ${JSON.stringify(database.slice(0, 80))} must be 1-${MAX_DATABASE_LENGTH} characters without control characters`,
      );
    }
    requireWrite(identity, database);
    const precisionText = last(q, 'precision') ?? 'ns';
    const precision = (api === 'v1' ? V1_PRECISIONS : V2_PRECISIONS)[precisionText];
    if (precision === undefined) {
      const known = Object.keys(api === 'v1' ? V1_PRECISIONS : V2_PRECISIONS).join(', ');
      throw new AppError('HTTP_BAD_REQUEST', `precision "${precisionText}" is not one of ${known}`);
    }
    if (opts.batcher.pendingPoints >= opts.maxPendingPoints) {
      throw new AppError(
        'STO_BUSY',
        `${opts.batcher.pendingPoints} points are waiting for commit (ingest.maxPendingPoints ${opts.maxPendingPoints}); retry shortly`,
      );
    }
    const topic =
      api === 'v1'
        ? `/write?db=${database}${precision === 'ns' ? '' : `&precision=${precisionText}`}`
        : `/api/v2/write?bucket=${target}${precision === 'ns' ? '' : `&precision=${precisionText}`}`;
    contexts.set(req, { identity, database, precision, topic });
  };

  const write = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = contexts.get(req) as WriteContext;
    const body = req.body as Buffer | undefined;
    // An empty write is a success, as in InfluxDB (clients use it to check credentials).
    if (body === undefined || body.length === 0) return reply.status(204).send();

    const parsed = parseLineProtocol(body, { precision: ctx.precision });
    const now = opts.nowMicros();
    const lp = parsed.points;
    const points: Point[] = new Array(lp.length);
    const { database } = ctx;
    for (let i = 0; i < lp.length; i++) {
      const p = lp[i] as LpPoint;
      points[i] = {
        database,
        measurement: p.measurement,
        tags: p.tags,
        fields: p.fields,
        time: p.time ?? now,
      };
    }
    // A failed commit rejects here (503): the client re-sends the whole body, so its bad lines are recorded
    // once, after the commit that did go through.
    const refused = points.length > 0 ? await opts.batcher.submit(points) : [];
    written.inc(points.length - refused.length);
    const errors = parsed.errors;
    if (errors.length > 0) {
      unparsable.inc(errors.length);
      deadLetterLines(body, errors, ctx, now);
    }
    if (refused.length > 0) {
      refusedCount.inc(refused.length);
      for (const r of refused) deadLetterPoint(lp[r.index] as LpPoint, r, ctx, now);
    }
    if (errors.length === 0 && refused.length === 0) return reply.status(204).send();

    const dropped = errors.length + refused.length;
    const reasons: string[] = [];
    if (errors.length > 0) reasons.push(parseReasons(errors));
    const conflicts = refused.filter((r) => r.code === 'STO_FIELD_TYPE_CONFLICT');
    if (conflicts.length > 0) {
      const first = conflicts[0] as RefusedPoint;
      const measurement = (lp[first.index] as LpPoint).measurement;
      const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more points)` : '';
      reasons.push(`field type conflict: measurement "${measurement}": ${first.message}${more}`);
    }
    const beyond = refused.filter((r) => r.code === 'ING_BEYOND_RETENTION');
    if (beyond.length > 0) {
      // InfluxDB's words first: Telegraf and the client libraries look for them to drop, not retry, the points.
      const more = beyond.length > 1 ? ` (and ${beyond.length - 1} more points)` : '';
      reasons.push(`points beyond retention policy: ${(beyond[0] as RefusedPoint).message}${more}`);
    }
    const suppressed = partialLog.allow();
    if (suppressed !== undefined) {
      req.log.warn(
        {
          database,
          unparsable: errors.length,
          refused: refused.length,
          written: points.length - refused.length,
        },
        `HTTP write dropped ${dropped} lines (see GET /api/v1/dead-letters)`,
      );
    }
    // As InfluxDB: the bare parse errors when no line parsed, else a "partial write" with the dropped count.
    const message =
      points.length === 0 ? reasons.join('\n') : `partial write: ${reasons.join('\n')} dropped=${dropped}`;
    const code: ErrorCode = errors.length > 0 ? 'ING_LINE_PROTOCOL' : (refused[0] as RefusedPoint).code;
    return sendError(reply, apiOf(req), 400, message, code);
  };

  function deadLetterLines(body: Buffer, errors: readonly LineError[], ctx: WriteContext, now: number): void {
    const limit = opts.deadLetterPayloadLimit;
    const clientId = clientIdOf(ctx.identity);
    // The errors come in line order: one forward scan finds each line's bytes.
    let lineNo = 1;
    let pos = 0;
    for (const e of errors) {
      while (lineNo < e.line && pos < body.length) {
        const nl = body.indexOf(10, pos);
        pos = nl < 0 ? body.length : nl + 1;
        lineNo++;
      }
      let end = body.indexOf(10, pos);
      if (end < 0) end = body.length;
      if (end > pos && body[end - 1] === 13) end--;
      opts.deadLetters.add({
        time: now,
        source: 'http',
        clientId,
        topic: ctx.topic,
        payload: Buffer.from(body.subarray(pos, Math.min(end, pos + limit))),
        payloadSize: end - pos,
        rule: RULE,
        code: 'ING_LINE_PROTOCOL',
        message: `${e.message} (line ${e.line}, column ${e.column})`,
      });
    }
  }

  function deadLetterPoint(p: LpPoint, r: RefusedPoint, ctx: WriteContext, now: number): void {
    const line = Buffer.from(formatLine(p, ctx.precision));
    opts.deadLetters.add({
      time: now,
      source: 'http',
      clientId: clientIdOf(ctx.identity),
      topic: ctx.topic,
      payload: line.subarray(0, opts.deadLetterPayloadLimit),
      payloadSize: line.length,
      rule: RULE,
      code: r.code,
      message: r.message,
    });
  }

  app.post('/write', { onRequest: admit('v1'), config: { api: 'v1' } }, write);
  app.post('/api/v2/write', { onRequest: admit('v2'), config: { api: 'v2' } }, write);
};

function apiOf(req: FastifyRequest): Api {
  return (req.routeOptions.config as { api?: Api } | undefined)?.api ?? 'v1';
}

function clientIdOf(identity: Identity): string {
  switch (identity.kind) {
    case 'user':
      return identity.principal.username;
    case 'token':
      return identity.token.name;
    case 'anonymous':
      return 'anonymous';
  }
}

/** `unable to parse '<line>': <reason> (line N)`, one per bad line, the first few of them. */
function parseReasons(errors: readonly LineError[]): string {
  const listed = errors
    .slice(0, LISTED_ERRORS)
    .map((e) => `unable to parse '${e.text}': ${e.message} (line ${e.line})`);
  if (errors.length > LISTED_ERRORS) {
    listed.push(
      `and ${errors.length - LISTED_ERRORS} more unparsable lines (GET /api/v1/dead-letters?code=ING_LINE_PROTOCOL)`,
    );
  }
  return listed.join('\n');
}

/** The HTTP status a write answers with: a failed or refused commit is "retry later" for InfluxDB clients. */
function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'STO_CLOSED':
    case 'STO_BUSY':
    case 'STO_WRITE_FAILED':
      return 503;
    default:
      return ERROR_CODES[code].status;
  }
}

// InfluxDB 2's error codes (kit/platform/errors), by HTTP status.
const V2_CODES: Readonly<Record<number, string>> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  413: 'request too large',
  415: 'unsupported media type',
  429: 'too many requests',
  503: 'unavailable',
};

/**
 * An error as InfluxDB shapes it: v1 `{"error": …}` plus `X-Influxdb-Error`, v2 `{"code", "message"}`.
 * The sensorhub error code goes in `X-Sensorhub-Error-Code` (docs/errors.md).
 */
function sendError(reply: FastifyReply, api: Api, status: number, message: string, code: string) {
  reply.header('X-Sensorhub-Error-Code', code);
  if (status === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '1');
  let text = message;
  if (code === 'AUTH_REQUIRED')
    text = api === 'v1' ? 'unable to parse authentication credentials' : 'unauthorized access';
  else if (code === 'AUTH_INVALID') text = api === 'v1' ? 'authorization failed' : 'unauthorized access';
  if (api === 'v1') {
    // Header values cannot hold newlines; the body has the full text.
    reply.header('X-Influxdb-Error', text.split('\n')[0]);
    const body: InfluxV1ErrorDto = { error: text };
    return reply.status(status).send(body);
  }
  const body: InfluxV2ErrorDto = { code: V2_CODES[status] ?? 'internal error', message: text };
  return reply.status(status).send(body);
}

/**
 * Reads the body, gunzipping as it streams, and stops at `limit` bytes (after decompression): a gzip bomb
 * is refused with 413 having inflated no more than the limit. The request stream is left undestroyed so
 * the 413 still reaches the client.
 */
function readBody(
  payload: Readable,
  encodingHeader: string | undefined,
  lengthHeader: string | undefined,
  limit: number,
): Promise<Buffer> {
  const encoding = (encodingHeader ?? '').trim().toLowerCase();
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzip && encoding !== '' && encoding !== 'identity') {
    return Promise.reject(
      new AppError(
        'HTTP_BAD_REQUEST',
        `Content-Encoding "${encodingHeader}" is not supported; send gzip or none`,
      ),
    );
  }
  const tooLarge = () =>
    new AppError(
      'HTTP_BODY_TOO_LARGE',
      `request body is larger than ${limit} bytes${gzip ? ' after gzip decompression' : ''}; send smaller batches`,
    );
  const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge());
  if (declared === 0) return Promise.resolve(Buffer.alloc(0));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const gunzip = gzip ? createGunzip() : undefined;
    const source: Readable = gunzip ?? payload;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (gunzip) {
        payload.unpipe(gunzip);
        gunzip.destroy();
      }
      if (err) {
        payload.pause();
        reject(err);
      } else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => finish());
    payload.once('error', (err) => finish(err));
    if (gunzip) {
      gunzip.once('error', (err) =>
        finish(
          new AppError('HTTP_BAD_REQUEST', `the body is not valid gzip: ${err.message}`, { cause: err }),
        ),
      );
      payload.pipe(gunzip);
    }
  });
}

/**
 * A refused point as a line of line protocol, its time in the request's precision (for its dead letter).
 * A point the serializer cannot write (it came from a line, so this should not happen) is kept as JSON.
 */
function formatLine(p: LpPoint, precision: Precision): string {
  try {
    return formatLineProtocol(p, precision);
  } catch {
    return JSON.stringify(p);
  }
}

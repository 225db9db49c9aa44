import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { tokenAllows } from '../../auth/tokens.js';
import { AppError, errorMessage } from '../../core/errors.js';
import type { ParsedStatement, Statement } from '../../query/influxql/ast.js';
import { executeStatements } from '../../query/influxql/execute.js';
import { InfluxQLError } from '../../query/influxql/influxql-error.js';
import { parseInfluxQLStatements } from '../../query/influxql/parser.js';
import type { RetentionPolicies } from '../../storage/retention.js';
import type { TimeSeriesStore } from '../../storage/store.js';
import { authenticate } from '../auth-hook.js';
import { INFLUXDB_HEADERS } from './influx-write.js';
import { csvOf, jsonPieces, rowCount, shapeResults } from './influxql-response.js';

export interface InfluxQLRoutesOptions {
  readonly auth: Authenticator;
  readonly store: TimeSeriesStore;
  readonly maxPoints: number;
  /** query.maxSeries (default 100,000). */
  readonly maxSeries?: number;
  /** query.timeout in ms, per statement; 0: none (default 30 s). */
  readonly timeoutMs?: number;
  readonly nowMicros: () => number;
  /** Retention policies: ALTER/CREATE take effect on the write path at once. */
  readonly retention?: RetentionPolicies | undefined;
}

type Params = Record<string, string | undefined>;

/** Answers with at least this many rows are streamed. */
const STREAM_ROWS = 50_000;

function paramsOf(req: FastifyRequest): Params {
  const q = { ...(req.query as Params) };
  // POST /query with a form body (as the InfluxDB clients send q there).
  if (req.body && typeof req.body === 'object') Object.assign(q, req.body as Params);
  return q;
}

/** SELECT without INTO and SHOW: what a GET may run. */
function isReadOnly(st: Statement): boolean {
  if (st.kind === 'select') return st.into === undefined;
  return st.kind.startsWith('show_');
}

/**
 * The InfluxDB 1.x query API: `GET|POST /query` with `db`, `q` (several statements separated by `;`),
 * `epoch`, `chunked`, `pretty`; basic auth, `u`/`p`, or a token with read permission. Answers in InfluxDB's
 * JSON shape (or CSV with `Accept: application/csv`), so Grafana's InfluxDB data source and the client
 * libraries work against sensorhub.
 */
export const influxqlRoutes: FastifyPluginAsync<InfluxQLRoutesOptions> = async (app, opts) => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.headers(INFLUXDB_HEADERS);
    const q = paramsOf(req);
    const text = q.q;
    if (text === undefined || text.trim() === '') {
      return reply.status(400).send({ error: 'missing required parameter "q"' });
    }
    let identity: Awaited<ReturnType<typeof authenticate>>;
    try {
      identity = await authenticate(opts.auth, req, reply);
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL';
      const status =
        code === 'AUTH_BLOCKED'
          ? 429
          : code === 'AUTH_THROTTLED'
            ? 503
            : code === 'AUTH_FORBIDDEN'
              ? 403
              : 401;
      return reply.status(status).send({ error: errorMessage(err) });
    }
    // A syntax error fails the whole request (400); a statement's own error goes into its result.
    let statements: Array<ParsedStatement | InfluxQLError>;
    try {
      statements = parseInfluxQLStatements(text.trim());
    } catch (err) {
      if (err instanceof InfluxQLError) return reply.status(400).send({ error: err.message });
      throw err;
    }
    // As InfluxDB 1.x: GET is for reading. A link, an <img>, or a page of another site can make a browser send
    // a GET with its cookie or cached credentials, so what changes data or schema must come as a POST (which
    // the CSRF check covers for cookie logins).
    if (req.method === 'GET') {
      const writing = statements.find((st) => !(st instanceof InfluxQLError) && !isReadOnly(st.statement));
      if (writing !== undefined && !(writing instanceof InfluxQLError)) {
        return reply
          .status(405)
          .header('Allow', 'POST')
          .send({
            error: `"${writing.text}" changes data or schema and needs a POST request; GET /query is for SELECT and SHOW`,
          });
      }
    }
    const db = q.db;
    const isAdmin =
      identity.kind === 'anonymous' || (identity.kind === 'user' && identity.principal.role === 'admin');
    if (identity.kind === 'user' && identity.principal.role === 'client') {
      return reply
        .status(403)
        .send({ error: `user "${identity.principal.username}" may not query (role client)` });
    }
    if (identity.kind === 'token') {
      const readable = db !== undefined && tokenAllows(identity.token, 'read', db);
      if (!readable && !tokenAllows(identity.token, 'read', '*')) {
        return reply.status(403).send({
          error: `token "${identity.token.name}" may not read ${db === undefined ? 'without a db' : `database "${db}"`}`,
        });
      }
    }
    const results = await executeStatements(statements, {
      store: opts.store,
      database: db,
      nowMicros: opts.nowMicros(),
      maxPoints: opts.maxPoints,
      ...(opts.maxSeries === undefined ? {} : { maxSeries: opts.maxSeries }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      admin: isAdmin,
      ...(opts.retention ? { retention: opts.retention } : {}),
    });
    const accept = req.headers.accept ?? '';
    if (accept.includes('application/csv') || accept.includes('text/csv')) {
      return reply.type('application/csv').send(csvOf(shapeResults(results, q.epoch)));
    }
    if (q.pretty === 'true') {
      const body = { results: shapeResults(results, q.epoch) };
      return reply.type('application/json').send(JSON.stringify(body, null, 4));
    }
    // chunked=true: one JSON object per statement, newline-separated, as InfluxDB's chunked responses.
    const pieces =
      q.chunked === 'true'
        ? (function* () {
            for (const [i, r] of results.entries()) {
              if (i > 0) yield Buffer.from('\n');
              yield* jsonPieces([r], q.epoch);
            }
          })()
        : jsonPieces(results, q.epoch);
    reply.type('application/json');
    // A large answer is sent as it is written (chunked transfer encoding), so the client reads while the
    // rest is formatted and no second copy of the whole body is held.
    if (rowCount(results) < STREAM_ROWS) return reply.send(Buffer.concat([...pieces]));
    return reply.send(Readable.from(pieces, { objectMode: false }));
  };

  app.get('/query', handler);
  app.post('/query', handler);
};

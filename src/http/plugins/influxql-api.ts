import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { tokenAllows } from '../../auth/tokens.js';
import { AppError, errorMessage } from '../../core/errors.js';
import type { ParsedStatement } from '../../query/influxql/ast.js';
import type { Value } from '../../query/influxql/evaluate.js';
import { executeStatements, type StatementResult } from '../../query/influxql/execute.js';
import { InfluxQLError } from '../../query/influxql/influxql-error.js';
import { parseInfluxQLStatements } from '../../query/influxql/parser.js';
import { zoneOffsetMicros } from '../../query/influxql/timezone.js';
import type { RetentionPolicies } from '../../storage/retention.js';
import type { TimeSeriesStore } from '../../storage/store.js';
import { authenticate } from '../auth-hook.js';
import { INFLUXDB_HEADERS } from './influx-write.js';

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

/** µs per unit of the `epoch` parameter. */
const EPOCH_UNITS: Readonly<Record<string, number>> = {
  ns: 0.001,
  n: 0.001,
  u: 1,
  µ: 1,
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

type Params = Record<string, string | undefined>;

function paramsOf(req: FastifyRequest): Params {
  const q = { ...(req.query as Params) };
  // POST /query with a form body (as the InfluxDB clients send q there).
  if (req.body && typeof req.body === 'object') Object.assign(q, req.body as Params);
  return q;
}

/**
 * RFC 3339 with the fraction trimmed, as InfluxDB prints times (its RFC3339Nano); in a tz() zone, local
 * time with its offset (`2024-01-01T01:00:00+01:00`).
 */
export function formatTime(micros: number, timezone?: string): string {
  const zone = timezone === undefined ? 0 : zoneOffsetMicros(timezone, micros);
  const local = micros + zone;
  const seconds = Math.floor(local / 1_000_000);
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  const frac = local - seconds * 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  if (zone === 0) return `${iso}${fraction}Z`;
  const minutes = Math.abs(zone) / 60_000_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${iso}${fraction}${zone < 0 ? '-' : '+'}${hh}:${mm}`;
}

function shapeResults(results: StatementResult[], epoch: string | undefined): unknown[] {
  const unit = epoch === undefined ? undefined : EPOCH_UNITS[epoch];
  return results.map(({ timezone, ...r }) => {
    const time = (t: Value) =>
      typeof t !== 'number' ? t : unit === undefined ? formatTime(t, timezone) : Math.floor(t / unit);
    return {
      ...r,
      ...(r.series
        ? {
            series: r.series.map(({ name, ...s }) => ({
              // Meta statements that are not about a measurement (SHOW SERIES, …) have no name.
              ...(name === '' ? {} : { name }),
              ...s,
              values:
                s.columns[0] === 'time'
                  ? s.values.map(([t, ...rest]) => [time(t ?? null), ...rest])
                  : s.values,
            })),
          }
        : {}),
    };
  });
}

function csvOf(results: unknown[]): string {
  const lines: string[] = [];
  let header = '';
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  for (const r of results as Array<{
    series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
  }>) {
    for (const s of r.series ?? []) {
      const h = ['name', 'tags', ...s.columns].join(',');
      if (h !== header) {
        if (lines.length > 0) lines.push('');
        lines.push(h);
        header = h;
      }
      const tags = s.tags
        ? Object.entries(s.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '';
      for (const row of s.values) lines.push([cell(s.name), cell(tags), ...row.map(cell)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
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
      const status = code === 'AUTH_BLOCKED' ? 429 : code === 'AUTH_THROTTLED' ? 503 : 401;
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
    const shaped = shapeResults(results, q.epoch);
    const accept = req.headers.accept ?? '';
    if (accept.includes('application/csv') || accept.includes('text/csv')) {
      return reply.type('application/csv').send(csvOf(shaped));
    }
    if (q.chunked === 'true') {
      // One JSON object per statement, newline-separated, as InfluxDB's chunked responses.
      return reply
        .type('application/json')
        .send(shaped.map((r) => JSON.stringify({ results: [r] })).join('\n'));
    }
    const body = { results: shaped };
    return reply
      .type('application/json')
      .send(q.pretty === 'true' ? JSON.stringify(body, null, 4) : JSON.stringify(body));
  };

  app.get('/query', handler);
  app.post('/query', handler);
};

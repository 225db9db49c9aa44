import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { tokenAllows } from '../../auth/tokens.js';
import { AppError, errorMessage } from '../../core/errors.js';
import type { ParsedStatement, Statement } from '../../query/influxql/ast.js';
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

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let dayCache = { day: Number.NaN, prefix: '' };

/**
 * `YYYY-MM-DDTHH:MM:SS` of epoch seconds. A result has thousands of times on few days: the date part is
 * formatted once per day, the time of day with arithmetic (Date#toISOString per row was the largest cost of
 * a 1,440-bucket answer).
 */
function isoSeconds(seconds: number): string {
  const day = Math.floor(seconds / 86_400);
  if (day !== dayCache.day) {
    dayCache = { day, prefix: new Date(day * 86_400_000).toISOString().slice(0, 11) };
  }
  const inDay = seconds - day * 86_400;
  const h = Math.floor(inDay / 3600);
  const m = Math.floor((inDay % 3600) / 60);
  return `${dayCache.prefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[inDay % 60]}`;
}

/**
 * RFC 3339 with the fraction trimmed, as InfluxDB prints times (its RFC3339Nano); in a tz() zone, local
 * time with its offset (`2024-01-01T01:00:00+01:00`).
 */
export function formatTime(micros: number, timezone?: string): string {
  const zone = timezone === undefined ? 0 : zoneOffsetMicros(timezone, micros);
  const local = micros + zone;
  const seconds = Math.floor(local / 1_000_000);
  const iso = isoSeconds(seconds);
  const frac = local - seconds * 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  if (zone === 0) return `${iso}${fraction}Z`;
  const minutes = Math.abs(zone) / 60_000_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${iso}${fraction}${zone < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** Results in InfluxDB's shape: `time` columns in the `epoch` unit or RFC 3339, SHOW answers without name. */
function shapeResults(results: StatementResult[], epoch: string | undefined): unknown[] {
  return shapeWith(results, epoch, (values, time, timed) =>
    timed ? values.map(([t, ...rest]) => [time(t ?? null), ...rest]) : values,
  );
}

/**
 * shapeResults with `values` left to `rows`: the JSON path passes a placeholder there instead of a copy of
 * every row, and writes the rows itself (jsonBody).
 */
function shapeWith(
  results: StatementResult[],
  epoch: string | undefined,
  rows: (values: Value[][], time: (t: Value) => Value, timed: boolean) => unknown,
): unknown[] {
  const unit = epoch === undefined ? undefined : EPOCH_UNITS[epoch];
  return results.map(({ timezone, ...r }) => {
    const time = (t: Value): Value =>
      typeof t !== 'number' ? t : unit === undefined ? formatTime(t, timezone) : Math.floor(t / unit);
    return {
      ...r,
      ...(r.series
        ? {
            series: r.series.map(({ name, ...s }) => ({
              // Meta statements that are not about a measurement (SHOW SERIES, …) have no name.
              ...(name === '' ? {} : { name }),
              ...s,
              values: rows(s.values, time, s.columns[0] === 'time'),
            })),
          }
        : {}),
    };
  });
}

/**
 * An integer's decimal text. Epoch times (13 to 19 digits) are heap numbers, whose String() takes the slow
 * general path; two halves below 10^8 are small integers, whose text is fast (and cached).
 */
export function integerText(v: number): string {
  if (v < 1e9 || v > Number.MAX_SAFE_INTEGER) return String(v);
  let hi = Math.floor(v / 1e8);
  let lo = v - hi * 1e8;
  // The division rounds: v / 1e8 can come out at the next integer when v's last digits are all 9s.
  if (lo < 0) {
    hi -= 1;
    lo += 1e8;
  }
  const low = String(lo);
  return `${hi}${'00000000'.slice(low.length)}${low}`;
}

/** A value as JSON.stringify writes it inside an array, without its generic dispatch. */
function jsonValue(v: Value | undefined): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return integerText(v);
    return Number.isFinite(v) ? String(v) : 'null';
  }
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/**
 * The same text as JSON.stringify(shapeResults(…)) (wrapped by `wrap`), written faster: a 1,000-series
 * answer in 1-minute buckets has 1.44 million rows, and copying each row to shape it, then serializing it
 * generically, took longer than computing it. The envelope is serialized with placeholders for `values`
 * (a NUL, a random nonce and an index: a tag value or a message would have to guess the nonce), which are
 * then replaced by rows written directly.
 */
function jsonBody(
  results: StatementResult[],
  epoch: string | undefined,
  wrap: (shaped: unknown) => unknown,
): string {
  const parts: string[] = [];
  const nonce = randomBytes(6).toString('hex');
  const shaped = shapeWith(results, epoch, (values, time, timed) => {
    const out = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) {
      const row = values[i] as Value[];
      let text = `[${jsonValue(timed ? time(row[0] ?? null) : row[0])}`;
      for (let c = 1; c < row.length; c++) text += `,${jsonValue(row[c])}`;
      out[i] = `${text}]`;
    }
    parts.push(`[${out.join(',')}]`);
    return `\u0000${nonce}:${parts.length - 1}`;
  });
  const placeholder = new RegExp(`"\\\\u0000${nonce}:(\\d+)"`, 'g');
  return JSON.stringify(wrap(shaped)).replace(placeholder, (_, k: string) => parts[Number(k)] as string);
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
    if (q.chunked === 'true') {
      // One JSON object per statement, newline-separated, as InfluxDB's chunked responses.
      return reply
        .type('application/json')
        .send(results.map((r) => jsonBody([r], q.epoch, (shaped) => ({ results: shaped }))).join('\n'));
    }
    if (q.pretty === 'true') {
      const body = { results: shapeResults(results, q.epoch) };
      return reply.type('application/json').send(JSON.stringify(body, null, 4));
    }
    return reply.type('application/json').send(jsonBody(results, q.epoch, (shaped) => ({ results: shaped })));
  };

  app.get('/query', handler);
  app.post('/query', handler);
};

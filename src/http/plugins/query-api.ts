import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { SeriesListDto } from '../../contract/api.js';
import { parseDuration } from '../../core/duration.js';
import { AppError } from '../../core/errors.js';
import type { Fill } from '../../query/fill.js';
import type { QueryPlan, QueryService } from '../../query/query-service.js';
import { parseTimeBound } from '../../query/time-params.js';
import { AGGREGATE_NAMES } from '../../storage/semantics.js';
import type { Aggregate, TimeSeriesStore } from '../../storage/store.js';
import { requireAuth } from '../auth-hook.js';

export interface QueryRoutesOptions {
  readonly auth: Authenticator;
  readonly store: TimeSeriesStore;
  readonly queryService: QueryService;
  readonly defaultDatabase: string;
  readonly nowMicros: () => number;
}

const DEFAULT_RANGE = '-1h';

type Params = Record<string, string | string[] | undefined>;

function param(q: Params, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bad(message: string): AppError {
  return new AppError('QRY_BAD_PARAM', message);
}

/** Builds the syntax-independent plan from `GET /api/v1/query` parameters; every mistake is named. */
export function planFromParams(q: Params, defaultDatabase: string, nowUs: number): QueryPlan {
  const measurement = param(q, 'measurement');
  if (!measurement) throw bad('measurement is required');
  const field = param(q, 'field') ?? 'value';
  const agg = (param(q, 'agg') ?? 'raw') as Aggregate;
  if (!AGGREGATE_NAMES.includes(agg)) throw bad(`agg "${agg}" is not one of ${AGGREGATE_NAMES.join(', ')}`);

  const fromText = param(q, 'from') ?? DEFAULT_RANGE;
  const toText = param(q, 'to') ?? 'now';
  const from = parseTimeBound(fromText, nowUs);
  if (from === undefined)
    throw bad(`from "${fromText}" is not RFC 3339, epoch ms, now, or relative like -5m`);
  const toBound = parseTimeBound(toText, nowUs);
  if (toBound === undefined) throw bad(`to "${toText}" is not RFC 3339, epoch ms, now, or relative like -5m`);
  // `to` is inclusive for the caller (to=now includes a point written this instant); the store's is exclusive.
  const to = toBound + 1;
  if (to <= from) throw bad(`from (${fromText}) must be before to (${toText})`);

  let interval: number | undefined;
  const intervalText = param(q, 'interval');
  if (intervalText !== undefined) {
    const ms = parseDuration(intervalText);
    if (ms === undefined || ms <= 0)
      throw bad(`interval "${intervalText}" is not a duration like 1s, 5m, 1h`);
    interval = Math.round(ms * 1000);
  }
  if (interval !== undefined && agg === 'raw') throw bad('interval needs an aggregate (agg=mean, max, …)');

  const fillText = param(q, 'fill') ?? 'none';
  let fill: Fill;
  if (fillText === 'none' || fillText === 'null' || fillText === 'previous' || fillText === 'linear')
    fill = fillText;
  else if (fillText.trim() !== '' && Number.isFinite(Number(fillText))) fill = Number(fillText);
  else throw bad(`fill "${fillText}" is not none, null, previous, linear or a number`);

  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(q)) {
    if (!key.startsWith('tag.')) continue;
    const tagKey = key.slice(4);
    const v = Array.isArray(value) ? value[value.length - 1] : value;
    if (tagKey === '' || v === undefined) throw bad(`tag filter "${key}" needs a key and a value`);
    tags[tagKey] = v;
  }

  const plan: QueryPlan = {
    database: param(q, 'db') ?? defaultDatabase,
    measurement,
    field,
    tags,
    from,
    to,
    aggregate: agg,
    fill,
    ...(interval === undefined ? {} : { interval }),
  };
  return plan;
}

/** The first slice of the REST API: query and series catalog. */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', requireAuth(opts.auth, ['admin', 'viewer']));

  app.get('/api/v1/query', async (req) => {
    const plan = planFromParams(req.query as Params, opts.defaultDatabase, opts.nowMicros());
    return opts.queryService.run(plan);
  });

  app.get('/api/v1/series', async (req): Promise<SeriesListDto> => {
    const q = req.query as Params;
    const db = param(q, 'db');
    const measurement = param(q, 'measurement');
    const series = await opts.store.listSeries({
      ...(db === undefined ? {} : { database: db }),
      ...(measurement === undefined ? {} : { measurement }),
    });
    return { series: series.map((s) => ({ ...s, tags: { ...s.tags }, fields: { ...s.fields } })) };
  });
};

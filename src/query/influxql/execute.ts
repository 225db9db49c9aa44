import { AppError, errorMessage } from '../../core/errors.js';
import { CREATED_DATABASE_KEY, listAllDatabases, RetentionPolicies } from '../../storage/retention.js';
import type { SeriesInfo, TimeSeriesStore } from '../../storage/store.js';
import type { AdminStatement, Expr, ParsedStatement, ShowStatement, Source } from './ast.js';
import { matches, queryError, regexOf, type Value } from './evaluate.js';
import {
  alterRetentionPolicy,
  createDatabasePolicy,
  createRetentionPolicy,
  dropRetentionPolicy,
  showRetentionPolicies,
} from './execute-retention.js';
import { InfluxQLError } from './influxql-error.js';
import { DEFAULT_MAX_SERIES, DEFAULT_TIMEOUT_MS, Deadline, guardStore, timeoutError } from './limits.js';
import { executeSelect, type ResultSeries } from './select.js';

export interface ExecuteContext {
  readonly store: TimeSeriesStore;
  /** The `db` parameter. */
  readonly database: string | undefined;
  readonly nowMicros: number;
  readonly maxPoints: number;
  /** query.maxSeries: most series one statement may read (default DEFAULT_MAX_SERIES). */
  readonly maxSeries?: number;
  /** query.timeout in ms, per statement; 0: none (default DEFAULT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The clock statement deadlines are measured with (tests inject one). */
  readonly nowMs?: () => number;
  /**
   * The running statement's deadline, set by executeStatements for the executor's long loops to check
   * (`ctx.deadline?.check()`); store calls are checked already (limits.ts).
   */
  readonly deadline?: Deadline;
  /** Whether the caller may run statements that change things (CREATE/DROP). */
  readonly admin: boolean;
  /**
   * The server's retention policies, so that a change applies to its write path at once. Without it,
   * statements read and write the policies in the store (the server then sees a change within a second).
   */
  readonly retention?: RetentionPolicies;
}

export interface StatementResult {
  readonly statement_id: number;
  readonly series?: ResultSeries[];
  readonly error?: string;
  /** A SELECT's tz(): how its times are written (not part of the answer itself). */
  readonly timezone?: string;
}

/** Meta key of databases created with CREATE DATABASE (before their first point). */
const DATABASE_KEY = CREATED_DATABASE_KEY;

/**
 * Runs parsed statements one after another, as InfluxDB does: a statement's error is reported in its own
 * result and the next ones still run.
 */
export async function executeStatements(
  statements: ReadonlyArray<ParsedStatement | InfluxQLError>,
  ctx: ExecuteContext,
): Promise<StatementResult[]> {
  const results: StatementResult[] = [];
  for (let i = 0; i < statements.length; i++) {
    const entry = statements[i] as ParsedStatement | InfluxQLError;
    if (entry instanceof InfluxQLError) {
      results.push({ statement_id: i, error: entry.message });
      continue;
    }
    const { statement } = entry;
    try {
      const series = await executeLimited(statement, ctx);
      const tz =
        statement.kind === 'select' && statement.timezone !== undefined
          ? { timezone: statement.timezone }
          : {};
      results.push(series.length > 0 ? { statement_id: i, series, ...tz } : { statement_id: i });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ statement_id: i, error: errorMessage(err) });
    }
  }
  return results;
}

/**
 * One statement within query.maxPoints, query.maxSeries and query.timeout: its store reads go through
 * guardStore, and the caller stops waiting when the time is up. A statement abandoned that way stops at its
 * next store call (which throws QRY_TIMEOUT); a DuckDB read already running finishes in the store thread.
 */
async function executeLimited(
  statement: ParsedStatement['statement'],
  ctx: ExecuteContext,
): Promise<ResultSeries[]> {
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = new Deadline(timeoutMs, ctx.nowMs);
  const limits = { maxPoints: ctx.maxPoints, maxSeries: ctx.maxSeries ?? DEFAULT_MAX_SERIES, timeoutMs };
  const running = executeOne(statement, { ...ctx, store: guardStore(ctx.store, limits, deadline), deadline });
  if (timeoutMs <= 0) return running;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(timeoutMs)), deadline.remainingMs());
  });
  // Once abandoned, the statement's own failure (QRY_TIMEOUT at its next read) has no one to report to.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function executeOne(
  statement: ParsedStatement['statement'],
  ctx: ExecuteContext,
): Promise<ResultSeries[]> {
  switch (statement.kind) {
    case 'select':
      return executeSelect(statement, ctx);
    case 'show_databases':
    case 'show_retention_policies':
    case 'show_measurements':
    case 'show_tag_keys':
    case 'show_tag_values':
    case 'show_field_keys':
    case 'show_series':
      return show(statement, ctx);
    default:
      return admin(statement, ctx);
  }
}

/** Every database: those holding data and those created empty with CREATE DATABASE. */
export const databases = listAllDatabases;

function retentionOf(ctx: ExecuteContext): RetentionPolicies {
  return ctx.retention ?? new RetentionPolicies({ store: ctx.store });
}

function dbOf(statementDb: string | undefined, ctx: ExecuteContext): string {
  const db = statementDb || ctx.database;
  if (!db) throw queryError('database name required');
  return db;
}

function sourceMatches(sources: readonly Source[], measurement: string): boolean {
  if (sources.length === 0) return true;
  return sources.some((s) =>
    s.kind === 'regex' ? regexOf(s.source).test(measurement) : s.name === measurement,
  );
}

/** A WHERE of a SHOW statement: tags only (InfluxDB's meta queries have no field or time conditions here). */
function seriesMatches(cond: Expr | undefined, s: SeriesInfo): boolean {
  if (!cond) return true;
  return matches(cond, (name) => s.tags[name]);
}

function page<T>(items: T[], limit: number | undefined, offset: number | undefined): T[] {
  const start = offset ?? 0;
  return items.slice(start, limit === undefined ? undefined : start + limit);
}

const byMeasurement = (series: readonly SeriesInfo[]) => {
  const m = new Map<string, SeriesInfo[]>();
  for (const s of series) {
    const list = m.get(s.measurement) ?? [];
    list.push(s);
    m.set(s.measurement, list);
  }
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};

const TYPE_NAMES: Record<string, string> = { float: 'float', boolean: 'boolean', string: 'string' };

async function show(s: ShowStatement, ctx: ExecuteContext): Promise<ResultSeries[]> {
  switch (s.kind) {
    case 'show_databases':
      return [{ name: 'databases', columns: ['name'], values: (await databases(ctx.store)).map((d) => [d]) }];
    case 'show_retention_policies':
      return showRetentionPolicies(ctx.store, retentionOf(ctx), dbOf(s.database, ctx));
    case 'show_measurements': {
      const db = dbOf(s.database, ctx);
      const all = await ctx.store.listSeries({ database: db });
      let names = byMeasurement(all.filter((x) => seriesMatches(s.condition, x))).map(([m]) => m);
      if (s.measurement) {
        const { op, value } = s.measurement;
        names = names.filter((n) =>
          op === '='
            ? n === value
            : op === '!='
              ? n !== value
              : op === '=~'
                ? regexOf(value).test(n)
                : !regexOf(value).test(n),
        );
      }
      names = page(names, s.limit, s.offset);
      return names.length === 0
        ? []
        : [{ name: 'measurements', columns: ['name'], values: names.map((n) => [n]) }];
    }
    case 'show_tag_keys': {
      const db = dbOf(s.database, ctx);
      const out: ResultSeries[] = [];
      for (const [m, series] of byMeasurement(await ctx.store.listSeries({ database: db }))) {
        if (!sourceMatches(s.sources, m)) continue;
        const keys = new Set<string>();
        for (const x of series)
          if (seriesMatches(s.condition, x)) for (const k of Object.keys(x.tags)) keys.add(k);
        const list = page([...keys].sort(), s.limit, s.offset);
        if (list.length > 0) out.push({ name: m, columns: ['tagKey'], values: list.map((k) => [k]) });
      }
      return out;
    }
    case 'show_tag_values': {
      const db = dbOf(s.database, ctx);
      const { op, values } = s.key;
      const keyMatches = (k: string) =>
        op === '=' || op === 'in'
          ? values.includes(k)
          : op === '!='
            ? !values.includes(k)
            : op === '=~'
              ? regexOf(values[0] ?? '').test(k)
              : !regexOf(values[0] ?? '').test(k);
      const out: ResultSeries[] = [];
      for (const [m, series] of byMeasurement(await ctx.store.listSeries({ database: db }))) {
        if (!sourceMatches(s.sources, m)) continue;
        const pairs = new Set<string>();
        for (const x of series) {
          if (!seriesMatches(s.condition, x)) continue;
          for (const [k, v] of Object.entries(x.tags)) if (keyMatches(k)) pairs.add(JSON.stringify([k, v]));
        }
        const rows = page(
          [...pairs]
            .map((p) => JSON.parse(p) as [string, string])
            .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1)),
          s.limit,
          s.offset,
        );
        if (rows.length > 0) out.push({ name: m, columns: ['key', 'value'], values: rows });
      }
      return out;
    }
    case 'show_field_keys': {
      const db = dbOf(s.database, ctx);
      const out: ResultSeries[] = [];
      for (const [m, series] of byMeasurement(await ctx.store.listSeries({ database: db }))) {
        if (!sourceMatches(s.sources, m)) continue;
        const fields = new Map<string, string>();
        for (const x of series)
          for (const [f, t] of Object.entries(x.fields)) fields.set(f, TYPE_NAMES[t] ?? t);
        const rows = page(
          [...fields].sort(([a], [b]) => (a < b ? -1 : 1)),
          s.limit,
          s.offset,
        );
        if (rows.length > 0) out.push({ name: m, columns: ['fieldKey', 'fieldType'], values: rows });
      }
      return out;
    }
    case 'show_series': {
      const db = dbOf(s.database, ctx);
      const keys = new Set<string>();
      for (const x of await ctx.store.listSeries({ database: db })) {
        if (!sourceMatches(s.sources, x.measurement) || !seriesMatches(s.condition, x)) continue;
        const tags = Object.keys(x.tags).sort();
        keys.add([x.measurement, ...tags.map((k) => `${k}=${x.tags[k]}`)].join(','));
      }
      const rows = page([...keys].sort(), s.limit, s.offset);
      return rows.length === 0
        ? []
        : [{ name: '', columns: ['key'], values: rows.map((k) => [k] as Value[]) }];
    }
  }
}

async function admin(s: AdminStatement, ctx: ExecuteContext): Promise<ResultSeries[]> {
  if (!ctx.admin) throw new AppError('AUTH_FORBIDDEN', `${s.kind.replace(/_/g, ' ')} needs an admin user`);
  switch (s.kind) {
    case 'create_database':
      await createDatabasePolicy(ctx.store, retentionOf(ctx), s);
      await ctx.store.setMeta(
        `${DATABASE_KEY}${s.name}`,
        JSON.stringify({ created: new Date().toISOString() }),
      );
      return [];
    case 'drop_database': {
      if ((await ctx.store.listDatabases()).includes(s.name))
        throw queryError(`dropping a database that holds data is not supported yet: ${s.name}`);
      await ctx.store.deleteMeta(`${DATABASE_KEY}${s.name}`);
      await retentionOf(ctx).forget(s.name);
      return [];
    }
    case 'create_retention_policy':
      await createRetentionPolicy(ctx.store, retentionOf(ctx), s);
      return [];
    case 'alter_retention_policy':
      await alterRetentionPolicy(ctx.store, retentionOf(ctx), s);
      return [];
    case 'drop_retention_policy':
      await dropRetentionPolicy(ctx.store, retentionOf(ctx), s);
      return [];
    default:
      throw queryError(`${s.kind.replace(/_/g, ' ').toUpperCase()} is not supported yet`);
  }
}

import { AppError } from '../../core/errors.js';
import { tagPredicateMatches, tagsMatch } from '../../storage/semantics.js';
import type { QueryResult, SeriesInfo, SeriesQuery, TimeSeriesStore } from '../../storage/store.js';

/** query.maxPoints, query.maxSeries, query.timeout: what one InfluxQL statement may cost. */
export interface QueryLimits {
  /** Values read from the store (over all its store calls). */
  readonly maxPoints: number;
  /** Series (measurement and tag set) read from the store. */
  readonly maxSeries: number;
  /** Wall time in ms; 0: none. */
  readonly timeoutMs: number;
}

export const DEFAULT_MAX_SERIES = 100_000;
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A statement's time budget. The executor is JavaScript over store reads, so it cannot be preempted:
 * check() is called between store calls (by guardStore) and should be called in long loops (every few
 * thousand rows); executeStatements also stops waiting for a statement once its time is up.
 */
export class Deadline {
  readonly #at: number;

  constructor(
    readonly timeoutMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.#at = timeoutMs > 0 ? nowMs() + timeoutMs : Number.POSITIVE_INFINITY;
  }

  get expired(): boolean {
    return this.nowMs() >= this.#at;
  }

  /** Milliseconds left (Infinity without a timeout). */
  remainingMs(): number {
    return Math.max(0, this.#at - this.nowMs());
  }

  /** Throws QRY_TIMEOUT once the time is up. */
  check(): void {
    if (this.expired) throw timeoutError(this.timeoutMs);
  }
}

export function timeoutError(timeoutMs: number): AppError {
  return new AppError(
    'QRY_TIMEOUT',
    `query timeout: the statement ran longer than query.timeout (${timeoutMs / 1000} s) and was stopped; narrow the time range, add tag conditions or use a wider GROUP BY time() (QRY_TIMEOUT)`,
  );
}

function tooManyPoints(maxPoints: number): AppError {
  return new AppError(
    'QRY_TOO_MANY_POINTS',
    `max-select-point limit exceeded: the statement reads more than query.maxPoints (${maxPoints}) values; narrow the time range or add tag conditions (QRY_TOO_MANY_POINTS)`,
  );
}

function tooManySeries(maxSeries: number): AppError {
  return new AppError(
    'QRY_TOO_MANY_SERIES',
    `max-select-series limit exceeded: the statement reads more than query.maxSeries (${maxSeries}) series; add tag conditions (WHERE tag = '…') or a narrower FROM (QRY_TOO_MANY_SERIES)`,
  );
}

/** The per-statement accounting behind guardStore. */
class StatementBudget {
  readonly #series = new Set<string>();
  #points = 0;
  /** listSeries answers by database, to count a query's series before it reads them. */
  readonly #catalog = new Map<string, readonly SeriesInfo[]>();

  constructor(
    private readonly limits: QueryLimits,
    readonly deadline: Deadline,
  ) {}

  remember(database: string | undefined, series: readonly SeriesInfo[]): void {
    if (database !== undefined) this.#catalog.set(database, series);
  }

  /**
   * Counts the series a query will read, from the catalog, and refuses before reading if too many. Without
   * a catalog (no listSeries before), after() counts the series the answer holds instead.
   */
  before(q: SeriesQuery): SeriesQuery {
    const catalog = this.#catalog.get(q.database);
    if (catalog !== undefined) {
      for (const s of catalog) {
        if (
          s.measurement === q.measurement &&
          q.field in s.fields &&
          tagsMatch(s.tags, q.tags) &&
          (q.tagPredicate === undefined || tagPredicateMatches(s.tags, q.tagPredicate))
        ) {
          this.#addSeries(q.database, s.measurement, s.tags);
        }
      }
    }
    // The store stops at the budget that is left: memory stays bounded over all calls of the statement.
    const left = this.limits.maxPoints - this.#points;
    return q.limit > left ? { ...q, limit: Math.max(1, left) } : q;
  }

  after(q: SeriesQuery, result: QueryResult): void {
    if (result.truncated) throw tooManyPoints(this.limits.maxPoints);
    const counted = this.#catalog.has(q.database);
    for (const s of result.series) {
      // Grouped answers (groupBy) hold groups, not series: only the catalog can count those.
      if (!counted && q.groupBy === undefined) this.#addSeries(q.database, s.measurement, s.tags);
      this.#points += s.time.length;
    }
    if (this.#points > this.limits.maxPoints) throw tooManyPoints(this.limits.maxPoints);
  }

  #addSeries(database: string, measurement: string, tags: Readonly<Record<string, string>>): void {
    const keys = Object.keys(tags).sort();
    this.#series.add(`${database}\n${measurement}\n${keys.map((k) => `${k}=${tags[k]}`).join(',')}`);
    if (this.#series.size > this.limits.maxSeries) throw tooManySeries(this.limits.maxSeries);
  }
}

/** Store methods that answer from memory at once: no deadline to check. */
const SYNC_METHODS = new Set<PropertyKey>(['stats', 'isWritable']);

/**
 * The store as one statement sees it: every call checks the deadline before and after (so a statement
 * whose time is up stops at its next read, even one executeStatements has stopped waiting for), and
 * `query` calls are counted against query.maxPoints and query.maxSeries, refused before reading when the
 * catalog already shows too many series. A Proxy, so that store methods added later pass through checked.
 */
export function guardStore(store: TimeSeriesStore, limits: QueryLimits, deadline: Deadline): TimeSeriesStore {
  const budget = new StatementBudget(limits, deadline);
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (SYNC_METHODS.has(prop)) return method.bind(target);
      return async (...args: unknown[]) => {
        deadline.check();
        if (prop === 'query') {
          const q = budget.before(args[0] as SeriesQuery);
          const result = (await method.call(target, q)) as QueryResult;
          deadline.check();
          budget.after(q, result);
          return result;
        }
        const result = await method.apply(target, args);
        deadline.check();
        if (prop === 'listSeries') {
          budget.remember((args[0] as { database?: string } | undefined)?.database, result as SeriesInfo[]);
        }
        return result;
      };
    },
  });
}

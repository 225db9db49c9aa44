import pg from 'pg';
import { AppError, errorMessage } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type EpochMicros, type FieldType, type Point, seriesKey } from '../../core/point.js';
import { SerialQueue } from '../duckdb/serial-queue.js';
import {
  checkDeadLetterFilter,
  checkDeadLetterIds,
  checkDeadLetterLimits,
  checkDeadLetterSelection,
} from '../memory/dead-letter-semantics.js';
import { validateRetentionCutoff } from '../retention-cutoff.js';
import {
  compareStrings,
  groupSeries,
  seriesIdentity,
  sortedTags,
  tagPredicateMatches,
  validateAggregateType,
  validatePointTimes,
  validateQuery,
} from '../semantics.js';
import type {
  DatabaseStats,
  DeadLetter,
  DeadLetterCountFilter,
  DeadLetterFilter,
  DeadLetterLimits,
  QueryResult,
  RollupLevel,
  RollupReport,
  SeriesFilter,
  SeriesInfo,
  SeriesQuery,
  StoreBackup,
  StoredDeadLetter,
  StoreStats,
  TimeSeriesStore,
  WriteOutcome,
} from '../store.js';
import { SeriesCache } from './catalog.js';
import { clientConfig, type PasswordSource, redact } from './connection.js';
import {
  appendDeadLetterRows,
  countDeadLettersSql,
  decodeDeadLetters,
  deleteDeadLetterRows,
  listDeadLettersSql,
  pruneDeadLetterRows,
} from './dead-letter-sql.js';
import { loadState } from './load-state.js';
import { migrate, type PartitioningOption } from './migrations.js';
import { describePgError } from './pg-errors.js';
import {
  type CompiledQuery,
  compileSeriesQuery,
  decodeSeriesRows,
  groupSeriesRows,
  type SelectedGroup,
  type SelectedSeries,
  seriesOfQuerySql,
} from './query-sql.js';
import {
  databaseStatsOf,
  deleteSamplesBefore,
  dropPartitionIfOwned,
  partitionsBefore,
  samplesBytesSql,
  samplesPerDatabaseSql,
  seriesPerDatabaseSql,
} from './retention-sql.js';
import { type ProvisionOptions, provisionRoles, type RoleNames } from './roles.js';
import { PostgresRollups } from './rollups.js';
import { type Partitioning, SCHEMA_NAME_PATTERN, type SchemaNames, schemaNames } from './schema.js';
import { monthOf, timestampLiteral } from './time.js';
import { WriteConnection } from './write-connection.js';
import { planWrite } from './write-plan.js';
import {
  FieldTypeRace,
  insertFieldTypes,
  learnFieldTypes,
  mergeRows,
  type ResolvedSeries,
  resolveSeries,
  stageRows,
} from './write-sql.js';

export interface PostgresStoreOptions {
  /**
   * `postgres://user@host:port/database`, optionally `?sslmode=require|verify-full` or `?host=/socket/dir`.
   * No password in it (refused with CFG_INVALID): see `password`.
   */
  readonly url: string;
  /** The role's password, or a function returning it (called for every new connection). */
  readonly password?: PasswordSource;
  /** The schema that holds sensorhub's tables; default `sensorhub`. */
  readonly schema?: string;
  /** How `samples` is partitioned when the schema is first created; default `auto`. */
  readonly partitioning?: PartitioningOption;
  /** Connections for reads (queries, listings); writes have their own. Default 4. */
  readonly poolSize?: number;
  readonly logger?: Logger;
  /**
   * Rollup levels kept (rollups.ts); default none. Maintained by maintainRollups(), which needs the
   * schema owner (see docs/postgresql.md); any role that may read samples reads them.
   */
  readonly rollups?: readonly RollupLevel[];
  /**
   * Fault injection for tests: runs inside every write transaction just before COMMIT. A throw there
   * fails the transaction exactly as a database error would.
   */
  readonly beforeCommit?: () => void | Promise<void>;
}

interface OpenStore {
  readonly writer: WriteConnection;
  readonly pool: pg.Pool;
  readonly partitioning: Partitioning;
}

/** Session settings of every connection: commits durable when they return, floats sent exactly. */
const SESSION_OPTIONS = '-c synchronous_commit=on -c extra_float_digits=3';
/** Attempts of a write that keeps losing a race on a new field's type to other writers. */
const MAX_WRITE_ATTEMPTS = 5;
const EMPTY: QueryResult = { series: [], truncated: false };

/**
 * The PostgreSQL driver: the store as tables in a PostgreSQL database (schema.ts), so that Grafana and
 * other tools read them directly and several sensorhub processes can share them.
 *
 * Writes go one at a time through a dedicated connection (one transaction per call, COPY then merge, see
 * write-sql.ts); reads use a pool. The series catalog and field types are cached (catalog.ts) but always
 * checked against the database when missing, so another process's series and types are found. stats()
 * counts what this process wrote on top of the totals it read at start: exact with one writer, a lower
 * bound of the other processes' writes when several share the database.
 */
export class PostgresStore implements TimeSeriesStore {
  readonly #options: PostgresStoreOptions;
  readonly #schema: string;
  readonly #names: SchemaNames;
  readonly #logger: Logger;
  readonly #writes = new SerialQueue();
  #open: OpenStore | undefined;
  #closing = false;
  #cache = new SeriesCache();
  readonly #rollups: PostgresRollups;
  /** Month starts (µs) whose samples partition is known to exist. */
  #partitions = new Set<number>();
  #series = 0;
  #samples = 0;
  #deadLetters = 0;

  constructor(options: PostgresStoreOptions) {
    this.#options = options;
    this.#schema = options.schema ?? 'sensorhub';
    this.#names = schemaNames(this.#schema);
    this.#logger = options.logger ?? silentLogger;
    this.#rollups = new PostgresRollups(this.#schema, options.rollups ?? []);
  }

  /**
   * Creates the roles of roles.ts (an insert-only one for ingest, a read-only one for Grafana) on the
   * database of `adminUrl`, migrating it first if it is empty.
   */
  static provisionRoles(adminUrl: string, roles: RoleNames, options?: ProvisionOptions): Promise<void> {
    return provisionRoles(adminUrl, roles, options);
  }

  /** How samples are partitioned, once started. */
  get partitioning(): Partitioning | undefined {
    return this.#open?.partitioning;
  }

  async start(): Promise<void> {
    if (this.#open !== undefined) throw new Error('PostgresStore is already started');
    if (!SCHEMA_NAME_PATTERN.test(this.#schema)) {
      throw new AppError(
        'CFG_INVALID',
        `PostgreSQL schema name "${this.#schema}" must be a lower-case SQL identifier`,
      );
    }
    const base = clientConfig(this.#options.url, this.#options.password);
    const config: pg.ClientConfig = { ...base, options: SESSION_OPTIONS };
    const writer = new WriteConnection({
      config,
      mergeFunction: `${this.#names.mergeStagedSamples}(bigint)`,
      logger: this.#logger,
      beforeCommit: this.#options.beforeCommit,
    });
    try {
      const client = await writer.session();
      const { partitioning } = await migrate(client, this.#schema, {
        partitioning: this.#options.partitioning ?? 'auto',
        logger: this.#logger,
      });
      const state = await loadState(client, this.#schema);
      this.#cache = state.cache;
      this.#partitions = new Set();
      this.#series = state.series;
      this.#samples = state.samples;
      this.#deadLetters = state.deadLetters;
      const pool = new pg.Pool({
        ...config,
        max: this.#options.poolSize ?? 4,
        application_name: 'sensorhub',
      });
      pool.on('error', (err) =>
        this.#logger.warn({ err: errorMessage(err) }, 'PostgreSQL read connection lost'),
      );
      this.#open = { writer, pool, partitioning };
      const mode = partitioning === 'native' ? 'native monthly partitions' : 'TimescaleDB hypertable';
      this.#logger.info(
        { url: redact(this.#options.url), schema: this.#schema, partitioning, series: this.#series },
        `PostgreSQL store ready (${mode})`,
      );
    } catch (err) {
      await writer.end();
      if (err instanceof AppError) throw err;
      const where = redact(this.#options.url);
      throw new AppError('STO_CLOSED', `cannot open PostgreSQL store ${where}: ${describePgError(err)}`, {
        cause: err,
      });
    }
  }

  async stop(): Promise<void> {
    const open = this.#open;
    if (open === undefined) return;
    this.#closing = true;
    try {
      await this.#writes.drain();
      await open.writer.end();
      await open.pool.end();
    } finally {
      this.#open = undefined;
      this.#closing = false;
    }
  }

  async write(points: readonly Point[]): Promise<WriteOutcome> {
    this.#assertOpen();
    validatePointTimes(points);
    return this.#writes.run(() => this.#writeBatch(points));
  }

  async query(q: SeriesQuery): Promise<QueryResult> {
    this.#assertOpen();
    validateQuery(q);
    const found = await this.#read<[FieldType, number | null, Record<string, string> | null]>(
      'query',
      seriesOfQuerySql(this.#schema, q),
    );
    const type = found[0]?.[0];
    if (type === undefined) return EMPTY;
    validateAggregateType(q, type);
    if (q.to <= q.from) return EMPTY;
    const series: Array<SelectedSeries & { key: string; identity: string }> = [];
    for (const [, id, tags] of found) {
      if (id === null || tags === null) continue;
      if (q.tagPredicate !== undefined && !tagPredicateMatches(tags, q.tagPredicate)) continue;
      const sorted = sortedTags(tags);
      series.push({
        id,
        tags: sorted,
        key: seriesKey(q.measurement, sorted),
        identity: seriesIdentity(q.database, q.measurement, sorted),
      });
    }
    if (series.length === 0) return EMPTY;
    series.sort((a, b) => compareStrings(a.key, b.key) || compareStrings(a.identity, b.identity));
    const groups = groupSeries(series, q.aggregate === 'raw' ? undefined : q.groupBy);
    if (q.aggregate !== 'raw' && type === 'float' && this.#rollups.enabled) {
      const rolled = await this.#queryRollups(q, groups);
      if (rolled !== undefined) return rolled;
    }
    const rows = await this.#read<unknown[]>('query', compileSeriesQuery(this.#schema, q, groups, type));
    return decodeSeriesRows(rows, q, groups);
  }

  /**
   * Rolls up closed buckets past each level's watermark, re-rolls dirty ones and prunes (rollups.ts), on
   * a pooled connection of its own, so that writes go on meanwhile. Needs the schema owner: it creates
   * and drops rollup partitions and writes the rollup tables. Processes sharing the schema take turns.
   */
  async maintainRollups(now: EpochMicros): Promise<RollupReport> {
    const open = this.#assertOpen();
    if (!this.#rollups.enabled) return { levels: [] };
    let client: pg.PoolClient;
    try {
      client = await open.pool.connect();
    } catch (err) {
      throw new AppError('STO_WRITE_FAILED', `roll up failed: ${describePgError(err)}`, { cause: err });
    }
    let broken: Error | undefined;
    try {
      return await this.#rollups.maintain(client, open.partitioning, now);
    } catch (err) {
      // The session lock goes with the session: a connection in an unknown state is closed, not reused.
      broken = err instanceof Error ? err : new Error(String(err));
      throw new AppError('STO_WRITE_FAILED', `roll up failed: ${describePgError(err)}`, { cause: err });
    } finally {
      client.release(broken);
    }
  }

  /** A float aggregate with rollups, in one REPEATABLE READ transaction (see PostgresRollups.read). */
  async #queryRollups(q: SeriesQuery, groups: readonly SelectedGroup[]): Promise<QueryResult | undefined> {
    const open = this.#assertOpen();
    let client: pg.PoolClient | undefined;
    try {
      client = await open.pool.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await this.#rollups.read(client, q, groups);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => undefined);
      throw new AppError('STO_READ_FAILED', `query failed: ${describePgError(err)}`, { cause: err });
    } finally {
      client?.release();
    }
  }

  async listSeries(filter: SeriesFilter): Promise<SeriesInfo[]> {
    this.#assertOpen();
    const rows = await this.#read<[string, string, Record<string, string>, string, FieldType]>(
      'list series',
      {
        text: `SELECT database, measurement, tags, field, type FROM ${this.#names.series}
        WHERE ($1::text IS NULL OR database = $1) AND ($2::text IS NULL OR measurement = $2)`,
        values: [filter.database ?? null, filter.measurement ?? null],
      },
    );
    return groupSeriesRows(rows);
  }

  async listDatabases(): Promise<string[]> {
    this.#assertOpen();
    const rows = await this.#read<[string]>('list databases', {
      text: `SELECT DISTINCT database FROM ${this.#names.series}`,
      values: [],
    });
    return rows.map(([d]) => d).sort(compareStrings);
  }

  async appendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    this.#assertOpen();
    if (letters.length === 0) return;
    await this.#writes.run(() =>
      this.#writer().transaction('append dead letters', (c) =>
        appendDeadLetterRows(c, this.#schema, letters),
      ),
    );
    this.#deadLetters += letters.length;
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    this.#assertOpen();
    const topic = checkDeadLetterFilter(filter);
    if (filter.limit === 0) return [];
    return decodeDeadLetters(
      await this.#read('list dead letters', listDeadLettersSql(this.#schema, filter, topic)),
    );
  }

  async countDeadLetters(filter: DeadLetterCountFilter): Promise<number> {
    this.#assertOpen();
    const topic = checkDeadLetterSelection(filter);
    const rows = await this.#read<[number]>(
      'count dead letters',
      countDeadLettersSql(this.#schema, filter, topic),
    );
    return rows[0]?.[0] ?? 0;
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    this.#assertOpen();
    checkDeadLetterIds(ids, 'ids');
    if (ids.length === 0) return 0;
    const deleted = await this.#writes.run(() =>
      this.#writer().transaction('delete dead letters', (c) => deleteDeadLetterRows(c, this.#schema, ids)),
    );
    this.#deadLetters -= deleted;
    return deleted;
  }

  async pruneDeadLetters(limits: DeadLetterLimits): Promise<number> {
    this.#assertOpen();
    checkDeadLetterLimits(limits);
    const { before, maxCount, maxBytes } = limits;
    if (before === undefined && maxCount === undefined && maxBytes === undefined) return 0;
    const deleted = await this.#writes.run(() =>
      this.#writer().transaction('prune dead letters', (c) => pruneDeadLetterRows(c, this.#schema, limits)),
    );
    this.#deadLetters -= deleted;
    return deleted;
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.#assertOpen();
    const rows = await this.#read<[string]>('read meta', {
      text: `SELECT value FROM ${this.#names.meta} WHERE key = $1`,
      values: [key],
    });
    return rows[0]?.[0];
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.putMetaBatch([[key, value]]);
  }

  async deleteMeta(key: string): Promise<boolean> {
    this.#assertOpen();
    return this.#writes.run(() =>
      this.#writer().transaction('delete meta', async (c) => {
        const result = await c.query(`DELETE FROM ${this.#names.meta} WHERE key = $1`, [key]);
        return (result.rowCount ?? 0) > 0;
      }),
    );
  }

  async putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
    this.#assertOpen();
    if (entries.length === 0) return;
    await this.#writes.run(() =>
      this.#writer().transaction('write meta', async (c) => {
        for (const [key, value] of entries) {
          if (value === null) await c.query(`DELETE FROM ${this.#names.meta} WHERE key = $1`, [key]);
          else {
            await c.query(
              `INSERT INTO ${this.#names.meta} (key, value) VALUES ($1, $2)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
              [key, value],
            );
          }
        }
      }),
    );
  }

  async listMeta(prefix: string): Promise<Array<[string, string]>> {
    this.#assertOpen();
    const rows = await this.#read<[string, string]>('list meta', {
      text: `SELECT key, value FROM ${this.#names.meta} WHERE starts_with(key, $1)`,
      values: [prefix],
    });
    // Sorted here: SQL collations do not order by UTF-16 code units as the other drivers do.
    return rows.sort(([a], [b]) => compareStrings(a, b));
  }

  /** PostgreSQL has consistent online backups of its own; a second mechanism here would only be weaker. */
  async backup(_targetPath: string): Promise<StoreBackup> {
    throw new AppError(
      'STO_BACKUP_UNSUPPORTED',
      `the data is in PostgreSQL: back it up with pg_dump (e.g. pg_dump --format=custom --schema=${this.#schema} DBNAME), and copy <dataDir>/blobs; see docs/operations.md`,
    );
  }

  /**
   * Native partitioning: whole months before the cutoff that hold only this database's rows are dropped
   * (each in its own short transaction: DROP locks samples), then one DELETE takes the rest. Needs a role
   * that may DELETE and DROP (the ingest role may not; see roles.ts).
   */
  async deleteBefore(database: string, before: EpochMicros): Promise<number> {
    const open = this.#assertOpen();
    validateRetentionCutoff(before);
    return this.#writes.run(async () => {
      let deleted = 0;
      if (open.partitioning === 'native') {
        const old = await this.#writer().run('list partitions', (c) =>
          partitionsBefore(c, this.#schema, before),
        );
        for (const partition of old) {
          const dropped = await this.#writer().transaction('drop partition', (c) =>
            dropPartitionIfOwned(c, this.#schema, database, partition),
          );
          if (dropped === undefined) continue;
          this.#partitions.delete(partition.start);
          deleted += dropped;
          this.#samples -= dropped;
          this.#logger.info(
            { database, partition: partition.name, samples: dropped },
            'retention dropped a whole month partition',
          );
        }
      }
      const rest = await this.#writer().transaction('delete before', (c) =>
        deleteSamplesBefore(c, this.#schema, database, before),
      );
      this.#samples -= rest;
      return deleted + rest;
    });
  }

  async databaseStats(): Promise<DatabaseStats[]> {
    const open = this.#assertOpen();
    const [series, samples, bytes] = await Promise.all([
      this.#read<[string, number]>('database stats', seriesPerDatabaseSql(this.#schema)),
      this.#read<[string, number, number | null, number | null]>(
        'database stats',
        samplesPerDatabaseSql(this.#schema),
      ),
      this.#read<[number]>('database stats', samplesBytesSql(this.#schema, open.partitioning)),
    ]);
    return databaseStatsOf(series, samples, bytes[0]?.[0] ?? 0);
  }

  isWritable(): boolean {
    return this.#open !== undefined && !this.#closing && !this.#open.writer.failedRecently();
  }

  stats(): StoreStats {
    return { series: this.#series, samples: this.#samples, deadLetters: this.#deadLetters };
  }

  async #writeBatch(points: readonly Point[]): Promise<WriteOutcome> {
    if (points.length === 0) return { written: 0, refused: [] };
    const absent = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      let plan = planWrite(points, this.#cache, absent);
      // Each lookup settles its keys (cached, or absent), so this ends; a second round is rare (a point
      // refused on a provisional type, whose later fields were never looked at).
      while (plan.unknownTypes.length > 0) {
        const unknown = plan.unknownTypes;
        await this.#writer().run('look up field types', (c) =>
          learnFieldTypes(c, this.#schema, unknown, this.#cache, absent),
        );
        plan = planWrite(points, this.#cache, absent);
      }
      const outcome = { written: plan.written, refused: plan.refused };
      if (plan.sid.length === 0) return outcome;
      await this.#ensurePartitions(plan.time);
      try {
        const done = await this.#writer().transaction('write', async (c) => {
          if (plan.newTypes.length > 0) await insertFieldTypes(c, this.#schema, plan.newTypes);
          let resolved: ResolvedSeries | undefined;
          if (plan.newSeries.length > 0) resolved = await resolveSeries(c, this.#schema, plan.newSeries);
          const staged = stageRows(plan, resolved, this.#cache);
          const replaced = await mergeRows(c, this.#schema, staged);
          return { resolved, staged, replaced };
        });
        // Committed: only now does the cache learn of it.
        for (const t of plan.newTypes) this.#cache.setFieldType(t.database, t.measurement, t.field, t.type);
        plan.newSeries.forEach((s, k) => {
          this.#cache.addSeries(s.identity, s.field, { id: done.resolved?.ids[k] as number, type: s.type });
        });
        for (const [id, time] of done.resolved?.lastTimes ?? []) this.#cache.raiseLastTime(id, time);
        for (const [id, time] of done.staged.batchMax) this.#cache.raiseLastTime(id, time);
        this.#series += done.resolved?.inserted.size ?? 0;
        this.#samples += plan.sid.length - done.replaced;
        return outcome;
      } catch (err) {
        if (!(err instanceof FieldTypeRace)) throw err;
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          this.#writer().failed();
          throw new AppError('STO_WRITE_FAILED', `write failed: ${err.message}, ${attempt} times in a row`, {
            cause: err,
          });
        }
        await this.#writer().run('look up field types', (c) =>
          learnFieldTypes(c, this.#schema, err.keys, this.#cache, absent),
        );
      }
    }
  }

  /**
   * Native partitioning: creates the month partitions the batch's times fall in, each once per process.
   * Outside the write transaction, so that the partition's lock is released at once.
   */
  async #ensurePartitions(times: readonly number[]): Promise<void> {
    if (this.#open?.partitioning !== 'native') return;
    const missing: number[] = [];
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const t of times) {
      if (t >= lo && t < hi) continue;
      ({ start: lo, end: hi } = monthOf(t));
      if (!this.#partitions.has(lo) && !missing.includes(lo)) missing.push(lo);
    }
    if (missing.length === 0) return;
    await this.#writer().run('create partitions', (c) =>
      c.query(`SELECT ${this.#names.ensurePartitions}($1::timestamptz[])`, [missing.map(timestampLiteral)]),
    );
    for (const m of missing) this.#partitions.add(m);
  }

  /** A read on the pool, as arrays of column values. */
  async #read<R extends unknown[]>(what: string, q: CompiledQuery): Promise<R[]> {
    const open = this.#assertOpen();
    try {
      const result = await open.pool.query<R>({ text: q.text, values: q.values, rowMode: 'array' });
      return result.rows;
    } catch (err) {
      throw new AppError('STO_READ_FAILED', `${what} failed: ${describePgError(err)}`, { cause: err });
    }
  }

  /** Not #assertOpen: writes queued before stop() still run while it waits for them. */
  #writer(): WriteConnection {
    if (this.#open === undefined) throw new AppError('STO_CLOSED', 'the PostgreSQL store is not started');
    return this.#open.writer;
  }

  #assertOpen(): OpenStore {
    if (this.#open === undefined || this.#closing) {
      throw new AppError('STO_CLOSED', 'the PostgreSQL store is not started or is stopping');
    }
    return this.#open;
  }
}

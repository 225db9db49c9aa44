import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DuckDBConnection, type DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import { AppError, errorMessage } from '../../core/errors.js';
import type { EpochMicros, FieldType, Point } from '../../core/point.js';
import { emptyGrid, gridFits, placeGrid } from '../bucket-grid.js';
import {
  checkDeadLetterFilter,
  checkDeadLetterIds,
  checkDeadLetterLimits,
  checkDeadLetterSelection,
} from '../memory/dead-letter-semantics.js';
import { validateRetentionCutoff } from '../retention-cutoff.js';
import { planSegments } from '../rollup/plan.js';
import {
  compareStrings,
  groupSeries,
  seriesSelected,
  validateAggregateType,
  validatePointTimes,
  validateQuery,
  WRITE_FAILURE_NOT_READY_MS,
} from '../semantics.js';
import type {
  BucketGrid,
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
import { type Appenders, appendChunks, discardAppenders, openAppenders } from './appenders.js';
import { copyDatabase } from './backup.js';
import { Catalog, type CatalogEntry } from './catalog.js';
import { deadLetterChunks, keyChunks, sampleChunks, seriesChunks } from './chunks.js';
import { readNumberColumns } from './columns.js';
import {
  closedSlicesBefore,
  compactSlice,
  LateRows,
  loadWatermark,
  SLICE_MICROS,
  saveWatermark,
  slicesWithSamples,
} from './compaction.js';
import { countDeadLettersSql, decodeDeadLetters, listDeadLettersSql } from './dead-letter-sql.js';
import { allocateDeadLetterIds, deleteDeadLettersById, pruneDeadLetterRows } from './dead-letter-writes.js';
import { deleteMetaKey, listMetaPrefix, readMeta, writeMeta } from './meta-sql.js';
import {
  compileSeriesQuery,
  decodeSeriesRows,
  narrowLast,
  numericResult,
  orderBucketRows,
  type QueryGroup,
} from './query-sql.js';
import {
  databaseStatsOf,
  deleteSamplesBefore,
  SAMPLES_PER_SID_SQL,
  USED_BYTES_SQL,
} from './retention-sql.js';
import { rollupQuerySql } from './rollup-sql.js';
import { DuckDbRollups } from './rollups.js';
import { createSchema, loadState, OVERWRITE_TABLE } from './schema.js';
import { SerialQueue } from './serial-queue.js';
import { planWrite, type WritePlan } from './write-plan.js';

export interface DuckDbStoreOptions {
  /** A database file (created, with its directory, if missing) or ':memory:'. */
  readonly path: string;
  /**
   * Fault injection for tests: runs inside every write transaction just before COMMIT. A throw there
   * fails the transaction exactly as a storage error would.
   */
  readonly beforeCommit?: () => void | Promise<void>;
  /** Rollup levels kept (rollups.ts); default none. */
  readonly rollups?: readonly RollupLevel[];
}

interface OpenDatabase {
  readonly instance: DuckDBInstance;
  /** Every transaction; one at a time through #writes. */
  readonly writer: DuckDBConnection;
  /** Every read; one at a time through #reads, so reads never wait behind a commit. */
  readonly reader: DuckDBConnection;
  /** Undefined after a failed transaction, until the next one reopens them. */
  appenders: Appenders | undefined;
  /** Resolved path while this store holds the file. */
  readonly file: string | undefined;
}

/**
 * Two DuckDB instances on one file in one process both open it (DuckDB's file lock is per process) and
 * then corrupt it; this refuses the second store instead.
 */
const filesInUse = new Set<string>();

const EMPTY: QueryResult = { series: [], truncated: false };

/** The embedded default driver. Layout and write path: schema.ts, write-plan.ts. */
/** Meta key prefix of the per-database retention cutoff (raw data is complete after it). */
const RAW_SINCE_KEY = 'storage.duckdb.raw_since:';

/** Hours compacted per compact() call (see compact). */
const MAX_SLICES_PER_CALL = 24;

export class DuckDbStore implements TimeSeriesStore {
  readonly #options: DuckDbStoreOptions;
  readonly #writes = new SerialQueue();
  readonly #reads = new SerialQueue();
  /** Backups, one at a time, each on a connection of its own (see backup.ts). */
  readonly #backups = new SerialQueue();
  #db: OpenDatabase | undefined;
  #closing = false;
  /**
   * When the last write failed, or undefined after a success. Readiness recovers by itself after a quiet
   * period: behind a readiness probe a not-ready server gets no traffic, so it could never prove a success.
   */
  #lastWriteFailedAt: number | undefined;
  #catalog = new Catalog();
  #rollups = new DuckDbRollups([]);
  #samples = 0;
  #deadLetters = 0;
  /**
   * Per database: every point from this time on that was ever written is still in `samples` (retention
   * deleted only older ones). Rollups keep what retention deleted, so last() narrows by the catalog's
   * newest times (narrowLast) only for ranges from here on. At start, the oldest stored time (no sample:
   * never narrows); a database new since then: -Infinity.
   */
  readonly #rawSince = new Map<string, EpochMicros>();
  /** Compaction watermark (compaction.ts): slices ending at or before it are in series order. */
  #compactedBefore: EpochMicros | undefined;
  #lateRows = new LateRows();

  constructor(options: DuckDbStoreOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#db !== undefined) throw new Error('DuckDbStore is already started');
    const { path } = this.#options;
    const file = path === ':memory:' ? undefined : resolve(path);
    if (file !== undefined) {
      if (filesInUse.has(file)) throw new AppError('STO_CLOSED', `${file} is already open in this process`);
      filesInUse.add(file);
    }
    let instance: DuckDBInstance | undefined;
    const connections: DuckDBConnection[] = [];
    try {
      if (file !== undefined) await mkdir(dirname(file), { recursive: true });
      instance = await DuckDBInstance.create(path, { memory_limit: '128MB', threads: '1' });
      const writer = await instance.connect();
      connections.push(writer);
      const reader = await instance.connect();
      connections.push(reader);
      await createSchema(writer);
      const rollups = new DuckDbRollups(this.#options.rollups ?? []);
      await rollups.open(writer);
      const state = await loadState(writer);
      const catalog = new Catalog();
      for (const e of state.entries) catalog.add(e);
      for (const [sid, time] of state.maxTime) catalog.raiseMaxTime(sid, time);
      this.#rawSince.clear();
      for (const e of state.entries) this.#rawSince.set(e.database, Number.POSITIVE_INFINITY);
      for (const [sid, time] of state.minTime) {
        const database = catalog.databaseOf(sid);
        if (database !== undefined)
          this.#rawSince.set(database, Math.min(this.#rawSince.get(database) ?? time, time));
      }
      // Where retention deleted raw data, raw data is complete only after its cutoff (see deleteBefore).
      for (const [key, value] of await listMetaPrefix(writer, RAW_SINCE_KEY)) {
        const database = String(key).slice(RAW_SINCE_KEY.length);
        const cutoff = Number(value);
        this.#rawSince.set(database, Math.max(this.#rawSince.get(database) ?? cutoff, cutoff));
      }
      const compactedBefore = await loadWatermark(writer);
      const appenders = await openAppenders(writer);
      this.#compactedBefore = compactedBefore;
      this.#lateRows = new LateRows();
      this.#catalog = catalog;
      this.#rollups = rollups;
      this.#samples = state.samples;
      this.#deadLetters = state.deadLetters;
      this.#lastWriteFailedAt = undefined;
      this.#db = { instance, writer, reader, appenders, file };
    } catch (err) {
      for (const c of connections) c.closeSync();
      instance?.closeSync();
      if (file !== undefined) filesInUse.delete(file);
      throw new AppError('STO_CLOSED', `cannot open DuckDB database ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async stop(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#closing = true;
    try {
      await this.#writes.drain();
      await this.#reads.drain();
      await this.#backups.drain();
      if (db.appenders !== undefined) discardAppenders(db.appenders);
      // Connections hold the database open; DuckDB checkpoints the WAL when the instance closes last.
      db.reader.closeSync();
      db.writer.closeSync();
      db.instance.closeSync();
    } finally {
      if (db.file !== undefined) filesInUse.delete(db.file);
      this.#db = undefined;
      this.#closing = false;
    }
  }

  async write(points: readonly Point[]): Promise<WriteOutcome> {
    this.#assertOpen();
    validatePointTimes(points);
    return this.#writes.run(() => this.#writeBatch(points));
  }

  async query(query: SeriesQuery): Promise<QueryResult> {
    const plan = this.#planRead(query);
    if (plan === undefined) return EMPTY;
    const { q, groups, type, compile } = plan;
    if (!numericResult(q, type)) {
      const sql = compile(true);
      const db = this.#assertOpen();
      const columns = await this.#reads.run(async () => (await db.reader.runAndReadAll(sql)).getColumns());
      return decodeSeriesRows(columns, q, groups, type);
    }
    const { interval } = q;
    if (interval === undefined) return decodeSeriesRows(await this.#readRows(compile(true)), q, groups, type);
    // Buckets are read in any order and placed here; past the limit, the first ones in order are wanted.
    const rows = await this.#readRows(compile(false));
    const columns =
      rows[0].length > q.limit
        ? await this.#readRows(compile(true))
        : orderBucketRows(rows, { ...q, interval }, groups.length);
    return decodeSeriesRows(columns, q, groups, type);
  }

  async queryGrid(query: SeriesQuery): Promise<BucketGrid | undefined> {
    const { interval } = query;
    if (interval === undefined || query.aggregate === 'raw') return undefined;
    const bucketed = { ...query, interval };
    const plan = this.#planRead(query);
    if (plan === undefined) return emptyGrid(bucketed);
    const { groups, type, compile } = plan;
    if ((type !== 'float' && query.aggregate !== 'count') || !gridFits(bucketed, groups.length))
      return undefined;
    return placeGrid(await this.#readRows(compile(false)), bucketed, groups);
  }

  /**
   * What a read needs: the query (narrowed for last()), its groups of series, the field's type and its
   * SQL (from rollups where they serve it; `ordered`: rows in (ord, t) order). Undefined: nothing to read.
   */
  #planRead(
    query: SeriesQuery,
  ):
    | { q: SeriesQuery; groups: QueryGroup[]; type: FieldType; compile: (ordered: boolean) => string }
    | undefined {
    this.#assertOpen();
    validateQuery(query);
    const type = this.#catalog.fieldType(query.database, query.measurement, query.field);
    if (type === undefined) return undefined;
    validateAggregateType(query, type);
    if (query.to <= query.from) return undefined;
    const series = this.#catalog
      .entriesOf(query.database, query.measurement)
      .filter((e) => e.field === query.field && seriesSelected(e.tags, query))
      .sort(bySeriesKey);
    if (series.length === 0) return undefined;
    const rawSince = this.#rawSince.get(query.database) ?? Number.NEGATIVE_INFINITY;
    const q =
      this.#rollups.enabled && query.from < rawSince
        ? query
        : narrowLast(query, series, (sid) => this.#catalog.maxTime(sid));
    if (q === undefined) return undefined;
    const groups: QueryGroup[] =
      q.aggregate === 'raw' ? groupSeries(series, undefined) : groupSeries(series, q.groupBy);
    const segments =
      q.aggregate !== 'raw' && type === 'float' && this.#rollups.enabled
        ? planSegments(q, this.#rollups.views())
        : [];
    const rolled = segments.length > 1 || segments[0]?.level !== undefined;
    const compile = (ordered: boolean): string =>
      rolled ? rollupQuerySql(q, groups, segments, ordered) : compileSeriesQuery(q, groups, type, ordered);
    return { q, groups, type, compile };
  }

  /** Rows (ord INTEGER, t DOUBLE, val DOUBLE) of a numeric read, as typed arrays. */
  #readRows(sql: string): Promise<[Int32Array, Float64Array, Float64Array]> {
    const db = this.#assertOpen();
    return this.#reads.run(async () => {
      const { columns } = readNumberColumns(await db.reader.run(sql), ['integer', 'double', 'double']);
      return columns as [Int32Array, Float64Array, Float64Array];
    });
  }

  async maintainRollups(now: EpochMicros): Promise<RollupReport> {
    const db = this.#assertOpen();
    return this.#rollups.maintain(
      now,
      db.writer,
      (body) => this.#writes.run(() => this.#transaction('roll up', noPreparation, body)),
      () => this.#reads.run(async () => {}),
    );
  }

  async compact(now: EpochMicros): Promise<number> {
    const db = this.#assertOpen();
    const until = closedSlicesBefore(now);
    const from = this.#compactedBefore;
    const forward =
      from !== undefined && from >= until
        ? []
        : await this.#writes.run(() => slicesWithSamples(db.writer, from, until));
    const again = this.#lateRows.due().filter((s) => from !== undefined && s < from);
    let done = 0;
    // A transaction per slice, each queued behind the writes waiting then: ingest is never held up for
    // more than one slice. Slices that late writes filled up first, then forward from the watermark.
    for (const start of again) {
      if (this.#closing) return done;
      await this.#writes.run(() =>
        this.#transaction('compact', noPreparation, () =>
          compactSlice(db.writer, start, start + SLICE_MICROS),
        ),
      );
      this.#lateRows.clear(start);
      done++;
    }
    // A bounded number of hours per call: the first run on a database with years of history must not hold
    // the rollup job (which calls this) for hours; the next calls continue from the watermark.
    const capped = forward.length > MAX_SLICES_PER_CALL;
    for (const start of forward.slice(0, MAX_SLICES_PER_CALL)) {
      if (this.#closing) return done;
      const end = start + SLICE_MICROS;
      await this.#writes.run(() =>
        this.#transaction('compact', noPreparation, async () => {
          await compactSlice(db.writer, start, end);
          await saveWatermark(db.writer, end);
        }),
      );
      this.#compactedBefore = end;
      done++;
    }
    if (this.#closing) return done;
    done += await this.#rollups.cluster(
      db.writer,
      (body) => this.#writes.run(body),
      (body) => this.#writes.run(() => this.#transaction('cluster rollups', noPreparation, body)),
      () => this.#closing,
    );
    if (this.#closing || capped) return done;
    if (this.#compactedBefore === undefined || this.#compactedBefore < until) {
      await this.#writes.run(() =>
        this.#transaction('compact', noPreparation, () => saveWatermark(db.writer, until)),
      );
      this.#compactedBefore = until;
    }
    // The zone maps of the rewritten row groups take effect for scans once they are checkpointed (measured:
    // a one-series read of a compacted day 9 ms before, 3 ms after). Best effort: DuckDB checkpoints by
    // itself later if this one cannot run now.
    if (done > 0) await this.#writes.run(() => db.writer.run('CHECKPOINT').catch(() => undefined));
    return done;
  }

  async listSeries(filter: SeriesFilter): Promise<SeriesInfo[]> {
    this.#assertOpen();
    const grouped = new Map<string, { first: CatalogEntry; fields: Record<string, FieldType> }>();
    for (const e of this.#catalog.entries()) {
      if (filter.database !== undefined && e.database !== filter.database) continue;
      if (filter.measurement !== undefined && e.measurement !== filter.measurement) continue;
      const g = grouped.get(e.identity);
      if (g === undefined) grouped.set(e.identity, { first: e, fields: { [e.field]: e.type } });
      else g.fields[e.field] = e.type;
    }
    return [...grouped.values()]
      .sort((a, b) => compareStrings(a.first.database, b.first.database) || bySeriesKey(a.first, b.first))
      .map(({ first, fields }) => ({
        database: first.database,
        measurement: first.measurement,
        tags: { ...first.tags },
        fields: Object.fromEntries(Object.entries(fields).sort(([a], [b]) => compareStrings(a, b))),
      }));
  }

  async listDatabases(): Promise<string[]> {
    this.#assertOpen();
    return [...new Set(this.#catalog.entries().map((e) => e.database))].sort(compareStrings);
  }

  async appendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const db = this.#assertOpen();
    if (letters.length === 0) return;
    await this.#writes.run(() =>
      this.#transaction('append dead letters', noPreparation, async (a) => {
        const ids = await allocateDeadLetterIds(db.writer, letters.length);
        appendChunks(a.deadLetters, deadLetterChunks(letters, ids));
      }),
    );
    this.#deadLetters += letters.length;
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    const db = this.#assertOpen();
    const { sql, params } = listDeadLettersSql(filter, checkDeadLetterFilter(filter));
    if (filter.limit === 0) return [];
    const rows = await this.#reads.run(async () => (await db.reader.runAndReadAll(sql, params)).getRows());
    return decodeDeadLetters(rows);
  }

  async countDeadLetters(filter: DeadLetterCountFilter): Promise<number> {
    const db = this.#assertOpen();
    const { sql, params } = countDeadLettersSql(filter, checkDeadLetterSelection(filter));
    const rows = await this.#reads.run(async () => (await db.reader.runAndReadAll(sql, params)).getRows());
    return Number(rows[0]?.[0] ?? 0);
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    const db = this.#assertOpen();
    checkDeadLetterIds(ids, 'ids');
    if (ids.length === 0) return 0;
    const deleted = await this.#writes.run(() =>
      this.#transaction('delete dead letters', noPreparation, () => deleteDeadLettersById(db.writer, ids)),
    );
    this.#deadLetters -= deleted;
    return deleted;
  }

  async pruneDeadLetters(limits: DeadLetterLimits): Promise<number> {
    const db = this.#assertOpen();
    checkDeadLetterLimits(limits);
    const { before, maxCount, maxBytes } = limits;
    if (before === undefined && maxCount === undefined && maxBytes === undefined) return 0;
    const deleted = await this.#writes.run(() =>
      this.#transaction('prune dead letters', noPreparation, () => pruneDeadLetterRows(db.writer, limits)),
    );
    this.#deadLetters -= deleted;
    return deleted;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const db = this.#assertOpen();
    return this.#reads.run(() => readMeta(db.reader, key));
  }

  async setMeta(key: string, value: string): Promise<void> {
    const db = this.#assertOpen();
    await this.#writes.run(() =>
      this.#transaction('set meta', noPreparation, () => writeMeta(db.writer, key, value)),
    );
  }

  async deleteMeta(key: string): Promise<boolean> {
    const db = this.#assertOpen();
    return this.#writes.run(() =>
      this.#transaction('delete meta', noPreparation, () => deleteMetaKey(db.writer, key)),
    );
  }

  async putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
    const db = this.#assertOpen();
    if (entries.length === 0) return;
    await this.#writes.run(() =>
      this.#transaction('put meta', noPreparation, async () => {
        for (const [key, value] of entries) {
          if (value === null) await deleteMetaKey(db.writer, key);
          else await writeMeta(db.writer, key, value);
        }
      }),
    );
  }

  async listMeta(prefix: string): Promise<Array<[string, string]>> {
    const db = this.#assertOpen();
    return this.#reads.run(() => listMetaPrefix(db.reader, prefix));
  }

  async backup(targetPath: string): Promise<StoreBackup> {
    const db = this.#assertOpen();
    return this.#backups.run(() => copyDatabase(db.instance, resolve(targetPath)));
  }

  async deleteBefore(database: string, before: EpochMicros): Promise<number> {
    const db = this.#assertOpen();
    validateRetentionCutoff(before);
    // The catalog is read in the write queue, where it is exact: a first write to another database queued
    // ahead of this delete must make it filter by database, not delete everything before the cutoff.
    const deleted = await this.#writes.run(async () => {
      const entries = this.#catalog.entries();
      const own = entries.filter((e) => e.database === database).length;
      if (own === 0) return 0;
      const rawSince = Math.max(this.#rawSince.get(database) ?? before, before);
      return this.#transaction('delete before', noPreparation, async () => {
        const n = await deleteSamplesBefore(db.writer, database, before, own === entries.length);
        // Kept with the delete: after a restart the oldest stored point does not say where raw data became
        // complete (older points may be imported later), and the last() bound must not trust raw data there.
        await writeMeta(db.writer, `${RAW_SINCE_KEY}${database}`, String(rawSince));
        return n;
      });
    });
    // The catalog's max times stay: a later write at or before one only takes the overwrite path.
    this.#rawSince.set(database, Math.max(this.#rawSince.get(database) ?? before, before));
    this.#samples -= deleted;
    return deleted;
  }

  async databaseStats(): Promise<DatabaseStats[]> {
    const db = this.#assertOpen();
    const entries = this.#catalog.entries();
    const [rows, used] = await this.#reads.run(async () => [
      (await db.reader.runAndReadAll(SAMPLES_PER_SID_SQL)).getRows(),
      (await db.reader.runAndReadAll(USED_BYTES_SQL)).getRows(),
    ]);
    const usedBytes = db.file === undefined ? undefined : Number(used[0]?.[0] ?? 0);
    return databaseStatsOf(entries, rows, usedBytes);
  }

  isWritable(): boolean {
    const failedAt = this.#lastWriteFailedAt;
    const recentFailure = failedAt !== undefined && Date.now() - failedAt < WRITE_FAILURE_NOT_READY_MS;
    return this.#db !== undefined && !this.#closing && !recentFailure;
  }

  stats(): StoreStats {
    return { series: this.#catalog.seriesCount, samples: this.#samples, deadLetters: this.#deadLetters };
  }

  async #writeBatch(points: readonly Point[]): Promise<WriteOutcome> {
    if (points.length === 0) return { written: 0, refused: [] };
    const { plan, deleted } = await this.#transaction(
      'write',
      () => prepareBatch(points, this.#catalog),
      async (a, batch) => {
        if (batch.series.length > 0) appendChunks(a.series, batch.series);
        const removed = batch.keys.length > 0 ? await this.#deleteOverwritten(a, batch) : 0;
        if (batch.samples.length > 0) appendChunks(a.samples, batch.samples);
        await this.#rollups.markLate(this.#requireDb().writer, batch.plan.time);
        return { plan: batch.plan, deleted: removed };
      },
    );
    this.#catalog.apply({ entries: plan.newEntries, maxTime: plan.maxTime });
    this.#lateRows.note(plan.time, this.#compactedBefore);
    this.#samples += plan.sid.length - deleted;
    return { written: plan.written, refused: plan.refused };
  }

  /** Removes the stored samples this batch replaces; returns how many there were. */
  async #deleteOverwritten(a: Appenders, batch: PreparedBatch): Promise<number> {
    const { writer } = this.#requireDb();
    appendChunks(a.overwriteKeys, batch.keys);
    const { overwriteFrom, overwriteTo } = batch.plan;
    // The time bounds let DuckDB skip row groups by their zone maps instead of scanning all of samples.
    const result = await writer.run(
      `DELETE FROM samples USING ${OVERWRITE_TABLE} k
       WHERE samples.sid = k.sid AND samples.ts = k.ts
         AND samples.ts BETWEEN make_timestamp(${overwriteFrom}::BIGINT) AND make_timestamp(${overwriteTo}::BIGINT)`,
    );
    await writer.run(`DELETE FROM ${OVERWRITE_TABLE}`);
    return result.rowsChanged;
  }

  /**
   * One explicit transaction on the write connection. Must run inside #writes. `prepare` (pure JS work:
   * planning, filling chunks) runs while BEGIN makes its trip through the thread pool; `body` runs inside
   * the transaction. On any failure the transaction is rolled back, buffered appender rows are discarded,
   * and STO_WRITE_FAILED is thrown.
   */
  async #transaction<P, T>(
    what: string,
    prepare: () => P,
    body: (appenders: Appenders, prepared: P) => Promise<T>,
  ): Promise<T> {
    const db = this.#requireDb();
    let began = false;
    let begin: Promise<void> | undefined;
    try {
      db.appenders ??= await openAppenders(db.writer);
      begin = db.writer.run('BEGIN').then(() => {
        began = true;
      });
      const prepared = prepare();
      await begin;
      const result = await body(db.appenders, prepared);
      await this.#options.beforeCommit?.();
      await db.writer.run('COMMIT');
      // Only a commit of data shows the disk takes writes again: roll-ups, retention deletes and meta
      // updates may commit while the disk is full (they free space or write little), and must not make a
      // store that just failed to write points look ready.
      if (what === 'write' || what === 'append dead letters') this.#lastWriteFailedAt = undefined;
      return result;
    } catch (err) {
      this.#lastWriteFailedAt = Date.now();
      // If prepare threw, BEGIN may still be running on the connection; let it land before touching it.
      await begin?.catch(() => undefined);
      // Appenders before ROLLBACK: their buffered rows must not outlive the transaction (see discardAppender).
      if (db.appenders !== undefined) discardAppenders(db.appenders);
      db.appenders = undefined;
      // A failed COMMIT has already ended the transaction; ROLLBACK then only reports that.
      if (began) await db.writer.run('ROLLBACK').catch(() => undefined);
      throw new AppError('STO_WRITE_FAILED', `${what} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  #assertOpen(): OpenDatabase {
    if (this.#db === undefined || this.#closing) {
      throw new AppError('STO_CLOSED', 'the DuckDB store is not started or is stopping');
    }
    return this.#db;
  }

  #requireDb(): OpenDatabase {
    if (this.#db === undefined) throw new Error('DuckDbStore used after stop');
    return this.#db;
  }
}

interface PreparedBatch {
  readonly plan: WritePlan;
  readonly series: DuckDBDataChunk[];
  readonly keys: DuckDBDataChunk[];
  readonly samples: DuckDBDataChunk[];
}

function prepareBatch(points: readonly Point[], catalog: Catalog): PreparedBatch {
  const plan = planWrite(points, catalog);
  return {
    plan,
    series: seriesChunks(plan.newEntries),
    keys: keyChunks(plan.sid, plan.time, plan.overwrite),
    samples: sampleChunks(plan.sid, plan.time, plan.value),
  };
}

function noPreparation(): void {}

function bySeriesKey(a: CatalogEntry, b: CatalogEntry): number {
  return compareStrings(a.key, b.key) || compareStrings(a.identity, b.identity);
}

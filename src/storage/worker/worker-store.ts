import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../core/errors.js';
import type { EpochMicros, Point } from '../../core/point.js';
import { WRITE_FAILURE_NOT_READY_MS } from '../semantics.js';
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
import { asBuffer, encodePoints, transferListOf } from './point-codec.js';
import { deserializeError, type StoreState, type WorkerRequest, type WorkerResponse } from './protocol.js';
import { decodeResult, type EncodedResult } from './result-codec.js';

/**
 * The DuckDB store on its own thread. MQTT parsing and ingest keep the main thread; building DataChunks,
 * appending and committing run on the second core. Same interface and semantics as DuckDbStore (it runs
 * one inside the worker), so it passes the same contract suite.
 */
/** Distinct listSeries filters remembered (by database and measurement): a handful in practice. */
const SERIES_CACHE_MAX = 256;

export class WorkerStore implements TimeSeriesStore {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #state: StoreState = { stats: { series: 0, samples: 0, deadLetters: 0 }, writable: false };
  #exitError: Error | undefined;
  #started = false;
  #lastWriteFailedAt: number | undefined;
  /** listSeries answers by filter, with the catalog row count they were fetched at. */
  readonly #seriesCache = new Map<string, { count: number; list: Promise<SeriesInfo[]> }>();
  #stopping = false;

  constructor(
    private readonly options: {
      readonly path: string;
      /** Called if the store thread dies on its own; every write fails with STO_CLOSED from then on. */
      readonly onCrash?: (err: Error) => void;
      /** Rollup levels the DuckDB store keeps; default none. */
      readonly rollups?: readonly RollupLevel[];
    },
  ) {}

  async start(): Promise<void> {
    if (this.#worker) throw new Error('WorkerStore is already started');
    const worker = new Worker(workerScript(), {
      workerData: { path: this.options.path, rollups: this.options.rollups },
    });
    this.#worker = worker;
    this.#exitError = undefined;
    // Another start may open another (or a restored) file: the remembered series lists are not its.
    this.#seriesCache.clear();
    worker.on('message', (res: WorkerResponse) => this.#onResponse(res));
    worker.on('error', (err) =>
      this.#fail(new AppError('STO_WRITE_FAILED', `store thread crashed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => {
      if (this.#worker === worker && this.#started && !this.#stopping) {
        this.options.onCrash?.(this.#exitError ?? new Error(`the store thread exited with code ${code}`));
      }
      this.#worker = undefined;
      this.#state = { ...this.#state, writable: false };
      this.#fail(this.#exitError ?? new AppError('STO_CLOSED', `the store thread exited (code ${code})`));
    });
    try {
      await this.#call('start', []);
      this.#started = true;
      this.#lastWriteFailedAt = undefined;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#stopping = true;
    try {
      await this.#call('stop', []);
    } finally {
      this.#started = false;
      await worker.terminate();
      this.#worker = undefined;
      this.#stopping = false;
    }
  }

  write(points: readonly Point[]): Promise<WriteOutcome> {
    if (points.length === 0) return Promise.resolve({ written: 0, refused: [] });
    const encoded = encodePoints(points);
    return (this.#call('write', [encoded], transferListOf(encoded)) as Promise<WriteOutcome>).then(
      (outcome) => {
        this.#lastWriteFailedAt = undefined;
        return outcome;
      },
      (err: unknown) => {
        this.#lastWriteFailedAt = Date.now();
        throw err;
      },
    );
  }

  async query(q: SeriesQuery): Promise<QueryResult> {
    return decodeResult((await this.#call('query', [q])) as EncodedResult);
  }

  /** The grid's values cross from the store's thread as they are (transferred, not copied). */
  async queryGrid(q: SeriesQuery): Promise<BucketGrid | undefined> {
    return (await this.#call('queryGrid', [q])) as BucketGrid | undefined;
  }

  async maintainRollups(now: EpochMicros): Promise<RollupReport> {
    return (await this.#call('maintainRollups', [now])) as RollupReport;
  }

  async compact(now: EpochMicros): Promise<number> {
    return (await this.#call('compact', [now])) as number;
  }

  /**
   * Every InfluxQL statement lists the series of its database before it reads, and the answer crosses the
   * thread boundary as a structured clone: with 1,000 series that costs more than a pushed-down query. The
   * catalog only grows (a new series or field adds a row; retention leaves rows in place), so an answer is
   * valid as long as the catalog's row count is the one it was fetched at. Every caller gets the same
   * (read-only) list, which also lets the InfluxQL executor remember what it derived from it.
   */
  listSeries(filter: SeriesFilter): Promise<readonly SeriesInfo[]> {
    const key = `${filter.database ?? ''}\u0000${filter.measurement ?? ''}`;
    const count = this.#state.stats.series;
    const hit = this.#seriesCache.get(key);
    if (hit !== undefined && hit.count === count) return hit.list;
    if (this.#seriesCache.size >= SERIES_CACHE_MAX) this.#seriesCache.clear();
    const list = this.#call('listSeries', [filter]) as Promise<SeriesInfo[]>;
    this.#seriesCache.set(key, { count, list });
    list.catch(() => this.#seriesCache.delete(key));
    return list;
  }

  listDatabases(): Promise<string[]> {
    return this.#call('listDatabases', []) as Promise<string[]>;
  }

  async appendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#call('appendDeadLetters', [letters]);
  }

  async listDeadLetters(filter: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    const letters = (await this.#call('listDeadLetters', [filter])) as StoredDeadLetter[];
    return letters.map((d) => ({ ...d, payload: asBuffer(d.payload) }));
  }

  async countDeadLetters(filter: DeadLetterCountFilter): Promise<number> {
    return (await this.#call('countDeadLetters', [filter])) as number;
  }

  async deleteDeadLetters(ids: readonly number[]): Promise<number> {
    return (await this.#call('deleteDeadLetters', [ids])) as number;
  }

  async pruneDeadLetters(limits: DeadLetterLimits): Promise<number> {
    return (await this.#call('pruneDeadLetters', [limits])) as number;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.#call('getMeta', [key])) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#call('setMeta', [key, value]);
  }

  async deleteMeta(key: string): Promise<boolean> {
    return (await this.#call('deleteMeta', [key])) as boolean;
  }

  async putMetaBatch(entries: ReadonlyArray<readonly [string, string | null]>): Promise<void> {
    if (entries.length > 0) await this.#call('putMetaBatch', [entries]);
  }

  async listMeta(prefix: string): Promise<Array<[string, string]>> {
    return (await this.#call('listMeta', [prefix])) as Array<[string, string]>;
  }

  async backup(targetPath: string): Promise<StoreBackup> {
    return (await this.#call('backup', [targetPath])) as StoreBackup;
  }

  async deleteBefore(database: string, before: EpochMicros): Promise<number> {
    return (await this.#call('deleteBefore', [database, before])) as number;
  }

  async databaseStats(): Promise<DatabaseStats[]> {
    return (await this.#call('databaseStats', [])) as DatabaseStats[];
  }

  isWritable(): boolean {
    if (this.#worker === undefined || !this.#started) return false;
    // Decided here, not from the worker's last answer: a server out of rotation gets no requests that
    // would bring a fresher answer, and must still turn ready again.
    const failedAt = this.#lastWriteFailedAt;
    return failedAt === undefined || Date.now() - failedAt >= WRITE_FAILURE_NOT_READY_MS;
  }

  stats(): StoreStats {
    return this.#state.stats;
  }

  #call(method: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    const worker = this.#worker;
    if (!worker) return Promise.reject(new AppError('STO_CLOSED', 'the store is not started or has stopped'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies WorkerRequest, transfer);
    });
  }

  #onResponse(res: WorkerResponse): void {
    this.#state = res.state;
    const waiter = this.#pending.get(res.id);
    if (!waiter) return;
    this.#pending.delete(res.id);
    if (res.ok) waiter.resolve(res.value);
    else waiter.reject(deserializeError(res.error));
  }

  #fail(err: Error): void {
    this.#exitError ??= err;
    for (const waiter of this.#pending.values()) waiter.reject(err);
    this.#pending.clear();
  }
}

/**
 * The compiled worker entry. Under the test runner this module is TypeScript source, which a Worker
 * cannot load, so the build output (made by the tests' global setup) is used instead.
 */
function workerScript(): URL {
  const sibling = new URL('./store-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../../dist/src/storage/worker/store-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new AppError(
    'STO_CLOSED',
    `cannot find the store worker script (${fileURLToPath(sibling)}); run npm run build`,
  );
}

import { parentPort, workerData } from 'node:worker_threads';
import { DuckDbStore } from '../duckdb/duckdb-store.js';
import type { RollupLevel, SeriesQuery, TimeSeriesStore } from '../store.js';
import { asBuffer, decodePoints, type EncodedPoints } from './point-codec.js';
import { type StoreState, serializeError, type WorkerRequest, type WorkerResponse } from './protocol.js';
import { encodeResult, resultTransferList } from './result-codec.js';

/**
 * The DuckDB thread: owns the store and answers WorkerStore's requests in arrival order per method
 * (DuckDbStore itself serialises writes and reads).
 */
const port = parentPort;
if (!port) throw new Error('store-worker must run in a worker thread');
const options = workerData as { path: string; rollups?: RollupLevel[] };
const store: TimeSeriesStore = new DuckDbStore({
  path: options.path,
  ...(options.rollups === undefined ? {} : { rollups: options.rollups }),
});

function state(): StoreState {
  return { stats: store.stats(), writable: store.isWritable() };
}

async function call(req: WorkerRequest): Promise<unknown> {
  const a = req.args;
  switch (req.method) {
    case 'start':
      return store.start();
    case 'stop':
      return store.stop();
    case 'write':
      return store.write(decodePoints(a[0] as EncodedPoints));
    case 'query': {
      const encoded = encodeResult(await store.query(a[0] as Parameters<TimeSeriesStore['query']>[0]));
      transfers.set(encoded, resultTransferList(encoded));
      return encoded;
    }
    case 'queryGrid': {
      const grid = await store.queryGrid?.(a[0] as SeriesQuery);
      if (grid !== undefined) transfers.set(grid, [grid.values.buffer as ArrayBuffer]);
      return grid;
    }
    case 'maintainRollups':
      return store.maintainRollups(a[0] as number);
    case 'compact':
      return store.compact?.(a[0] as number) ?? 0;
    case 'listSeries':
      return store.listSeries(a[0] as Parameters<TimeSeriesStore['listSeries']>[0]);
    case 'listDatabases':
      return store.listDatabases();
    case 'appendDeadLetters':
      return store.appendDeadLetters(
        (a[0] as Parameters<TimeSeriesStore['appendDeadLetters']>[0]).map((d) => ({
          ...d,
          payload: asBuffer(d.payload),
        })),
      );
    case 'listDeadLetters':
      return store.listDeadLetters(a[0] as Parameters<TimeSeriesStore['listDeadLetters']>[0]);
    case 'countDeadLetters':
      return store.countDeadLetters(a[0] as Parameters<TimeSeriesStore['countDeadLetters']>[0]);
    case 'deleteDeadLetters':
      return store.deleteDeadLetters(a[0] as number[]);
    case 'pruneDeadLetters':
      return store.pruneDeadLetters(a[0] as Parameters<TimeSeriesStore['pruneDeadLetters']>[0]);
    case 'getMeta':
      return store.getMeta(a[0] as string);
    case 'setMeta':
      return store.setMeta(a[0] as string, a[1] as string);
    case 'deleteMeta':
      return store.deleteMeta(a[0] as string);
    case 'putMetaBatch':
      return store.putMetaBatch(a[0] as Array<[string, string | null]>);
    case 'listMeta':
      return store.listMeta(a[0] as string);
    case 'deleteBefore':
      return store.deleteBefore(a[0] as string, a[1] as number);
    case 'databaseStats':
      return store.databaseStats();
    case 'backup':
      return store.backup(a[0] as string);
    default:
      throw new Error(`unknown store method ${req.method}`);
  }
}

/** Buffers a response moves to the main thread instead of copying (query results). */
const transfers = new WeakMap<object, ArrayBuffer[]>();

port.on('message', (req: WorkerRequest) => {
  call(req).then(
    (value) =>
      port.postMessage(
        { id: req.id, ok: true, value, state: state() } satisfies WorkerResponse,
        typeof value === 'object' && value !== null ? (transfers.get(value) ?? []) : [],
      ),
    (err: unknown) =>
      port.postMessage({
        id: req.id,
        ok: false,
        error: serializeError(err),
        state: state(),
      } satisfies WorkerResponse),
  );
});

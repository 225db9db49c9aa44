import { type DuckDBMaterializedResult, DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

/**
 * Numeric result columns read straight from DuckDB's vectors into typed arrays. `getColumns()` boxes every
 * value through a generic converter into a JS array: for a 1,000-series answer (1.44 million rows, three
 * columns) that took longer than the SQL that made it. Here a chunk's DOUBLE or INTEGER data is one typed
 * array copy (`@duckdb/node-bindings` is the C API that `@duckdb/node-api` wraps; the versions are pinned
 * together in package.json).
 */

/** What a column holds: `double` (NULL reads as NaN) or `integer` (NULL refused: used for positions). */
export type NumberKind = 'double' | 'integer';

export interface NumberColumns {
  readonly rows: number;
  readonly columns: ReadonlyArray<Float64Array | Int32Array>;
}

const TYPE_OF: Readonly<Record<NumberKind, DuckDBTypeId>> = {
  double: DuckDBTypeId.DOUBLE,
  integer: DuckDBTypeId.INTEGER,
};

/**
 * Every row of `result`, column i read as `kinds[i]`. Throws when a column's type is not the one asked
 * for (a SQL bug, not a data condition), or an integer column holds NULL.
 */
export function readNumberColumns(
  result: DuckDBMaterializedResult,
  kinds: readonly NumberKind[],
): NumberColumns {
  if (result.columnCount !== kinds.length)
    throw new Error(`expected ${kinds.length} result columns, got ${result.columnCount}`);
  kinds.forEach((kind, i) => {
    if (result.columnTypeId(i) !== TYPE_OF[kind])
      throw new Error(
        `result column ${i} (${result.columnName(i)}) is ${DuckDBTypeId[result.columnTypeId(i)]}, expected ${kind}`,
      );
  });
  const rows = result.rowCount;
  const columns = kinds.map((kind) => (kind === 'double' ? new Float64Array(rows) : new Int32Array(rows)));
  let at = 0;
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    const n = chunk.rowCount;
    for (let i = 0; i < kinds.length; i++) {
      const out = columns[i] as Float64Array | Int32Array;
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, i);
      const bytes = duckdb.vector_get_data(vector, n * out.BYTES_PER_ELEMENT);
      const data =
        out instanceof Float64Array
          ? new Float64Array(bytes.buffer, bytes.byteOffset, n)
          : new Int32Array(bytes.buffer, bytes.byteOffset, n);
      out.set(data, at);
      const validity = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      if (validity !== null) applyNulls(validity, n, out, at, i);
    }
    at += n;
  }
  return { rows, columns };
}

/** NULL rows of a chunk (clear bits of its validity mask) as NaN; in an integer column, an error. */
function applyNulls(
  validity: Uint8Array,
  n: number,
  out: Float64Array | Int32Array,
  at: number,
  column: number,
): void {
  for (let byte = 0; byte * 8 < n; byte++) {
    const bits = validity[byte] as number;
    if (bits === 0xff) continue;
    for (let bit = 0; bit < 8 && byte * 8 + bit < n; bit++) {
      if ((bits >> bit) & 1) continue;
      if (out instanceof Int32Array) throw new Error(`result column ${column} holds NULL`);
      out[at + byte * 8 + bit] = Number.NaN;
    }
  }
}

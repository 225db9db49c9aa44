import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DEAD_LETTER_RECORD_OVERHEAD, type DeadLetterLimits } from '../store.js';
import { idsCondition } from './dead-letter-sql.js';
import { DEAD_LETTER_ID_SEQUENCE } from './schema.js';

/**
 * Statements that change dead letters. Each runs inside the caller's transaction on the write connection;
 * arguments must already be checked (dead-letter-semantics.ts).
 */

/**
 * `n` new ids, ascending. From a sequence, not max(id) + 1: the newest letters may have been deleted, and
 * ids are never reused. DuckDB logs sequence use in the WAL, so this holds across a crash too.
 */
export async function allocateDeadLetterIds(conn: DuckDBConnection, n: number): Promise<number[]> {
  const reader = await conn.runAndReadAll(
    `SELECT nextval('${DEAD_LETTER_ID_SEQUENCE}')::DOUBLE AS id FROM range($n::BIGINT) ORDER BY id`,
    { n: BigInt(n) },
  );
  return reader.getColumns()[0] as number[];
}

/** Returns how many of the ids existed. */
export async function deleteDeadLettersById(conn: DuckDBConnection, ids: readonly number[]): Promise<number> {
  const params: Record<string, DuckDBValue> = {};
  const result = await conn.run(`DELETE FROM dead_letters WHERE ${idsCondition(ids, params)}`, params);
  return result.rowsChanged;
}

/**
 * Deletes by age, then the shortest run of oldest letters whose removal brings both the count and the bytes
 * within their caps. Rows are stored in id order, so every step is a range that zone maps narrow down, and
 * only the id and payload_bytes columns are read (never the payloads).
 */
export async function pruneDeadLetterRows(conn: DuckDBConnection, limits: DeadLetterLimits): Promise<number> {
  const { before, maxCount, maxBytes } = limits;
  let deleted = 0;
  if (before !== undefined) {
    const result = await conn.run('DELETE FROM dead_letters WHERE time < make_timestamp($before::BIGINT)', {
      before: BigInt(before),
    });
    deleted += result.rowsChanged;
  }
  if (maxCount === undefined && maxBytes === undefined) return deleted;

  const totals = await conn.runAndReadAll(
    `SELECT count(*)::DOUBLE, (coalesce(sum(payload_bytes), 0) + count(*) * ${DEAD_LETTER_RECORD_OVERHEAD})::DOUBLE
     FROM dead_letters`,
  );
  const [count, bytes] = (totals.getRows()[0] ?? [0, 0]) as [number, number];
  const excessCount = maxCount === undefined ? 0 : Math.max(0, count - maxCount);
  const excessBytes = maxBytes === undefined ? 0 : Math.max(0, bytes - maxBytes);
  if (excessCount === 0 && excessBytes === 0) return deleted;

  // Each letter counts at least the overhead, so the cut lies within the oldest `scan` letters: the window
  // sorts only those, not the whole table.
  const scan = Math.min(count, Math.max(excessCount, Math.ceil(excessBytes / DEAD_LETTER_RECORD_OVERHEAD)));
  const cut = await conn.runAndReadAll(
    `SELECT id FROM (
       SELECT id, row_number() OVER w AS n, sum(payload_bytes + ${DEAD_LETTER_RECORD_OVERHEAD}) OVER w AS removed
       FROM (SELECT id, payload_bytes FROM dead_letters ORDER BY id LIMIT $scan::BIGINT)
       WINDOW w AS (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
     )
     WHERE n >= $excessCount::BIGINT AND removed >= $excessBytes::BIGINT
     ORDER BY id
     LIMIT 1`,
    { scan: BigInt(scan), excessCount: BigInt(excessCount), excessBytes: BigInt(excessBytes) },
  );
  const cutId = cut.getRows()[0]?.[0];
  if (cutId === undefined || cutId === null) {
    throw new Error(`dead-letter prune found no cut point for ${excessCount} letters / ${excessBytes} bytes`);
  }
  const result = await conn.run('DELETE FROM dead_letters WHERE id <= $cutId::BIGINT', { cutId });
  return deleted + result.rowsChanged;
}

import { DuckDBBlobValue, type DuckDBValue } from '@duckdb/node-api';
import type { DeadLetter, DeadLetterFilter } from '../store.js';

/** Filter values are user input, so unlike query-sql.ts they travel as bound parameters. */
export function deadLetterSql(filter: DeadLetterFilter): {
  sql: string;
  params: Record<string, DuckDBValue>;
} {
  const where: string[] = [];
  const params: Record<string, DuckDBValue> = { limit: filter.limit };
  if (filter.since !== undefined) {
    where.push('time >= make_timestamp($since::BIGINT)');
    params.since = BigInt(filter.since);
  }
  if (filter.topic !== undefined) {
    where.push('topic = $topic');
    params.topic = filter.topic;
  }
  if (filter.code !== undefined) {
    where.push('code = $code');
    params.code = filter.code;
  }
  // rowid follows append order, which breaks ties between letters of the same time: later first.
  const sql = `SELECT epoch_us(time)::DOUBLE, source, client_id, topic, payload, payload_size, rule, code, message
    FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY time DESC, rowid DESC
    LIMIT $limit`;
  return { sql, params };
}

export function decodeDeadLetters(rows: readonly (readonly DuckDBValue[])[]): DeadLetter[] {
  return rows.map(([time, source, clientId, topic, payload, payloadSize, rule, code, message]) => ({
    time: time as number,
    source: source as string,
    clientId: clientId as string,
    topic: topic as string,
    // Copied: the blob's bytes may view memory that belongs to the result.
    payload: Buffer.from(payload instanceof DuckDBBlobValue ? payload.bytes : new Uint8Array()),
    payloadSize: payloadSize as number,
    rule: rule as string,
    code: code as string,
    message: message as string,
  }));
}

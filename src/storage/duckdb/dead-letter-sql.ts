import { DuckDBBlobValue, type DuckDBValue, listValue } from '@duckdb/node-api';
import { startsWithWildcard, type TopicFilter, topicRegexBody } from '../memory/dead-letter-semantics.js';
import type { DeadLetterCountFilter, DeadLetterFilter, StoredDeadLetter } from '../store.js';

/**
 * SQL for reading dead letters. Filter values are user input, so unlike query-sql.ts they travel as bound
 * parameters. The filters must already be checked (dead-letter-semantics.ts).
 */

type Params = Record<string, DuckDBValue>;

export interface DeadLetterSql {
  readonly sql: string;
  readonly params: Params;
}

export function listDeadLettersSql(filter: DeadLetterFilter, topic: TopicFilter | undefined): DeadLetterSql {
  const params: Params = { limit: filter.limit };
  const where = selection(filter, topic, params);
  if (filter.afterId !== undefined) {
    where.push('id > $afterId::BIGINT');
    params.afterId = BigInt(filter.afterId);
  }
  if (filter.beforeId !== undefined) {
    where.push('id < $beforeId::BIGINT');
    params.beforeId = BigInt(filter.beforeId);
  }
  const sql = `SELECT id::DOUBLE, epoch_us(time)::DOUBLE, source, client_id, topic, payload, payload_size, rule,
      code, message
    FROM dead_letters ${whereClause(where)}
    ORDER BY id ${filter.order === 'asc' ? 'ASC' : 'DESC'}
    LIMIT $limit`;
  return { sql, params };
}

export function countDeadLettersSql(
  filter: DeadLetterCountFilter,
  topic: TopicFilter | undefined,
): DeadLetterSql {
  const params: Params = {};
  const where = selection(filter, topic, params);
  return { sql: `SELECT count(*)::DOUBLE FROM dead_letters ${whereClause(where)}`, params };
}

export function decodeDeadLetters(rows: readonly (readonly DuckDBValue[])[]): StoredDeadLetter[] {
  return rows.map(([id, time, source, clientId, topic, payload, payloadSize, rule, code, message]) => ({
    id: id as number,
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

/**
 * `id IN (…)` alone makes DuckDB hash-join against the whole id column; the BETWEEN lets it skip the row
 * groups outside the ids' range by their zone maps (rows are stored in id order).
 */
export function idsCondition(ids: readonly number[], params: Params): string {
  if (ids.length === 0) return 'false';
  let lo = ids[0] as number;
  let hi = lo;
  for (const id of ids) {
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  params.ids = listValue(ids.map((id) => BigInt(id)));
  params.idLo = BigInt(lo);
  params.idHi = BigInt(hi);
  return 'id BETWEEN $idLo::BIGINT AND $idHi::BIGINT AND id IN (SELECT unnest($ids::BIGINT[]))';
}

function selection(f: DeadLetterCountFilter, topic: TopicFilter | undefined, params: Params): string[] {
  const where: string[] = [];
  if (f.since !== undefined) {
    where.push('time >= make_timestamp($since::BIGINT)');
    params.since = BigInt(f.since);
  }
  if (f.until !== undefined) {
    where.push('time < make_timestamp($until::BIGINT)');
    params.until = BigInt(f.until);
  }
  const columns = [
    ['code', 'code'],
    ['rule', 'rule'],
    ['clientId', 'client_id'],
    ['source', 'source'],
  ] as const;
  for (const [key, column] of columns) {
    const value = f[key];
    if (value === undefined) continue;
    where.push(`${column} = $${key}`);
    params[key] = value;
  }
  if (f.ids !== undefined) where.push(idsCondition(f.ids, params));
  if (topic !== undefined) where.push(topicCondition(topic, params));
  return where;
}

/**
 * The topic filter in SQL, matching topicMatches() exactly. A trailing `#` needs no regex (the parent, or
 * anything under it); `+` becomes `[^/]*` in an RE2 pattern (regexp_full_match anchors it at both ends)
 * whose literal levels are escaped, behind a cheap starts_with on the literal prefix. Parameters, not
 * LIKE patterns, so `%` and `_` in topics are plain characters.
 */
export function topicCondition(topic: TopicFilter, params: Params): string {
  if (topic.kind === 'exact') {
    params.topic = topic.topic;
    return 'topic = $topic';
  }
  const { levels } = topic;
  const conditions: string[] = [];
  // [MQTT-4.7.2-1]
  if (startsWithWildcard(topic)) conditions.push("NOT starts_with(topic, '$')");
  const firstWildcard = levels.findIndex((l) => l === '+' || l === '#');
  const literal = levels.slice(0, firstWildcard).join('/');
  if (levels[firstWildcard] === '#') {
    // Only a final `#`: `a/#` is `a` or anything starting with `a/`; `#` alone is any topic.
    if (firstWildcard > 0) {
      params.topicParent = literal;
      params.topicChildren = `${literal}/`;
      conditions.push('(topic = $topicParent OR starts_with(topic, $topicChildren))');
    }
  } else {
    if (firstWildcard > 0) {
      params.topicPrefix = `${literal}/`;
      conditions.push('starts_with(topic, $topicPrefix)');
    }
    params.topicPattern = topicPattern(levels);
    conditions.push('regexp_full_match(topic, $topicPattern)');
  }
  return conditions.length === 0 ? 'true' : conditions.join(' AND ');
}

function topicPattern(levels: readonly string[]): string {
  // (?s): a `.` (from a final `#`) also matches a newline, which topics may contain.
  return `(?s)${topicRegexBody(levels, /[\\^$.|?*+()[\]{}]/g)}`;
}

function whereClause(where: readonly string[]): string {
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
}

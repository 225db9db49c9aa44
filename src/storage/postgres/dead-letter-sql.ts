import type pg from 'pg';
import { startsWithWildcard, type TopicFilter, topicRegexBody } from '../memory/dead-letter-semantics.js';
import {
  DEAD_LETTER_RECORD_OVERHEAD,
  type DeadLetter,
  type DeadLetterCountFilter,
  type DeadLetterFilter,
  type DeadLetterLimits,
  type StoredDeadLetter,
} from '../store.js';
import { BinaryCopyWriter } from './copy-binary.js';
import { copyIn } from './copy-in.js';
import type { CompiledQuery } from './query-sql.js';
import { schemaNames } from './schema.js';
import { epochMicrosSql, timestampLiteral } from './time.js';

/**
 * Dead letters in SQL. Filter values are user input and travel as bound parameters; the filters must
 * already be checked (dead-letter-semantics.ts). Statements that change letters run inside the caller's
 * transaction.
 */

export function listDeadLettersSql(
  schema: string,
  filter: DeadLetterFilter,
  topic: TopicFilter | undefined,
): CompiledQuery {
  const values: unknown[] = [];
  const where = selection(filter, topic, values);
  if (filter.afterId !== undefined) where.push(`id > ${param(values, filter.afterId)}::bigint`);
  if (filter.beforeId !== undefined) where.push(`id < ${param(values, filter.beforeId)}::bigint`);
  const limit = param(values, filter.limit);
  return {
    text: `SELECT id::float8, ${epochMicrosSql('time')}, source, client_id, topic, payload, payload_size, rule,
        code, message
      FROM ${schemaNames(schema).deadLetters} ${whereClause(where)}
      ORDER BY id ${filter.order === 'asc' ? 'ASC' : 'DESC'}
      LIMIT ${limit}::bigint`,
    values,
  };
}

export function countDeadLettersSql(
  schema: string,
  filter: DeadLetterCountFilter,
  topic: TopicFilter | undefined,
): CompiledQuery {
  const values: unknown[] = [];
  const where = selection(filter, topic, values);
  return {
    text: `SELECT count(*)::float8 FROM ${schemaNames(schema).deadLetters} ${whereClause(where)}`,
    values,
  };
}

export function decodeDeadLetters(rows: readonly unknown[][]): StoredDeadLetter[] {
  return rows.map((row) => {
    const [id, time, source, clientId, topic, payload, payloadSize, rule, code, message] = row as [
      number,
      number,
      string,
      string,
      string,
      Buffer,
      number,
      string,
      string,
      string,
    ];
    return { id, time, source, clientId, topic, payload, payloadSize, rule, code, message };
  });
}

/**
 * Appends in one COPY. Ids come from the identity column in row order; the advisory lock keeps another
 * process's letters from taking ids in between, so one call's letters get consecutive ids.
 */
export async function appendDeadLetterRows(
  client: pg.ClientBase,
  schema: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  const n = schemaNames(schema);
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `sensorhub dead letters ${schema}`,
  ]);
  const copy = new BinaryCopyWriter();
  for (const l of letters) {
    copy.row(9);
    copy.timestamp(l.time);
    copy.text(storableText(l.source));
    copy.text(storableText(l.clientId));
    copy.text(storableText(l.topic));
    copy.bytea(l.payload);
    copy.int4(l.payloadSize);
    copy.text(storableText(l.rule));
    copy.text(storableText(l.code));
    copy.text(storableText(l.message));
  }
  await copyIn(
    client,
    `COPY ${n.deadLetters} (time, source, client_id, topic, payload, payload_size, rule, code, message)
      FROM STDIN (FORMAT binary)`,
    copy.finish(),
  );
}

/**
 * PostgreSQL text cannot hold U+0000, and a dead letter's message may quote a binary payload. A letter is
 * kept rather than lost, with each U+0000 shown as U+2400 (␀); the payload column keeps the exact bytes.
 */
function storableText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\u2400') : s;
}

export async function deleteDeadLetterRows(
  client: pg.ClientBase,
  schema: string,
  ids: readonly number[],
): Promise<number> {
  const result = await client.query(
    `DELETE FROM ${schemaNames(schema).deadLetters} WHERE id = ANY ($1::bigint[])`,
    [ids],
  );
  return result.rowCount ?? 0;
}

/**
 * Deletes by age, then the shortest run of oldest letters whose removal brings both the count and the bytes
 * within their caps, found with a running sum over the oldest letters only (never the payloads: the
 * generated payload_bytes column has their sizes).
 */
export async function pruneDeadLetterRows(
  client: pg.ClientBase,
  schema: string,
  limits: DeadLetterLimits,
): Promise<number> {
  const table = schemaNames(schema).deadLetters;
  const { before, maxCount, maxBytes } = limits;
  let deleted = 0;
  if (before !== undefined) {
    const result = await client.query(`DELETE FROM ${table} WHERE time < $1::timestamptz`, [
      timestampLiteral(before),
    ]);
    deleted += result.rowCount ?? 0;
  }
  if (maxCount === undefined && maxBytes === undefined) return deleted;

  const totals = await client.query<{ count: number; bytes: number }>(
    `SELECT count(*)::float8 AS count,
       (coalesce(sum(payload_bytes), 0) + count(*) * ${DEAD_LETTER_RECORD_OVERHEAD})::float8 AS bytes
     FROM ${table}`,
  );
  const { count = 0, bytes = 0 } = totals.rows[0] ?? {};
  const excessCount = maxCount === undefined ? 0 : Math.max(0, count - maxCount);
  const excessBytes = maxBytes === undefined ? 0 : Math.max(0, bytes - maxBytes);
  if (excessCount === 0 && excessBytes === 0) return deleted;

  // Each letter counts at least the overhead, so the cut lies within the oldest `scan` letters.
  const scan = Math.min(count, Math.max(excessCount, Math.ceil(excessBytes / DEAD_LETTER_RECORD_OVERHEAD)));
  const cut = await client.query<{ id: number }>(
    `SELECT id::float8 AS id FROM (
       SELECT id, row_number() OVER w AS n, sum(payload_bytes + ${DEAD_LETTER_RECORD_OVERHEAD}) OVER w AS removed
       FROM (SELECT id, payload_bytes FROM ${table} ORDER BY id LIMIT $1::bigint) oldest
       WINDOW w AS (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
     ) running
     WHERE n >= $2::bigint AND removed >= $3::bigint
     ORDER BY id LIMIT 1`,
    [scan, excessCount, excessBytes],
  );
  const cutId = cut.rows[0]?.id;
  if (cutId === undefined) {
    throw new Error(`dead-letter prune found no cut point for ${excessCount} letters / ${excessBytes} bytes`);
  }
  const result = await client.query(`DELETE FROM ${table} WHERE id <= $1::bigint`, [cutId]);
  return deleted + (result.rowCount ?? 0);
}

function selection(f: DeadLetterCountFilter, topic: TopicFilter | undefined, values: unknown[]): string[] {
  const where: string[] = [];
  if (f.since !== undefined) where.push(`time >= ${param(values, timestampLiteral(f.since))}::timestamptz`);
  if (f.until !== undefined) where.push(`time < ${param(values, timestampLiteral(f.until))}::timestamptz`);
  const columns = [
    ['code', 'code'],
    ['rule', 'rule'],
    ['clientId', 'client_id'],
    ['source', 'source'],
  ] as const;
  for (const [key, column] of columns) {
    const value = f[key];
    if (value !== undefined) where.push(`${column} = ${param(values, value)}`);
  }
  if (f.ids !== undefined) where.push(`id = ANY (${param(values, f.ids)}::bigint[])`);
  if (topic !== undefined) where.push(topicCondition(topic, values));
  return where;
}

/**
 * The topic filter in SQL, matching topicMatches() exactly. A trailing `#` needs no regex (the parent, or
 * anything under it); `+` becomes `[^/]*` in an anchored POSIX regex whose literal levels are escaped,
 * behind a cheap starts_with on the literal prefix. Equality and starts_with, never LIKE, so `%` and `_` in
 * topics are plain characters.
 */
export function topicCondition(topic: TopicFilter, values: unknown[]): string {
  if (topic.kind === 'exact') return `topic = ${param(values, topic.topic)}`;
  const { levels } = topic;
  const conditions: string[] = [];
  // [MQTT-4.7.2-1]
  if (startsWithWildcard(topic)) conditions.push("NOT starts_with(topic, '$')");
  const firstWildcard = levels.findIndex((l) => l === '+' || l === '#');
  const literal = levels.slice(0, firstWildcard).join('/');
  if (levels[firstWildcard] === '#') {
    // Only a final `#`: `a/#` is `a` or anything starting with `a/`; `#` alone is any topic.
    if (firstWildcard > 0) {
      conditions.push(
        `(topic = ${param(values, literal)} OR starts_with(topic, ${param(values, `${literal}/`)}))`,
      );
    }
  } else {
    if (firstWildcard > 0) conditions.push(`starts_with(topic, ${param(values, `${literal}/`)})`);
    conditions.push(`topic ~ ${param(values, topicPattern(levels))}`);
  }
  return conditions.length === 0 ? 'true' : conditions.join(' AND ');
}

/**
 * An anchored advanced regular expression (PostgreSQL's `~`). By default `.` and `[^/]` match newlines,
 * which topics may contain. Only ASCII punctuation is escaped: a backslash before a letter would be an
 * escape sequence, before any other character it is that character.
 */
function topicPattern(levels: readonly string[]): string {
  return `^${topicRegexBody(levels, /[\\^$.|?*+()[\]{}-]/g)}$`;
}

function param(values: unknown[], value: unknown): string {
  values.push(value);
  return `$${values.length}`;
}

function whereClause(where: readonly string[]): string {
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
}

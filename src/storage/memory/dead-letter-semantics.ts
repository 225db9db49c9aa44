import { AppError } from '../../core/errors.js';
import type { DeadLetterCountFilter, DeadLetterFilter, DeadLetterLimits } from '../store.js';

/**
 * Dead-letter filter rules every driver applies the same way: validation and the meaning of a topic
 * filter. They live next to the memory driver because it is the reference (its matcher defines what a
 * filter selects; the DuckDB driver translates the same parsed filter to SQL and the contract suite checks
 * that both agree).
 */

/** A validated topic filter: exact, or split into levels where `+` and `#` are wildcards. */
export type TopicFilter =
  | { readonly kind: 'exact'; readonly topic: string }
  | { readonly kind: 'wildcard'; readonly levels: readonly string[] };

/** Throws QRY_BAD_PARAM unless `filter` is a valid MQTT topic filter. */
export function parseTopicFilter(filter: string): TopicFilter {
  if (typeof filter !== 'string') badParam('topic must be a string');
  // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.3-2] no U+0000.
  if (filter.length === 0) badParam('topic must not be empty');
  if (filter.includes('\u0000')) badParam('topic must not contain U+0000');
  if (!filter.includes('+') && !filter.includes('#')) return { kind: 'exact', topic: filter };
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    // [MQTT-4.7.1-2] `#` is a whole level and the last one; [MQTT-4.7.1-3] `+` is a whole level.
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      badParam(`topic filter "${filter}": '#' must be a whole level and the last one (like a/#)`);
    }
    if (level.includes('+') && level !== '+') {
      badParam(`topic filter "${filter}": '+' must be a whole level (like a/+/c)`);
    }
  }
  return { kind: 'wildcard', levels };
}

/** The reference matcher: MQTT topic matching, level by level. */
export function topicMatches(filter: TopicFilter, topic: string): boolean {
  if (filter.kind === 'exact') return topic === filter.topic;
  const { levels } = filter;
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with `$`.
  if (startsWithWildcard(filter) && topic.startsWith('$')) return false;
  const parts = topic.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    // `#` also matches the parent level: a/# matches a.
    if (level === '#') return true;
    if (i >= parts.length) return false;
    if (level !== '+' && level !== parts[i]) return false;
  }
  return parts.length === levels.length;
}

export function startsWithWildcard(filter: TopicFilter): boolean {
  return filter.kind === 'wildcard' && (filter.levels[0] === '+' || filter.levels[0] === '#');
}

/**
 * Validates the fields that select letters (shared by list and count) and parses the topic filter.
 * Throws QRY_BAD_PARAM naming the first bad field.
 */
export function checkDeadLetterSelection(f: DeadLetterCountFilter): TopicFilter | undefined {
  if (f.since !== undefined && !Number.isSafeInteger(f.since)) {
    badParam('since must be integer epoch microseconds');
  }
  if (f.until !== undefined && !Number.isSafeInteger(f.until)) {
    badParam('until must be integer epoch microseconds');
  }
  for (const key of ['code', 'rule', 'clientId', 'source'] as const) {
    if (f[key] !== undefined && typeof f[key] !== 'string') badParam(`${key} must be a string`);
  }
  if (f.ids !== undefined) checkDeadLetterIds(f.ids, 'ids');
  return f.topic === undefined ? undefined : parseTopicFilter(f.topic);
}

/** checkDeadLetterSelection plus the paging fields. */
export function checkDeadLetterFilter(f: DeadLetterFilter): TopicFilter | undefined {
  if (!Number.isSafeInteger(f.limit) || f.limit < 0) badParam('limit must be a non-negative integer');
  if (f.order !== undefined && f.order !== 'asc' && f.order !== 'desc') {
    badParam(`order must be "asc" or "desc", not "${String(f.order)}"`);
  }
  if (f.afterId !== undefined && !isCursor(f.afterId)) badParam('afterId must be a non-negative integer');
  if (f.beforeId !== undefined && !isCursor(f.beforeId)) badParam('beforeId must be a non-negative integer');
  return checkDeadLetterSelection(f);
}

/** Ids are positive safe integers; `what` names the argument in the message. */
export function checkDeadLetterIds(ids: readonly number[], what: string): void {
  if (!Array.isArray(ids)) badParam(`${what} must be an array of dead-letter ids`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isSafeInteger(id) || (id as number) < 1) {
      badParam(`${what} must be positive integer dead-letter ids; ${what}[${i}] is ${String(id)}`);
    }
  }
}

export function checkDeadLetterLimits(limits: DeadLetterLimits): void {
  if (limits.before !== undefined && !Number.isSafeInteger(limits.before)) {
    badParam('before must be integer epoch microseconds');
  }
  if (limits.maxCount !== undefined && !isCursor(limits.maxCount)) {
    badParam('maxCount must be a non-negative integer');
  }
  if (limits.maxBytes !== undefined && !isCursor(limits.maxBytes)) {
    badParam('maxBytes must be a non-negative integer');
  }
}

function isCursor(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function badParam(message: string): never {
  throw new AppError('QRY_BAD_PARAM', message);
}

/**
 * The body of a regular expression for a wildcard topic filter's levels, for the SQL drivers: `+` is one
 * level (`[^/]*`), a final `#` is the rest including the parent level (`(?:/.*)?`), other levels literal
 * with the characters in `special` escaped. The caller anchors it in its dialect. Never for a filter whose
 * first level is `#` (that one matches every topic and needs no regex).
 */
export function topicRegexBody(levels: readonly string[], special: RegExp): string {
  let pattern = '';
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level === '#') {
      pattern += '(?:/.*)?';
      continue;
    }
    if (i > 0) pattern += '/';
    pattern += level === '+' ? '[^/]*' : level.replace(special, '\\$&');
  }
  return pattern;
}

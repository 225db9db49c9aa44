import {
  DEAD_LETTER_RECORD_OVERHEAD,
  type DeadLetter,
  type DeadLetterCountFilter,
  type DeadLetterFilter,
  type DeadLetterLimits,
  type StoredDeadLetter,
} from '../store.js';
import {
  checkDeadLetterFilter,
  checkDeadLetterIds,
  checkDeadLetterLimits,
  checkDeadLetterSelection,
  type TopicFilter,
  topicMatches,
} from './dead-letter-semantics.js';

/**
 * The memory driver's dead letters: one array in id order, scanned for every read. The reference for
 * what list, count, delete and prune mean; plain code over speed.
 */
export class MemoryDeadLetters {
  /** Ascending id, which is also insertion order. */
  #letters: StoredDeadLetter[] = [];
  #lastId = 0;

  get size(): number {
    return this.#letters.length;
  }

  append(letters: readonly DeadLetter[]): void {
    // Copied in and out: a caller reusing its Buffer must not change what is stored.
    for (const l of letters)
      this.#letters.push({ ...l, payload: Buffer.from(l.payload), id: ++this.#lastId });
  }

  list(filter: DeadLetterFilter): StoredDeadLetter[] {
    const matches = matcher(filter, checkDeadLetterFilter(filter));
    const { afterId, beforeId, limit } = filter;
    const inPage = (l: StoredDeadLetter) =>
      (afterId === undefined || l.id > afterId) && (beforeId === undefined || l.id < beforeId);
    const out: StoredDeadLetter[] = [];
    const desc = (filter.order ?? 'desc') === 'desc';
    const n = this.#letters.length;
    for (let k = 0; k < n && out.length < limit; k++) {
      const l = this.#letters[desc ? n - 1 - k : k] as StoredDeadLetter;
      if (inPage(l) && matches(l)) out.push({ ...l, payload: Buffer.from(l.payload) });
    }
    return out;
  }

  count(filter: DeadLetterCountFilter): number {
    const matches = matcher(filter, checkDeadLetterSelection(filter));
    let count = 0;
    for (const l of this.#letters) if (matches(l)) count++;
    return count;
  }

  delete(ids: readonly number[]): number {
    checkDeadLetterIds(ids, 'ids');
    const doomed = new Set(ids);
    const before = this.#letters.length;
    this.#letters = this.#letters.filter((l) => !doomed.has(l.id));
    return before - this.#letters.length;
  }

  prune(limits: DeadLetterLimits): number {
    checkDeadLetterLimits(limits);
    const initial = this.#letters.length;
    const { before, maxCount, maxBytes } = limits;
    if (before !== undefined) this.#letters = this.#letters.filter((l) => l.time >= before);
    const n = this.#letters.length;
    // The oldest letters form a prefix of the array: find the shortest one whose removal meets both caps.
    let drop = maxCount === undefined ? 0 : Math.max(0, n - maxCount);
    if (maxBytes !== undefined) {
      let kept = 0;
      for (let i = drop; i < n; i++) kept += recordBytes(this.#letters[i] as StoredDeadLetter);
      while (kept > maxBytes) kept -= recordBytes(this.#letters[drop++] as StoredDeadLetter);
    }
    if (drop > 0) this.#letters.splice(0, drop);
    return initial - this.#letters.length;
  }
}

function recordBytes(l: DeadLetter): number {
  return l.payload.length + DEAD_LETTER_RECORD_OVERHEAD;
}

function matcher(f: DeadLetterCountFilter, topic: TopicFilter | undefined): (l: StoredDeadLetter) => boolean {
  const ids = f.ids === undefined ? undefined : new Set(f.ids);
  return (l) =>
    (f.since === undefined || l.time >= f.since) &&
    (f.until === undefined || l.time < f.until) &&
    (f.code === undefined || l.code === f.code) &&
    (f.rule === undefined || l.rule === f.rule) &&
    (f.clientId === undefined || l.clientId === f.clientId) &&
    (f.source === undefined || l.source === f.source) &&
    (ids === undefined || ids.has(l.id)) &&
    (topic === undefined || topicMatches(topic, l.topic));
}

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { MemoryStore } from '../storage/memory/memory-store.js';
import { DEAD_LETTER_RECORD_OVERHEAD, type DeadLetter } from '../storage/store.js';
import { DeadLetterWriter } from './dead-letters.js';

const T = 1_763_805_600_000_000;
const HOUR = 3_600_000_000;

function letter(i: number, time: number, payload = 'x'): DeadLetter {
  return {
    time,
    source: 'mqtt',
    clientId: 'c',
    topic: `t/${i}`,
    payload: Buffer.from(payload),
    payloadSize: payload.length,
    rule: 'r',
    code: 'ING_DECODE',
    message: 'bad',
  };
}

describe('DeadLetterWriter retention', () => {
  it('deletes letters past the retention, then the oldest beyond the count and byte caps', async () => {
    const store = new MemoryStore();
    await store.start();
    let now = T;
    const limits = { retentionMs: 24 * 3600 * 1000, maxCount: 5, maxBytes: 1 << 30, nowMicros: () => now };
    const writer = new DeadLetterWriter(store, silentLogger, limits);
    // Two letters two days old, eight from the last hour.
    for (let i = 0; i < 2; i++) writer.add(letter(i, T - 48 * HOUR));
    for (let i = 2; i < 10; i++) writer.add(letter(i, T - HOUR + i));
    await writer.flush();
    expect(store.stats().deadLetters).toBe(10);

    expect(await writer.prune()).toBe(5);
    const left = await store.listDeadLetters({ limit: 100, order: 'asc' });
    expect(left.map((d) => d.topic)).toEqual(['t/5', 't/6', 't/7', 't/8', 't/9']);

    // A byte cap of two records' worth keeps the two newest.
    const bytesWriter = new DeadLetterWriter(store, silentLogger, {
      ...limits,
      maxBytes: 2 * (DEAD_LETTER_RECORD_OVERHEAD + 1),
    });
    expect(await bytesWriter.prune()).toBe(3);
    expect((await store.listDeadLetters({ limit: 100 })).map((d) => d.topic)).toEqual(['t/9', 't/8']);

    // Time passes: everything ages out.
    now = T + 48 * HOUR;
    expect(await writer.prune()).toBe(2);
    expect(store.stats().deadLetters).toBe(0);
    await writer.stop();
    await store.stop();
  });
});

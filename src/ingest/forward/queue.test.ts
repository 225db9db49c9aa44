import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { DiskQueue, type QueueRecord } from './queue.js';
import { FRAME_BYTES, HEADER_BYTES, segmentName } from './segment-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorhub-fwdq-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rec = (i: number, size = 10): Buffer => Buffer.from(`r${i}:`.padEnd(size, 'x'));
const text = (rs: QueueRecord[]): string[] => rs.map((r) => r.data.toString().split(':')[0] as string);

function open(opts: { maxBytes?: number; segmentBytes?: number } = {}): Promise<DiskQueue> {
  return DiskQueue.open({
    dir,
    maxBytes: opts.maxBytes ?? 1024 * 1024,
    segmentBytes: opts.segmentBytes ?? 64 * 1024,
    logger: silentLogger,
  });
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
}

describe('DiskQueue', () => {
  it('keeps records in order, and read does not consume until ack', async () => {
    const q = await open();
    await Promise.all([0, 1, 2, 3, 4].map((i) => q.append(rec(i))));
    expect(q.records).toBe(5);
    expect(q.bytes).toBe(5 * (FRAME_BYTES + 10));
    const first = await q.read(3);
    expect(text(first)).toEqual(['r0', 'r1', 'r2']);
    expect(text(await q.read(3))).toEqual(['r0', 'r1', 'r2']);
    q.ack(first[1] as QueueRecord);
    expect(q.records).toBe(3);
    expect(text(await q.read(10))).toEqual(['r2', 'r3', 'r4']);
    await q.close();
  });

  it('resumes from the committed cursor after a restart', async () => {
    const q = await open();
    for (let i = 0; i < 6; i++) await q.append(rec(i));
    q.ack((await q.read(4))[3] as QueueRecord);
    await q.close();
    const again = await open();
    expect(again.records).toBe(2);
    expect(again.bytes).toBe(2 * (FRAME_BYTES + 10));
    expect(text(await again.read(10))).toEqual(['r4', 'r5']);
    await again.close();
  });

  it('groups concurrent appends into one write and one fsync', async () => {
    const q = await open({ maxBytes: 64 * 1024 * 1024, segmentBytes: 16 * 1024 * 1024 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => q.append(rec(i, 40))));
    const ms = performance.now() - started;
    expect(q.records).toBe(20_000);
    // 20,000 fsyncs would take seconds on any disk; grouped they are a handful.
    expect(ms).toBeLessThan(3000);
    const all = await q.read(20_000);
    expect(all.map((r) => r.data.toString().split(':')[0])).toEqual(
      Array.from({ length: 20_000 }, (_, i) => `r${i}`),
    );
    await q.close();
  });

  it('moves on to new segments and deletes the delivered ones', async () => {
    const q = await open({ segmentBytes: 200 });
    for (let i = 0; i < 30; i++) await q.append(rec(i, 40));
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(5);
    let seen: string[] = [];
    for (;;) {
      const batch = await q.read(7);
      if (batch.length === 0) break;
      seen = seen.concat(text(batch));
      q.ack(batch[batch.length - 1] as QueueRecord);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`));
    expect(q.records).toBe(0);
    expect(q.bytes).toBe(0);
    await q.close();
    // Only the segment still being appended to is left.
    expect((await segmentFiles()).length).toBe(1);
    const again = await open({ segmentBytes: 200 });
    expect(again.records).toBe(0);
    await again.close();
    expect((await segmentFiles()).length).toBe(1);
  });

  it('refuses appends beyond maxBytes with FWD_QUEUE_FULL, and takes them again once delivered', async () => {
    const q = await open({ maxBytes: 3 * (FRAME_BYTES + 10) });
    await q.append(rec(0));
    await q.append(rec(1));
    await q.append(rec(2));
    const err = await q.append(rec(3)).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('FWD_QUEUE_FULL');
    expect((err as Error).message).toContain('queueMaxBytes is 54');
    const tooBig = await q.append(Buffer.alloc(100, 1)).catch((e: unknown) => e);
    expect((tooBig as Error).message).toContain('is larger than queueMaxBytes');
    q.ack((await q.read(1))[0] as QueueRecord);
    await q.append(rec(3));
    expect(text(await q.read(10))).toEqual(['r1', 'r2', 'r3']);
    await q.close();
  });

  it('reads records larger than its read chunk', async () => {
    const q = await open({ maxBytes: 4 * 1024 * 1024, segmentBytes: 1024 * 1024 });
    const big = Buffer.alloc(700 * 1024, 7);
    await q.append(rec(0));
    await q.append(big);
    await q.append(rec(2));
    const got = await q.read(10);
    expect(got.length).toBe(3);
    expect(got[1]?.data.equals(big)).toBe(true);
    expect(text([got[2] as QueueRecord])).toEqual(['r2']);
    await q.close();
  });

  it('drops a record torn at any byte by a crash, keeping every whole record before it', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(rec(i, 12));
    await q.close();
    const [file] = await segmentFiles();
    const path = join(dir, file as string);
    const whole = await readFile(path);
    const recordBytes = FRAME_BYTES + 12;
    // As after a crash before anything was delivered: no cursor yet.
    await rm(join(dir, 'cursor'));
    for (let cut = HEADER_BYTES; cut < whole.length; cut++) {
      await writeFile(path, whole.subarray(0, cut));
      const again = await open();
      const complete = Math.floor((cut - HEADER_BYTES) / recordBytes);
      expect(again.records, `cut at ${cut}`).toBe(complete);
      expect(text(await again.read(10))).toEqual(['r0', 'r1', 'r2'].slice(0, complete));
      await again.close();
      // The torn bytes are gone from the file, so a later crash cannot bring them back. (With nothing
      // whole in it the segment is removed, and the new one to append to may take its name.)
      expect((await stat(path)).size).toBe(HEADER_BYTES + complete * recordBytes);
      // Each open starts a segment of its own; keep only the one under test.
      for (const f of await segmentFiles()) if (f !== file) await rm(join(dir, f));
      await rm(join(dir, 'cursor'), { force: true });
    }
  });

  it('treats zeros after the last record (a preallocated tail) and a flipped byte as the end', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(rec(i));
    await q.close();
    const path = join(dir, (await segmentFiles())[0] as string);
    const whole = await readFile(path);
    await writeFile(path, Buffer.concat([whole, Buffer.alloc(4096)]));
    let again = await open();
    expect(text(await again.read(10))).toEqual(['r0', 'r1', 'r2']);
    await again.close();

    const damaged = Buffer.from(whole);
    const at = HEADER_BYTES + FRAME_BYTES + 10 + FRAME_BYTES + 3; // inside r1's data
    damaged[at] = (damaged[at] as number) ^ 0xff;
    await writeFile(path, damaged);
    again = await open();
    expect(text(await again.read(10))).toEqual(['r0']);
    await again.close();
  });

  it('survives an unreadable cursor by delivering everything again', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(rec(i));
    q.ack((await q.read(2))[1] as QueueRecord);
    await q.close();
    await writeFile(join(dir, 'cursor'), '{"segment":');
    const again = await open();
    expect(text(await again.read(10))).toEqual(['r0', 'r1', 'r2']);
    await again.close();
  });

  it('resumes at the record boundary before a cursor that points inside a record', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(rec(i));
    await q.close();
    const [file] = await segmentFiles();
    const seq = Number((file as string).slice(0, 16));
    await writeFile(
      join(dir, 'cursor'),
      JSON.stringify({ segment: seq, offset: HEADER_BYTES + FRAME_BYTES + 10 + 3 }),
    );
    const again = await open();
    expect(text(await again.read(10))).toEqual(['r1', 'r2']);
    await again.close();
  });

  it('moves a file that is not a segment aside instead of failing', async () => {
    await writeFile(join(dir, segmentName(1)), 'this is not a queue segment at all');
    const q = await open();
    await q.append(rec(0));
    expect(text(await q.read(10))).toEqual(['r0']);
    await q.close();
    expect((await readdir(dir)).some((f) => f.endsWith('.corrupt'))).toBe(true);
  });

  it('waitFor resolves when records arrive, and false on timeout or abort', async () => {
    const q = await open();
    expect(await q.waitFor(1, 20)).toBe(false);
    const waiting = q.waitFor(2, 5000);
    await q.append(rec(0));
    await q.append(rec(1));
    expect(await waiting).toBe(true);
    const ctl = new AbortController();
    const aborted = q.waitFor(10, 5000, ctl.signal);
    ctl.abort();
    expect(await aborted).toBe(false);
    await q.close();
  });

  it('writes appends still pending when closed, and refuses new ones after', async () => {
    const q = await open();
    const pending = [q.append(rec(0)), q.append(rec(1))];
    await q.close();
    await Promise.all(pending);
    await expect(q.append(rec(2))).rejects.toThrow(/closed/);
    const again = await open();
    expect(text(await again.read(10))).toEqual(['r0', 'r1']);
    await again.close();
  });

  it('keeps a segment truncated while open readable up to what it had', async () => {
    const q = await open();
    for (let i = 0; i < 3; i++) await q.append(rec(i));
    const path = join(dir, (await segmentFiles())[0] as string);
    // Damage under a running queue: read reports it as an error (the forwarder logs it and tries again).
    await truncate(path, HEADER_BYTES + FRAME_BYTES + 10 + 4);
    await expect(q.read(10)).rejects.toThrow(/shorter than expected/);
    await q.close();
  });

  it('keeps every acknowledged append, in order, when its process is killed with SIGKILL mid-write', async () => {
    // A real process appending as fast as it can (50 appends in flight), killed without warning.
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = join(dir, 'crash-append.ts');
    await writeFile(
      script,
      `import { DiskQueue } from ${JSON.stringify(join(here, 'queue.ts'))};
import { silentLogger } from ${JSON.stringify(join(here, '../../core/logger.ts'))};
const q = await DiskQueue.open({ dir: process.env.QDIR as string, maxBytes: 2 ** 30, segmentBytes: 256 * 1024, logger: silentLogger });
let next = 0;
async function loop(): Promise<void> {
  for (;;) {
    const n = next++;
    await q.append(Buffer.from(\`rec-\${n}-\`.padEnd(100 + (n % 50), 'x')));
    process.stdout.write(\`\${n}\\n\`);
  }
}
for (let k = 0; k < 50; k++) void loop();
`,
    );
    const qdir = join(dir, 'q');
    const viteNode = fileURLToPath(new URL('../../../node_modules/vite-node/vite-node.mjs', import.meta.url));
    const child = spawn(process.execPath, [viteNode, script], {
      env: { ...process.env, QDIR: qdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let maxAcked = -1;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no appends acknowledged in 15 s; stderr: ${stderr}`)),
        15_000,
      );
      createInterface({ input: child.stdout }).on('line', (line) => {
        maxAcked = Math.max(maxAcked, Number(line));
        if (maxAcked >= 3000) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await exited;

    const q = await DiskQueue.open({ dir: qdir, maxBytes: 2 ** 30, logger: silentLogger });
    const all = await q.read(1_000_000);
    await q.close();
    const numbers = all.map((r) => Number(/^rec-(\d+)-x*$/.exec(r.data.toString())?.[1]));
    // Appends are written in call order and a torn group only at the end: a contiguous prefix.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
    expect(numbers.length).toBeGreaterThan(maxAcked);
  });
});

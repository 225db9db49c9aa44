/**
 * A minimal POSIX tar (ustar, with pax headers for long names and large sizes): enough to stream a backup
 * as one HTTP response and read it back, and to be opened by `tar -xf`. Regular files only.
 */

const BLOCK = 512;
/** The ustar size field holds 11 octal digits. */
const MAX_USTAR_SIZE = 0o77777777777;
const END = Buffer.alloc(BLOCK * 2);

export interface TarFile {
  /** Relative path with `/` separators. */
  readonly name: string;
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Exactly `size` bytes. */
  readonly body: AsyncIterable<Buffer> | Buffer;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: number, type: '0' | 'x'): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name.slice(0, 100), 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size > MAX_USTAR_SIZE ? 0 : size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(mtime)), 12), 136, 'ascii');
  h.write(' '.repeat(8), 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A pax record is `<length> <key>=<value>\n`, where the length counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The archive as a stream of buffers; a body shorter or longer than its declared size is an error. */
export async function* writeTar(files: AsyncIterable<TarFile> | Iterable<TarFile>): AsyncGenerator<Buffer> {
  for await (const file of files) {
    const needsPax = Buffer.byteLength(file.name) > 100 || file.size > MAX_USTAR_SIZE;
    if (needsPax) {
      const records = Buffer.from(paxRecord('path', file.name) + paxRecord('size', String(file.size)));
      yield header(`PaxHeader/${file.name.slice(-80)}`, records.length, file.mtime, 'x');
      yield records;
      yield padding(records.length);
    }
    yield header(file.name, file.size, file.mtime, '0');
    let written = 0;
    if (Buffer.isBuffer(file.body)) {
      written = file.body.length;
      yield file.body;
    } else {
      for await (const chunk of file.body) {
        written += chunk.length;
        if (written > file.size) throw new TarError(`${file.name} grew while it was archived`);
        yield chunk;
      }
    }
    if (written !== file.size) {
      throw new TarError(
        `${file.name}: ${written} bytes read, ${file.size} expected (changed while archived)`,
      );
    }
    yield padding(file.size);
  }
  yield END;
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  readonly #source: AsyncIterator<Buffer>;
  #pending: Buffer = Buffer.alloc(0);
  #done = false;
  offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or undefined at a clean end of the stream (nothing pending). */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.#pending.length < n && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else this.#pending = Buffer.concat([this.#pending, next.value]);
    }
    if (this.#pending.length === 0 && this.#done) return undefined;
    if (this.#pending.length < n) throw new TarError(`the archive is truncated at byte ${this.offset}`);
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    this.offset += n;
    return out;
  }

  /** n bytes as they arrive. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#pending.length === 0) {
        const next = this.#done ? { done: true as const } : await this.#source.next();
        if (next.done) {
          this.#done = true;
          throw new TarError(`the archive is truncated at byte ${this.offset}`);
        }
        this.#pending = next.value;
      }
      const take = Math.min(left, this.#pending.length);
      const out = this.#pending.subarray(0, take);
      this.#pending = this.#pending.subarray(take);
      this.offset += take;
      left -= take;
      yield out;
    }
  }
}

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function parsePax(records: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < records.length) {
    const space = records.indexOf(0x20, at);
    const length = Number(records.subarray(at, space).toString('ascii'));
    if (space < 0 || !Number.isInteger(length) || length <= 0)
      throw new TarError('a pax header is malformed');
    const record = records.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}

export interface TarEntry {
  readonly name: string;
  readonly size: number;
  /** '0' regular file, '5' directory; others are passed on too (the caller decides). */
  readonly type: string;
}

/**
 * Reads an archive, calling `onEntry` for each entry with its body (which it may leave unread; it is
 * skipped then). Checks every header's checksum, and that the archive ends with its end marker: a stream
 * cut short (a backup interrupted on the server) is an error, never a silently partial archive.
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (entry: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<{ entries: number }> {
  const reader = new ByteReader(source);
  let entries = 0;
  let pax = new Map<string, string>();
  for (;;) {
    const h = await reader.read(BLOCK);
    if (h === undefined)
      throw new TarError(`the archive is truncated at byte ${reader.offset} (no end marker)`);
    if (h.every((b) => b === 0)) {
      const second = await reader.read(BLOCK);
      if (second === undefined || !second.every((b) => b === 0))
        throw new TarError(`the archive has a stray empty block at byte ${reader.offset - BLOCK}`);
      return { entries };
    }
    const stored = Number.parseInt(field(h, 148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    if (stored !== sum) throw new TarError(`a header checksum is wrong at byte ${reader.offset - BLOCK}`);
    const type = field(h, 156, 1) || '0';
    const prefix = field(h, 345, 155);
    const name = pax.get('path') ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const size = Number(pax.get('size') ?? Number.parseInt(field(h, 124, 12).trim() || '0', 8));
    pax = new Map();
    if (type === 'x') {
      const records = await reader.read(size + padding(size).length);
      if (records === undefined) throw new TarError('the archive is truncated in a pax header');
      pax = parsePax(records.subarray(0, size));
      continue;
    }
    const chunks = reader.chunks(size);
    // A caller that stops reading early (break) must not close the generator: the rest is skipped below.
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: () => chunks.next(),
        return: async () => ({ done: true, value: undefined }),
      }),
    };
    await onEntry({ name, size, type }, body);
    while (!(await chunks.next()).done) {
      // The rest of a body the caller left unread.
    }
    const pad = padding(size).length;
    if (pad > 0) await reader.read(pad);
    entries++;
  }
}

import { PG_EPOCH_OFFSET_US } from './time.js';

/**
 * Encoder for PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`): a header, then per
 * row a 16-bit field count and each field as a 32-bit length (-1 for NULL) followed by its bytes in the
 * type's binary send format, then a -1 trailer. Binary skips the server's text parsing of every float and
 * timestamp, and needs no escaping. Output is a list of chunks, each one CopyData message.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const CHUNK_SIZE = 256 * 1024;
const TWO_32 = 2 ** 32;

export class BinaryCopyWriter {
  readonly #chunks: Buffer[] = [];
  #buf: Buffer;
  #pos = 0;
  #rows = 0;

  constructor() {
    this.#buf = Buffer.allocUnsafe(CHUNK_SIZE);
    SIGNATURE.copy(this.#buf, 0);
    this.#pos = SIGNATURE.length;
    this.#buf.writeInt32BE(0, this.#pos); // flags: no OIDs
    this.#buf.writeInt32BE(0, this.#pos + 4); // header extension length
    this.#pos += 8;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Starts a row of `fields` fields; every field must then be written, in table column order. */
  row(fields: number): void {
    this.#reserve(2);
    this.#buf.writeInt16BE(fields, this.#pos);
    this.#pos += 2;
    this.#rows++;
  }

  null(): void {
    this.#reserve(4);
    this.#buf.writeInt32BE(-1, this.#pos);
    this.#pos += 4;
  }

  int4(v: number): void {
    this.#reserve(8);
    this.#buf.writeInt32BE(4, this.#pos);
    this.#buf.writeInt32BE(v, this.#pos + 4);
    this.#pos += 8;
  }

  float8(v: number): void {
    this.#reserve(12);
    this.#buf.writeInt32BE(8, this.#pos);
    this.#buf.writeDoubleBE(v, this.#pos + 4);
    this.#pos += 12;
  }

  bool(v: boolean): void {
    this.#reserve(5);
    this.#buf.writeInt32BE(1, this.#pos);
    this.#buf[this.#pos + 4] = v ? 1 : 0;
    this.#pos += 5;
  }

  /** timestamptz from epoch µs: an int64 of µs since 2000-01-01, split in halves to avoid a BigInt per row. */
  timestamp(us: number): void {
    this.#reserve(12);
    const v = us - PG_EPOCH_OFFSET_US;
    const hi = Math.floor(v / TWO_32);
    this.#buf.writeInt32BE(8, this.#pos);
    this.#buf.writeInt32BE(hi, this.#pos + 4);
    this.#buf.writeUInt32BE(v - hi * TWO_32, this.#pos + 8);
    this.#pos += 12;
  }

  text(v: string): void {
    const length = Buffer.byteLength(v, 'utf8');
    this.#reserve(4 + length);
    this.#buf.writeInt32BE(length, this.#pos);
    this.#buf.write(v, this.#pos + 4, length, 'utf8');
    this.#pos += 4 + length;
  }

  bytea(v: Uint8Array): void {
    this.#reserve(4 + v.length);
    this.#buf.writeInt32BE(v.length, this.#pos);
    this.#buf.set(v, this.#pos + 4);
    this.#pos += 4 + v.length;
  }

  /** Ends the data; the writer must not be used after. */
  finish(): Buffer[] {
    this.#reserve(2);
    this.#buf.writeInt16BE(-1, this.#pos);
    this.#pos += 2;
    this.#flush();
    return this.#chunks;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flush();
    // A field larger than a chunk (a big payload) gets a buffer of its own size.
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK_SIZE, n));
    this.#pos = 0;
  }

  #flush(): void {
    if (this.#pos > 0) this.#chunks.push(this.#buf.subarray(0, this.#pos));
  }
}

import { createHash } from 'node:crypto';
import type { EpochMicros } from '../../core/point.js';
import { extensionFor } from './content-type.js';

/** Where a stored blob is: its key, and the API path that serves it (`/api/v1/blobs/<key>`). */
export interface StoredBlob {
  readonly key: string;
  readonly url: string;
}

export interface BlobContent {
  readonly data: Buffer;
  readonly contentType: string;
}

/**
 * Where `format: binary` payloads go. A point keeps only the key and URL; the bytes live here. put()
 * resolves only once the bytes are durable, because the MQTT acknowledgement waits for it.
 */
export interface BlobStore {
  /** Stores `data` under `key` (a key from blobKey()); rejects with BLOB_WRITE_FAILED. */
  put(key: string, data: Buffer, contentType: string): Promise<StoredBlob>;
  /** The blob, or undefined when there is none under `key` (including keys blobKey() cannot produce). */
  get(key: string): Promise<BlobContent | undefined>;
  /** True when a blob was there and is now gone. */
  delete(key: string): Promise<boolean>;
  start(): Promise<void>;
  /** Waits for puts in flight, then stops accepting new ones. */
  stop(): Promise<void>;
}

export const BLOB_URL_PREFIX = '/api/v1/blobs/';

export interface BlobKeyInput {
  readonly database: string;
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly time: EpochMicros;
  readonly data: Buffer;
  readonly contentType: string;
}

/** Longest database or measurement segment; longer names are cut and made distinct by a hash. */
const MAX_NAME_SEGMENT = 64;
const MAX_TAGS_SEGMENT = 128;
const MAX_KEY_LENGTH = 1024;
/** What a segment may hold: URL-safe without escaping, safe as a file name, never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_=,-][A-Za-z0-9._=,-]{0,254}$/;
const HASH_IN_NAME = /-([0-9a-f]{16})\.[a-z0-9]+$/;
const NO_TAGS = '_';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * One key segment from a name or tag value: characters outside `A-Z a-z 0-9 . _ -` (slashes, `..`
 * tricks, control characters, spaces, non-ASCII, the `=` and `,` separators) become `_`, a leading dot
 * becomes `_`, and a name longer than `max` is cut and suffixed with a hash of the whole name so that two
 * long names stay apart.
 */
export function sanitizeSegment(text: string, max = MAX_NAME_SEGMENT): string {
  let s = text.replace(/[^A-Za-z0-9._-]/g, '_');
  if (s.startsWith('.')) s = `_${s.slice(1)}`;
  if (s === '') s = '_';
  if (s.length > max) s = `${s.slice(0, max - 9)}-${shortHash(text)}`;
  return s;
}

function tagsSegment(tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) return NO_TAGS;
  const joined = keys.map((k) => `${sanitizeSegment(k)}=${sanitizeSegment(tags[k] as string)}`).join(',');
  if (joined.length <= MAX_TAGS_SEGMENT) return joined;
  const exact = keys.map((k) => `${k}=${tags[k]}`).join('\n');
  return `${joined.slice(0, MAX_TAGS_SEGMENT - 9)}-${shortHash(exact)}`;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * A stable, safe key for a blob:
 * `<db>/<measurement>/<k=v,…|_>/<YYYY>/<MM>/<DD>/<HHMMSS.micros>-<sha256(data) first 16 hex>.<ext>`.
 * Every segment is sanitized (sanitizeSegment). Two blobs share a key only with the same series, the same
 * microsecond and the same bytes, i.e. when they are the same blob: storing it twice is harmless.
 */
export function blobKey(opts: BlobKeyInput): string {
  const hash = createHash('sha256').update(opts.data).digest('hex').slice(0, 16);
  const micros = Math.floor(opts.time);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const d = new Date(seconds * 1000);
  if (!Number.isFinite(d.getTime())) throw new RangeError(`blob time ${opts.time} is not a valid time`);
  const year = d.getUTCFullYear();
  const name =
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(fraction, 6)}-${hash}.${extensionFor(opts.contentType)}`;
  return [
    sanitizeSegment(opts.database),
    sanitizeSegment(opts.measurement),
    tagsSegment(opts.tags),
    // Years before 0 or after 9999 are not sensor data, but must still give a valid segment.
    year < 0 ? `_${pad(-year, 4)}` : pad(year, 4),
    pad(d.getUTCMonth() + 1, 2),
    pad(d.getUTCDate(), 2),
    name,
  ].join('/');
}

/**
 * True for keys of the shape blob stores accept: `/`-separated segments of `A-Z a-z 0-9 . _ = , -`, none
 * empty, none starting with a dot. Stores check every key with it, so no key can name `..`, an absolute
 * path or a temporary file.
 */
export function isValidBlobKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  for (const segment of key.split('/')) if (!SEGMENT.test(segment)) return false;
  return true;
}

/** The content hash a key carries (its ETag), or undefined for a key blobKey() did not make. */
export function blobHashOf(key: string): string | undefined {
  return HASH_IN_NAME.exec(key)?.[1];
}

/** The API path of a blob. Valid keys need no escaping. */
export function blobUrl(key: string): string {
  return `${BLOB_URL_PREFIX}${key}`;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type ErrorCode, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type BlobContent, type BlobStore, blobUrl, isValidBlobKey, type StoredBlob } from './blob-store.js';
import { OCTET_STREAM } from './content-type.js';
import { type SigV4Credentials, sha256Hex, signV4, toAmzDate, uriEncode } from './sigv4.js';

/** Where the objects go. */
export interface S3Location {
  /** `http(s)://host[:port][/path]`; empty: AWS S3 in `region` (`https://s3.<region>.amazonaws.com`). */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Prepended to every key, e.g. `sensorhub/`. */
  readonly prefix: string;
  /** `<endpoint>/<bucket>/<key>` (MinIO and most self-hosted servers) instead of `<bucket>.<host>/<key>`. */
  readonly forcePathStyle: boolean;
}

export interface S3BlobStoreOptions extends S3Location {
  /** Called once by start(); see s3-credentials.ts. */
  readonly credentials: () => Promise<SigV4Credentials>;
  readonly logger: Logger;
  /** Per request attempt. */
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

export interface S3Target {
  readonly url: URL;
  /** The path as sent and as signed (the canonical URI). */
  readonly path: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Network errors and these statuses are retried: the server was busy or restarting, not refusing. */
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const RETRY_DELAYS_MS = [100, 400];
const MAX_ERROR_BODY = 4096;

/** `Code: Message` from an S3 XML error body, or the status text when the body says nothing. */
async function s3ErrorOf(res: Response): Promise<string> {
  const body = (await res.text().catch(() => '')).slice(0, MAX_ERROR_BODY);
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  const what = [code, message].filter(Boolean).join(': ');
  return `${res.status} ${what || res.statusText}`;
}

function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/**
 * Blobs as objects in an S3-compatible store (AWS S3, MinIO, Garage, Ceph RGW, …), over fetch with
 * Signature Version 4. PUT bodies are signed with their SHA-256, so the server refuses a body damaged on
 * the way; put() resolves when the server has answered 200, which for S3 means the object is stored.
 */
export class S3BlobStore implements BlobStore {
  readonly #endpoint: URL;
  readonly #prefix: string;
  readonly #inflight = new Set<Promise<unknown>>();
  #credentials: SigV4Credentials | undefined;
  #started = false;

  constructor(private readonly opts: S3BlobStoreOptions) {
    this.#endpoint = new URL(opts.endpoint || `https://s3.${opts.region}.amazonaws.com`);
    this.#prefix = normalizePrefix(opts.prefix);
  }

  /** Loads the credentials and checks that the bucket answers; a wrong bucket or key fails the start. */
  async start(): Promise<void> {
    this.#credentials = await this.opts.credentials();
    const target = this.target(undefined);
    let res: Response;
    try {
      res = await this.#send('HEAD', target);
    } catch (err) {
      // The server may just be starting too: blobs fail (and are not acknowledged) until it answers.
      this.opts.logger.warn(
        { err, endpoint: this.#endpoint.origin, bucket: this.opts.bucket },
        `S3 endpoint ${target.url.origin} does not answer yet; binary payloads fail until it does`,
      );
      this.#started = true;
      return;
    }
    await res.body?.cancel();
    if (res.status === 404) {
      throw new AppError(
        'CFG_INVALID',
        `invalid configuration:\n  blobs.s3.bucket: bucket "${this.opts.bucket}" does not exist at ${target.url.href}`,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new AppError(
        'CFG_INVALID',
        `invalid configuration:\n  blobs.s3: ${target.url.href} refused the credentials (HTTP ${res.status}); ` +
          'check SENSORHUB_S3_ACCESS_KEY_ID, SENSORHUB_S3_SECRET_ACCESS_KEY and blobs.s3.region',
      );
    }
    if (!res.ok) {
      this.opts.logger.warn(
        { status: res.status, bucket: this.opts.bucket },
        `S3 bucket check at ${target.url.href} answered ${res.status}`,
      );
    }
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.allSettled([...this.#inflight]);
  }

  put(key: string, data: Buffer, contentType: string): Promise<StoredBlob> {
    if (!this.#started) {
      return Promise.reject(
        new AppError('BLOB_WRITE_FAILED', `could not store blob "${key}": the blob store is not started`),
      );
    }
    if (!isValidBlobKey(key)) {
      return Promise.reject(
        new AppError('BLOB_WRITE_FAILED', `could not store blob: ${JSON.stringify(key)} is not a blob key`),
      );
    }
    const write = this.#put(key, data, contentType);
    this.#inflight.add(write);
    const forget = () => this.#inflight.delete(write);
    write.then(forget, forget);
    return write;
  }

  async get(key: string): Promise<BlobContent | undefined> {
    if (!isValidBlobKey(key)) return undefined;
    const target = this.target(key);
    const res = await this.#call('GET', target, 'BLOB_READ_FAILED');
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200) throw this.#failure('BLOB_READ_FAILED', 'GET', target, await s3ErrorOf(res));
    const data = Buffer.from(await res.arrayBuffer());
    return { data, contentType: res.headers.get('content-type') ?? OCTET_STREAM };
  }

  /** S3 answers DELETE with 204 whether or not the object was there; a HEAD first tells which. */
  async delete(key: string): Promise<boolean> {
    if (!isValidBlobKey(key)) return false;
    const target = this.target(key);
    const head = await this.#call('HEAD', target, 'BLOB_READ_FAILED');
    await head.body?.cancel();
    if (head.status === 404) return false;
    if (!head.ok) throw this.#failure('BLOB_READ_FAILED', 'HEAD', target, `${head.status}`);
    const res = await this.#call('DELETE', target, 'BLOB_WRITE_FAILED');
    if (!res.ok) throw this.#failure('BLOB_WRITE_FAILED', 'DELETE', target, await s3ErrorOf(res));
    await res.body?.cancel();
    return true;
  }

  /** The URL of an object (or, for undefined, of the bucket) in path or virtual-host style. */
  target(key: string | undefined): S3Target {
    const base = this.#endpoint.pathname.replace(/\/+$/, '');
    const objectPath = key === undefined ? '' : uriEncode(`${this.#prefix}${key}`, false);
    const bucket = uriEncode(this.opts.bucket, true);
    const host = this.opts.forcePathStyle ? this.#endpoint.host : `${bucket}.${this.#endpoint.host}`;
    const path = this.opts.forcePathStyle ? `${base}/${bucket}/${objectPath}` : `${base}/${objectPath}`;
    // The bucket alone: `/bucket` in path style (no trailing slash), `/` in virtual-host style.
    const finalPath = key === undefined && this.opts.forcePathStyle ? `${base}/${bucket}` : path;
    return { url: new URL(`${this.#endpoint.protocol}//${host}${finalPath}`), path: finalPath };
  }

  async #put(key: string, data: Buffer, contentType: string): Promise<StoredBlob> {
    const target = this.target(key);
    const res = await this.#call('PUT', target, 'BLOB_WRITE_FAILED', data, contentType);
    if (res.status !== 200) {
      throw this.#failure('BLOB_WRITE_FAILED', 'PUT', target, await s3ErrorOf(res));
    }
    await res.body?.cancel();
    return { key, url: blobUrl(key) };
  }

  /** One request with retries for network errors and 5xx; the last answer is returned as it is. */
  async #call(
    method: string,
    target: S3Target,
    code: ErrorCode,
    body?: Buffer,
    contentType?: string,
  ): Promise<Response> {
    if (this.#credentials === undefined)
      throw this.#failure(code, method, target, 'the blob store is not started');
    for (let attempt = 0; ; attempt++) {
      const delay = RETRY_DELAYS_MS[attempt];
      let res: Response;
      try {
        res = await this.#send(method, target, body, contentType);
      } catch (err) {
        if (delay === undefined) throw this.#failure(code, method, target, errorMessage(err), err);
        await sleep(delay);
        continue;
      }
      if (!RETRY_STATUSES.has(res.status) || delay === undefined) return res;
      await res.body?.cancel();
      await sleep(delay);
    }
  }

  async #send(method: string, target: S3Target, body?: Buffer, contentType?: string): Promise<Response> {
    const credentials = this.#credentials;
    if (credentials === undefined) throw new Error('the blob store is not started');
    const amzDate = toAmzDate(this.opts.now?.() ?? new Date());
    const payloadHash = sha256Hex(body ?? '');
    const headers: Record<string, string> = {
      host: target.url.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate,
    };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
    const { authorization } = signV4(
      {
        method,
        path: target.path,
        headers,
        payloadHash,
        region: this.opts.region,
        service: 's3',
        amzDate,
      },
      credentials,
    );
    // fetch derives Host from the URL itself (the same url.host that was signed).
    const { host: _host, ...sent } = headers;
    return fetch(target.url, {
      method,
      headers: { ...sent, authorization },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  }

  #failure(code: ErrorCode, method: string, target: S3Target, reason: string, cause?: unknown): AppError {
    const what = code === 'BLOB_WRITE_FAILED' ? 'could not store blob' : 'could not read blob';
    return new AppError(
      code,
      `${what}: S3 ${method} ${target.url.href} failed: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

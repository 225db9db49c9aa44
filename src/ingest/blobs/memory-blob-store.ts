import { AppError } from '../../core/errors.js';
import { type BlobContent, type BlobStore, blobUrl, isValidBlobKey, type StoredBlob } from './blob-store.js';

/** The reference BlobStore: what every driver must behave like (blob-store-contract.ts), kept in memory. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, BlobContent>();
  #started = false;

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
  }

  async put(key: string, data: Buffer, contentType: string): Promise<StoredBlob> {
    if (!this.#started)
      throw new AppError('BLOB_WRITE_FAILED', `could not store blob "${key}": the blob store is not started`);
    if (!isValidBlobKey(key))
      throw new AppError(
        'BLOB_WRITE_FAILED',
        `could not store blob: ${JSON.stringify(key)} is not a blob key`,
      );
    // A copy: the payload may be a view into a larger socket buffer that is reused.
    this.#blobs.set(key, { data: Buffer.from(data), contentType });
    return { key, url: blobUrl(key) };
  }

  async get(key: string): Promise<BlobContent | undefined> {
    const blob = this.#blobs.get(key);
    return blob && { data: Buffer.from(blob.data), contentType: blob.contentType };
  }

  async delete(key: string): Promise<boolean> {
    return this.#blobs.delete(key);
  }

  get size(): number {
    return this.#blobs.size;
  }
}

/**
 * What a backup archive holds (docs/operations.md#backup-and-restore). The archive is a tar stream:
 * MANIFEST_NAME first, then STORE_FILE, then the blobs under BLOBS_DIR/.
 */
export const MANIFEST_NAME = 'sensorhub-backup.json';
export const STORE_FILE = 'sensorhub.duckdb';
export const BLOBS_DIR = 'blobs';
export const BACKUP_FORMAT = 'sensorhub-backup';
export const BACKUP_VERSION = 1;

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_VERSION;
  /** ISO 8601: when the store snapshot was taken. Every write acknowledged before it is in the backup. */
  readonly created: string;
  readonly server: string;
  readonly store: { readonly file: typeof STORE_FILE; readonly bytes: number };
  /**
   * Whether `<dataDir>/blobs` is in the archive. False when the server keeps blobs elsewhere (S3) or does
   * not know its data directory; `blobsNote` then says why.
   */
  readonly blobs: boolean;
  readonly blobsNote?: string;
}

/** The manifest of an archive, checked: anything else is not a sensorhub backup this version can restore. */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${MANIFEST_NAME} is not JSON: this is not a sensorhub backup`);
  }
  const m = value as Partial<BackupManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== BACKUP_FORMAT) {
    throw new Error(`${MANIFEST_NAME} has no "format": "${BACKUP_FORMAT}": this is not a sensorhub backup`);
  }
  if (m.version !== BACKUP_VERSION) {
    throw new Error(
      `backup format version ${String(m.version)} is not supported (this sensorhub reads version ${BACKUP_VERSION})`,
    );
  }
  if (typeof m.store?.bytes !== 'number' || typeof m.created !== 'string') {
    throw new Error(`${MANIFEST_NAME} lacks store.bytes or created`);
  }
  return m as BackupManifest;
}

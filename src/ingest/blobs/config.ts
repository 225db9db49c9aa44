import { join } from 'node:path';
import { z } from 'zod';
import { bool, byteSize } from '../../config/zod-types.js';
import type { Logger } from '../../core/logger.js';
import { type BlobStore, isValidBlobKey } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { loadS3Credentials } from './s3-credentials.js';

export const DEFAULT_BLOB_MAX_SIZE = 16 * 1024 * 1024;

/** S3 bucket naming rules (3–63 characters, lower case, digits, dots, hyphens; letter or digit at the ends). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const endpoint = z
  .string()
  .default('')
  .refine(
    (v) => {
      if (v === '') return true;
      if (!URL.canParse(v)) return false;
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '';
    },
    { message: 'expected http://host:port or https://host (e.g. http://minio:9000), or empty for AWS' },
  )
  .refine((v) => v === '' || !URL.canParse(v) || (new URL(v).username === '' && new URL(v).password === ''), {
    message:
      'credentials do not go in the URL: set SENSORHUB_S3_ACCESS_KEY_ID and SENSORHUB_S3_SECRET_ACCESS_KEY',
  });

const prefix = z
  .string()
  .default('')
  .refine(
    (v) => {
      const p = v.replace(/^\/+/, '').replace(/\/$/, '');
      return p === '' || isValidBlobKey(p);
    },
    {
      message:
        'a prefix is path segments of A-Z a-z 0-9 . _ = , - (none starting with a dot), e.g. sensorhub/',
    },
  );

/** `blobs:` in the config: where `format: binary` payloads are stored. */
export const blobStoreSchema = z
  .object({
    type: z.enum(['fs', 's3']).default('fs'),
    /** Largest binary payload a rule stores; larger ones are rejected with ING_TOO_LARGE. */
    maxSize: byteSize.default(DEFAULT_BLOB_MAX_SIZE),
    s3: z
      .object({
        endpoint,
        region: z.string().min(1).default('us-east-1'),
        bucket: z.string().default(''),
        prefix,
        forcePathStyle: bool.default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.type !== 's3') return;
    if (c.s3.bucket === '') {
      ctx.addIssue({ code: 'custom', path: ['s3', 'bucket'], message: 'blobs.type is s3: name the bucket' });
    } else if (!BUCKET.test(c.s3.bucket) || c.s3.bucket.includes('..')) {
      ctx.addIssue({
        code: 'custom',
        path: ['s3', 'bucket'],
        message: `"${c.s3.bucket}" is not a bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)`,
      });
    }
  });

export type BlobStoreConfig = z.output<typeof blobStoreSchema>;

/**
 * The configured store, not started. Files go to `<dataDir>/blobs`; S3 credentials are read from `env`
 * when the store starts (see s3-credentials.ts).
 */
export function createBlobStore(
  config: BlobStoreConfig,
  dataDir: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): BlobStore {
  switch (config.type) {
    case 'fs':
      return new FsBlobStore({ dir: join(dataDir, 'blobs') });
    case 's3':
      return new S3BlobStore({
        ...config.s3,
        credentials: () => loadS3Credentials(env),
        logger: logger.child({ ns: 'blobs' }),
      });
  }
}

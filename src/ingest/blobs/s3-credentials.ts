import { readFile } from 'node:fs/promises';
import { AppError, errorMessage } from '../../core/errors.js';
import type { SigV4Credentials } from './sigv4.js';

export const S3_ACCESS_KEY_ENV = 'SENSORHUB_S3_ACCESS_KEY_ID';
export const S3_SECRET_KEY_ENV = 'SENSORHUB_S3_SECRET_ACCESS_KEY';
export const S3_SESSION_TOKEN_ENV = 'SENSORHUB_S3_SESSION_TOKEN';

function invalid(message: string, cause?: unknown): AppError {
  return new AppError(
    'CFG_INVALID',
    `invalid configuration:\n  blobs.s3: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/** `NAME`, or the trimmed content of the file `NAME_FILE` names (Docker and Kubernetes secrets). */
async function secret(env: NodeJS.ProcessEnv, name: string): Promise<string | undefined> {
  const direct = env[name];
  if (direct) return direct;
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw invalid(`${name}_FILE: cannot read ${file}: ${errorMessage(err)}`, err);
  }
  if (text === '') throw invalid(`${name}_FILE: ${file} is empty`);
  return text;
}

/**
 * S3 credentials come only from the environment (or files it names), never from the config file, so a
 * config can be shared or committed without leaking them.
 */
export async function loadS3Credentials(env: NodeJS.ProcessEnv): Promise<SigV4Credentials> {
  const accessKeyId = await secret(env, S3_ACCESS_KEY_ENV);
  const secretAccessKey = await secret(env, S3_SECRET_KEY_ENV);
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    const missing = [
      ...(accessKeyId === undefined ? [S3_ACCESS_KEY_ENV] : []),
      ...(secretAccessKey === undefined ? [S3_SECRET_KEY_ENV] : []),
    ];
    throw invalid(
      `blobs.type is s3 but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set ` +
        '(set the variable, or NAME_FILE to a file holding it)',
    );
  }
  const sessionToken = await secret(env, S3_SESSION_TOKEN_ENV);
  return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
}

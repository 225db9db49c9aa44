import { readFile } from 'node:fs/promises';
import { AppError, errorMessage } from '../../core/errors.js';
import type { ForwardAuth, SecretSource } from './config.js';

async function readSecret(
  source: SecretSource,
  where: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  let value: string;
  if ('env' in source) {
    const v = env[source.env];
    if (v === undefined || v === '') {
      throw new AppError('CFG_INVALID', `${where}Env: the environment variable ${source.env} is not set`);
    }
    value = v;
  } else {
    try {
      // Surrounding whitespace is trimmed, as for SENSORHUB_ADMIN_PASSWORD_FILE: `echo secret > file` and
      // many secret mounts leave a line break that is not part of the secret.
      value = (await readFile(source.file, 'utf8')).trim();
    } catch (err) {
      throw new AppError('CFG_INVALID', `${where}File: cannot read ${source.file}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (value === '') throw new AppError('CFG_INVALID', `${where}File: ${source.file} is empty`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new AppError(
      'CFG_INVALID',
      `${where}: the secret contains a line break, which no HTTP header can carry`,
    );
  }
  return value;
}

/**
 * The Authorization header of an output, read once at start: a missing variable or file stops the start
 * with a message naming it, instead of every delivery failing with 401 later.
 */
export async function authorizationHeader(
  auth: ForwardAuth | undefined,
  output: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  if (auth === undefined) return undefined;
  const prefix = `forward output "${output}": auth`;
  if (auth.type === 'basic') {
    const password = await readSecret(auth.password, `${prefix}.basic.password`, env);
    return `Basic ${Buffer.from(`${auth.username}:${password}`, 'utf8').toString('base64')}`;
  }
  const token = await readSecret(auth.token, `${prefix}.bearer.token`, env);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new AppError(
      'CFG_INVALID',
      `${prefix}.bearer.token: the token holds spaces or non-ASCII characters`,
    );
  }
  return `${auth.scheme} ${token}`;
}

import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { AppError } from '../../core/errors.js';

/** A password, or a function node-postgres calls at each new connection (to re-read a file, a vault). */
export type PasswordSource = string | (() => string | Promise<string>);

/**
 * `postgres://user@host:port/database?sslmode=…` → node-postgres client settings. The URL carries no
 * password: it is logged and shown in errors, so a password in it is refused (CFG_INVALID) and comes from
 * the `password` option instead. `?host=/run/postgresql` selects a unix socket directory.
 */
export function clientConfig(url: string, password: PasswordSource | undefined): pg.ClientConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, 'not a URL; expected postgres://user@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw badUrl(url, `scheme "${parsed.protocol}" is not postgres: or postgresql:`);
  }
  if (parsed.password !== '') {
    throw new AppError(
      'CFG_INVALID',
      'the PostgreSQL URL contains a password; remove it from the URL and give it separately ' +
        '(an environment variable or a file), so that it never appears in config files or logs',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw badUrl(url, 'no database name (postgres://user@host:port/DATABASE)');
  const user = decodeURIComponent(parsed.username);
  if (user === '') throw badUrl(url, 'no user name (postgres://USER@host:port/database)');
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname);
  const config: pg.ClientConfig = {
    host,
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    user,
    database,
    ssl: sslOf(url, parsed.searchParams.get('sslmode')),
  };
  if (password !== undefined) config.password = password;
  return config;
}

function sslOf(url: string, mode: string | null): boolean | ConnectionOptions {
  switch (mode ?? 'disable') {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      // libpq's meaning: encrypted, server certificate not checked.
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw badUrl(url, `sslmode "${mode}" is not one of disable, require, verify-ca, verify-full`);
  }
}

function badUrl(url: string, why: string): AppError {
  return new AppError('CFG_INVALID', `PostgreSQL URL ${redact(url)}: ${why}`);
}

/** The URL for messages: without a password even if one was (wrongly) given. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

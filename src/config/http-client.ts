import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError, errorMessage } from '../core/errors.js';

/**
 * What every outgoing HTTP call's config shares (forwarding outputs, alert webhooks): the URL, extra
 * headers, and auth whose secrets come only from environment variables or files — never inline, since a
 * config file is copied, logged and committed to repositories.
 */

/** An http(s) URL without credentials in it; `example` shows the user what one looks like. */
export function httpUrl(example: string) {
  return z.string().transform((v, ctx) => {
    if (!URL.canParse(v)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a URL (e.g. ${example})` });
      return z.NEVER;
    }
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `the URL must be http:// or https://, not ${u.protocol}` });
      return z.NEVER;
    }
    if (u.username !== '' || u.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: 'credentials in the URL are not allowed; use auth.basic with passwordEnv or passwordFile',
      });
      return z.NEVER;
    }
    return u.href;
  });
}

/** An HTTP header name (RFC 9110 token). */
export const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name');
/** A header value without line breaks. */
export const headerValue = z
  .string()
  .regex(/^[^\r\n\0]*$/, 'a header value cannot contain line breaks')
  // Line breaks are reported by the check above alone.
  .regex(
    /^[\t\r\n\0\x20-\x7e\x80-\xff]*$/,
    'a header value can only hold printable ASCII and Latin-1 characters',
  );

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name');
const filePath = z.string().min(1);

/** Where a secret comes from: an environment variable or a file (e.g. a Docker or Kubernetes secret). */
export type SecretSource = { readonly env: string } | { readonly file: string };

function secretFrom(env: string | undefined, file: string | undefined): SecretSource {
  return env !== undefined ? { env } : { file: file as string };
}

const noInline = (what: string) =>
  z.never({ error: `secrets are never written inline; use ${what}Env or ${what}File` }).optional();

const basicAuth = z
  .object({
    username: z
      .string()
      .min(1)
      .regex(/^[^:\r\n]*$/, 'a basic-auth username cannot contain ":"'),
    passwordEnv: envName.optional(),
    passwordFile: filePath.optional(),
    password: noInline('password'),
  })
  .strict()
  .refine((b) => (b.passwordEnv === undefined) !== (b.passwordFile === undefined), {
    message: 'set exactly one of passwordEnv and passwordFile',
  })
  .transform((b) => ({
    type: 'basic' as const,
    username: b.username,
    password: secretFrom(b.passwordEnv, b.passwordFile),
  }));

const bearerAuth = z
  .object({
    tokenEnv: envName.optional(),
    tokenFile: filePath.optional(),
    token: noInline('token'),
    /** `Token` is what InfluxDB 2 expects (`Authorization: Token <token>`). */
    scheme: z.enum(['Bearer', 'Token']).default('Bearer'),
  })
  .strict()
  .refine((b) => (b.tokenEnv === undefined) !== (b.tokenFile === undefined), {
    message: 'set exactly one of tokenEnv and tokenFile',
  })
  .transform((b) => ({
    type: 'bearer' as const,
    scheme: b.scheme,
    token: secretFrom(b.tokenEnv, b.tokenFile),
  }));

/** `{basic: {username, passwordEnv|passwordFile}}` or `{bearer: {tokenEnv|tokenFile, scheme}}`. */
export const httpAuthSchema = z
  .object({ basic: basicAuth.optional(), bearer: bearerAuth.optional() })
  .strict()
  .refine((a) => (a.basic === undefined) !== (a.bearer === undefined), {
    message: 'set exactly one of auth.basic and auth.bearer',
  })
  .transform((a) => (a.basic ?? a.bearer) as NonNullable<typeof a.basic | typeof a.bearer>);

export type HttpAuth = z.output<typeof httpAuthSchema>;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads one secret: a file's surrounding whitespace is trimmed (as for SENSORHUB_ADMIN_PASSWORD_FILE:
 * `echo secret > file` and many secret mounts leave a line break that is not part of the secret); an unset
 * or empty secret, or one with a line break (which no header can carry), is CFG_INVALID naming `where`.
 */
export async function readSecret(source: SecretSource, where: string, env: Env): Promise<string> {
  let value: string;
  if ('env' in source) {
    const v = env[source.env];
    if (v === undefined || v === '') {
      throw new AppError('CFG_INVALID', `${where}Env: the environment variable ${source.env} is not set`);
    }
    value = v;
  } else {
    try {
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

/** The Authorization header value for `auth`; `where` (e.g. `forward output "x": auth`) names it in errors. */
export async function authorizationHeader(auth: HttpAuth, where: string, env: Env): Promise<string> {
  if (auth.type === 'basic') {
    const password = await readSecret(auth.password, `${where}.basic.password`, env);
    return `Basic ${Buffer.from(`${auth.username}:${password}`, 'utf8').toString('base64')}`;
  }
  const token = await readSecret(auth.token, `${where}.bearer.token`, env);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new AppError(
      'CFG_INVALID',
      `${where}.bearer.token: the token holds spaces or non-ASCII characters`,
    );
  }
  return `${auth.scheme} ${token}`;
}

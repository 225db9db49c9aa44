import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for header-based authentication, as the S3 API reference describes it
 * ("Authenticating Requests: Using the Authorization Header"). Checked against AWS's published examples
 * in sigv4.test.ts.
 */

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (STS) come with a token, sent and signed as x-amz-security-token. */
  readonly sessionToken?: string | undefined;
}

export interface SigV4Input {
  readonly method: string;
  /** The path exactly as sent, already URI-encoded (for S3: each segment once, slashes kept). */
  readonly path: string;
  /** Query parameters as plain text; they are encoded and sorted here. */
  readonly query?: ReadonlyArray<readonly [string, string]>;
  /** Every header to sign, `host` and `x-amz-date` included; names in any case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
  readonly region: string;
  readonly service: string;
  /** `YYYYMMDDTHHMMSSZ`, the same value as the x-amz-date header. */
  readonly amzDate: string;
}

export interface SigV4Result {
  readonly authorization: string;
  readonly signature: string;
  readonly signedHeaders: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ALGORITHM = 'AWS4-HMAC-SHA256';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

const HEX = '0123456789ABCDEF';

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  );
}

/**
 * AWS's UriEncode: every UTF-8 byte but the unreserved characters as `%XY` with upper-case hex; `/` kept
 * unless `encodeSlash` (object key paths keep it, query values do not). encodeURIComponent differs: it
 * leaves `!'()*` alone.
 */
export function uriEncode(text: string, encodeSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    if (isUnreserved(b) || (b === 0x2f && !encodeSlash)) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Parameters encoded, then sorted by name (and value), joined with `&`. */
export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .map(([k, v]) => [uriEncode(k, true), uriEncode(v, true)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `20130524T000000Z` */
export function toAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** HMAC chain of the secret over date, region, service and `aws4_request`. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export function signV4(input: SigV4Input, credentials: SigV4Credentials): SigV4Result {
  // Header names are case-insensitive; values are trimmed and inner runs of spaces collapsed ("Trimall").
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers)) {
    const lower = name.toLowerCase();
    const clean = value.trim().replace(/\s+/g, ' ');
    const prior = headers.get(lower);
    headers.set(lower, prior === undefined ? clean : `${prior},${clean}`);
  }
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.path === '' ? '/' : input.path,
    canonicalQuery(input.query ?? []),
    ...names.map((n) => `${n}:${headers.get(n)}`),
    '',
    signedHeaders,
    input.payloadHash,
  ].join('\n');

  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [ALGORITHM, input.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(credentials.secretAccessKey, date, input.region, input.service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const authorization =
    `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, signature, signedHeaders, canonicalRequest, stringToSign };
}

import { errorMessage } from '../../core/errors.js';

/** What one HTTP attempt came to. */
export type Attempt =
  | { readonly kind: 'delivered'; readonly status: number }
  /** `retry`: worth trying again later (network, timeout, 408, 429, 5xx); otherwise refused for good. */
  | {
      readonly kind: 'failed';
      readonly retry: boolean;
      readonly message: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    }
  /** Cut short by stop(): nothing is known about whether the endpoint got it. */
  | { readonly kind: 'stopped' };

export interface SendOptions {
  readonly fetch: typeof fetch;
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly nowMs: () => number;
}

const BODY_EXCERPT_BYTES = 200;

/** `https://host:port/path`, without the query string: a query may carry an API key. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now; undefined if absent or bad. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Reads at most `limit` bytes of a response body and drops the rest, so the connection can be reused. */
async function bodyPrefix(res: Response, limit: number): Promise<Buffer> {
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size < limit) {
        parts.push(Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, limit - size)));
      }
      size += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(parts);
}

function networkReason(err: unknown): string {
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND, TLS errors) in cause.
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? cause.message : errorMessage(err);
}

/**
 * One request, from sending to the end of the response body within timeoutMs. Never throws: every outcome
 * is an Attempt, with a message that says what the endpoint did.
 */
export async function send(opts: SendOptions): Promise<Attempt> {
  const target = `${opts.method} ${shownUrl(opts.url)}`;
  if (opts.signal.aborted) return { kind: 'stopped' };
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, opts.timeoutMs);
  const onStop = () => ctl.abort();
  opts.signal.addEventListener('abort', onStop, { once: true });
  try {
    const res = await opts.fetch(opts.url, {
      method: opts.method,
      headers: opts.headers,
      body: opts.body,
      signal: ctl.signal,
      // Following a 301/302 would turn the POST into a GET without a body, and report it delivered.
      redirect: 'manual',
    });
    const excerpt = await bodyPrefix(res, BODY_EXCERPT_BYTES);
    if (res.ok) return { kind: 'delivered', status: res.status };
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      return {
        kind: 'failed',
        retry: false,
        status: res.status,
        message: `${target} answered HTTP ${res.status}, a redirect${location ? ` to ${location}` : ''}; forwarding does not follow redirects: set the output's url to where it should go`,
      };
    }
    const text = excerpt.toString('utf8').trim();
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), opts.nowMs());
    return {
      kind: 'failed',
      retry: isRetriableStatus(res.status),
      status: res.status,
      message: `${target} answered HTTP ${res.status}${text ? `: ${text}` : ' (empty body)'}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (err) {
    if (timedOut) {
      return {
        kind: 'failed',
        retry: true,
        message: `${target}: no complete response within ${opts.timeoutMs} ms`,
      };
    }
    if (opts.signal.aborted) return { kind: 'stopped' };
    return { kind: 'failed', retry: true, message: `${target}: ${networkReason(err)}` };
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onStop);
  }
}

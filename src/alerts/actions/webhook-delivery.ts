import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { send } from '../../ingest/forward/http.js';
import type { AlertTransition } from '../types.js';
import type { CompiledWebhookAction } from './compile.js';
import { backoffDelay, type Outcome, pause, type StopSignals } from './outcome.js';
import { authorizationHeader, type Env } from './secrets.js';
import { webhookPayload } from './webhook-payload.js';

export interface WebhookDeps extends StopSignals {
  readonly fetch: typeof fetch;
  readonly env: Env;
  readonly logger: Logger;
}

const USER_AGENT = 'sensorhub-alerts';

/**
 * POSTs one transition as JSON (webhook-payload.ts). Retries network errors, timeouts, 408, 429 and 5xx
 * with exponential backoff and jitter, waiting what Retry-After asks on 429 and 503; gives up at once on
 * other answers (a 4xx will not change by asking again). Never throws: every ending is an Outcome.
 */
export async function deliverWebhook(
  a: CompiledWebhookAction,
  t: AlertTransition,
  deps: WebhookDeps,
): Promise<Outcome> {
  const { config, target } = a;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...config.headers,
  };
  if (config.auth !== undefined) {
    try {
      headers.authorization = await authorizationHeader(config.auth, a.where, deps.env);
    } catch (err) {
      return { ok: false, attempts: 0, target, error: errorMessage(err) };
    }
  }
  const body = JSON.stringify(webhookPayload(t));
  for (let attempt = 1; ; attempt++) {
    if (deps.abort.aborted) {
      return { ok: false, attempts: attempt - 1, target, error: 'not sent: sensorhub stopped first' };
    }
    const r = await send({
      fetch: deps.fetch,
      url: config.url,
      method: config.method,
      headers,
      body,
      timeoutMs: config.timeout,
      signal: deps.abort,
      // Retry-After may be an HTTP-date: compared with the wall clock, as the server meant it.
      nowMs: Date.now,
    });
    if (r.kind === 'delivered') return { ok: true, attempts: attempt, target, status: r.status };
    if (r.kind === 'stopped') {
      return {
        ok: false,
        attempts: attempt,
        target,
        error: 'sensorhub stopped while the request was in flight; the endpoint may or may not have it',
      };
    }
    const status = r.status === undefined ? {} : { status: r.status };
    const fail = (error: string): Outcome => ({ ok: false, attempts: attempt, target, ...status, error });
    if (!r.retry) return fail(`refused, not retried: ${webhookWording(r.message)}`);
    if (attempt > config.retries) return fail(`gave up after ${attempt} attempts: ${r.message}`);
    let delay = backoffDelay(config.backoffInitial, config.backoffMax, attempt - 1);
    if (r.retryAfterMs !== undefined && (r.status === 429 || r.status === 503)) {
      if (r.retryAfterMs > config.backoffMax) {
        return fail(
          `gave up: the endpoint asked to retry after ${Math.ceil(r.retryAfterMs / 1000)} s, longer than backoffMax (${config.backoffMax} ms): ${r.message}`,
        );
      }
      delay = r.retryAfterMs;
    }
    deps.logger.warn(
      {
        rule: a.rule,
        instance: t.instance,
        action: a.index,
        url: target,
        attempt,
        retryInMs: Math.round(delay),
      },
      `alert action: webhook failed, will retry: ${r.message}`,
    );
    if (!(await pause(delay, deps.drain))) {
      return fail(`sensorhub stopped before attempt ${attempt + 1}: ${r.message}`);
    }
  }
}

/** send() words its redirect advice for forwarding outputs; the same advice, for this config. */
function webhookWording(message: string): string {
  return message.replace(
    /; forwarding does not follow redirects: .*$/,
    "; alert webhooks do not follow redirects: set the action's url to where it should go",
  );
}

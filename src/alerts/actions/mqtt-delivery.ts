import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AlertTransition } from '../types.js';
import type { CompiledMqttAction } from './compile.js';
import { backoffDelay, type Outcome, pause, type StopSignals } from './outcome.js';
import type { TemplateContext } from './template.js';
import { topicProblem } from './topic.js';

/**
 * Publishes to MQTT, as src/http/plugins/publish-api.ts's `Publish` does (the embedded broker, or the
 * external one). Declared here so alerts do not import from http; the two are the same function type.
 */
export type Publish = (topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean) => Promise<void>;

/** How hard an MQTT action tries: a publish fails only when the broker is unreachable or refuses it. */
export interface MqttRetry {
  /** Publishes in all, the first included. */
  readonly attempts: number;
  readonly backoffMs: number;
  /** A publish that has not settled by then counts as failed (an external broker that went silent). */
  readonly timeoutMs: number;
}

export const DEFAULT_MQTT_RETRY: MqttRetry = { attempts: 3, backoffMs: 200, timeoutMs: 5000 };

export interface MqttDeps extends StopSignals {
  readonly publish: Publish;
  readonly retry: MqttRetry;
  readonly logger: Logger;
}

/** Publishes one transition's payload. Never throws: every ending is an Outcome. */
export async function deliverMqtt(
  a: CompiledMqttAction,
  t: AlertTransition,
  ctx: TemplateContext,
  deps: MqttDeps,
): Promise<Outcome> {
  const topic = a.topic.render(ctx);
  const problem = topicProblem(topic);
  if (problem !== undefined) {
    return {
      ok: false,
      attempts: 0,
      target: topic,
      error: `the topic template "${a.topic.source}" rendered a topic that cannot be published to: ${problem}`,
    };
  }
  const template = a.payloads[t.to];
  if (template === undefined) {
    // compileActions makes sure every state in `on` has one; only a hand-built action gets here.
    return { ok: false, attempts: 0, target: topic, error: `no payload for state ${t.to}` };
  }
  const payload = Buffer.from(template.render(ctx), 'utf8');
  let error = '';
  for (let attempt = 1; attempt <= deps.retry.attempts; attempt++) {
    if (deps.abort.aborted) {
      return { ok: false, attempts: attempt - 1, target: topic, error: stoppedError(error) };
    }
    try {
      await settle(deps.publish(topic, payload, a.qos, a.retain), deps.retry.timeoutMs, deps.abort);
      return { ok: true, attempts: attempt, target: topic };
    } catch (err) {
      error = errorMessage(err);
    }
    if (attempt === deps.retry.attempts) break;
    const delay = backoffDelay(deps.retry.backoffMs, deps.retry.backoffMs * 8, attempt - 1);
    deps.logger.warn(
      { rule: a.rule, instance: t.instance, action: a.index, topic, attempt, retryInMs: Math.round(delay) },
      `alert action: MQTT publish failed, will retry: ${error}`,
    );
    if (!(await pause(delay, deps.drain))) {
      return { ok: false, attempts: attempt, target: topic, error: stoppedError(error) };
    }
  }
  return {
    ok: false,
    attempts: deps.retry.attempts,
    target: topic,
    error: `could not publish after ${deps.retry.attempts} attempts: ${error}`,
  };
}

function stoppedError(last: string): string {
  return `sensorhub stopped before it was published${last ? ` (last error: ${last})` : ''}`;
}

/** Resolves when `p` does; rejects when it rejects, after `timeoutMs`, or when `abort` fires. */
function settle(p: Promise<void>, timeoutMs: number, abort: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new Error('sensorhub stopped while the publish was in flight'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the broker did not take the message within ${timeoutMs} ms`));
    }, timeoutMs);
    abort.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        done();
        resolve();
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

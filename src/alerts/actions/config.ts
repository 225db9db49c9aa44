import { z } from 'zod';
import { headerName, headerValue, httpAuthSchema, httpUrl } from '../../config/http-client.js';
import { parseDuration } from '../../core/duration.js';
import { ALERT_STATES, type AlertState } from '../types.js';
import { compileTemplate, TemplateError, templateProblem } from './template.js';

/**
 * What an alert rule does when one of its instances changes state: publish on MQTT (seed 001's red/green
 * LED on a retained `/alert`) or call a webhook. One schema gives the types, defaults and validation.
 */

/**
 * The same as `duration` in src/config/schema.ts. Not imported from there: schema.ts will import this file
 * for the alert rules' `actions`, and the cycle would leave `duration` undefined while this module loads.
 */
const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseDuration(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 10s, 5m)` });
    return z.NEVER;
  }
  return n;
});

const alertState = z.enum(ALERT_STATES as [AlertState, ...AlertState[]]);

/** A template of `{{rule}}`, `{{state}}`, `{{labels.NAME}}`…: an unknown reference is a config error. */
const template = z.string().superRefine((v, ctx) => {
  const problem = templateProblem(v);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** A topic template: a template whose constant parts cannot hold a wildcard (the values are checked when rendered). */
const topicTemplate = template.superRefine((v, ctx) => {
  if (v === '') {
    ctx.addIssue({ code: 'custom', message: 'the topic is empty' });
    return;
  }
  let literals: readonly string[];
  try {
    literals = compileTemplate(v).literals;
  } catch (err) {
    if (err instanceof TemplateError) return; // reported by `template`
    throw err;
  }
  if (literals.some((l) => /[+#]/.test(l))) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" holds a wildcard (+ or #), which a published topic cannot`,
    });
  } else if (v.startsWith('$')) {
    ctx.addIssue({ code: 'custom', message: `"${v}" starts with $, which is reserved for the broker` });
  }
});

/**
 * One template per state; a key that is no state is reported by name (a typo'd `firng` would never
 * publish). Typed by its keys, which the check guarantees: a cast, not a transform, since a transform
 * inside the payload union would hide the check's message behind the union's.
 */
const stateRecord = z.record(z.string(), template).superRefine((r, ctx) => {
  for (const key of Object.keys(r)) {
    if (!(ALERT_STATES as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" is not an alert state; states are ${ALERT_STATES.join(', ')}`,
      });
    }
  }
}) as unknown as z.ZodType<Partial<Record<AlertState, string>>>;

const onStates = z
  .array(alertState)
  .min(1, { error: 'on lists no state; remove the action instead' })
  .transform((states) => [...new Set(states)]);

const DEFAULT_MQTT_ON: AlertState[] = ['firing', 'normal'];
const DEFAULT_WEBHOOK_ON: AlertState[] = ALERT_STATES.filter((s) => s !== 'pending');

export const mqttActionSchema = z
  .object({
    type: z.literal('mqtt'),
    /** The states whose transitions publish. */
    on: onStates.default(DEFAULT_MQTT_ON),
    topic: topicTemplate,
    /** One template for every state, or one per state (`{firing: "1", normal: "0"}`). */
    payload: z.union([template, stateRecord], {
      error: 'payload is a template, or one template per state (e.g. {firing: "1", normal: "0"})',
    }),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'qos must be 0, 1 or 2' }).default(1),
    /** Retained, a device that connects later (seed 001's NodeMCU) still learns the current state. */
    retain: z.boolean().default(false),
  })
  .strict()
  .superRefine((a, ctx) => {
    const { payload } = a;
    if (typeof payload === 'string') return;
    const missing = a.on.filter((s) => payload[s] === undefined);
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['payload'],
        message: `no payload for ${missing.join(', ')}, which "on" lists (on: ${a.on.join(', ')}); add ${missing.length === 1 ? 'it' : 'them'}, or set "on" to the states that publish`,
      });
    }
  });

const url = httpUrl('https://hooks.example.com/alerts');

export const webhookActionSchema = z
  .object({
    type: z.literal('webhook'),
    /** By default every state but `pending`, which only says the condition is being waited out. */
    on: onStates.default(DEFAULT_WEBHOOK_ON),
    url,
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z.record(headerName, headerValue).default({}),
    auth: httpAuthSchema.optional(),
    /** Per request, from sending to the end of the response body. */
    timeout: duration.pipe(z.number().positive({ error: 'timeout must be more than 0' })).default(5000),
    /** Attempts after the first one, for network errors, timeouts, 408, 429 and 5xx. */
    retries: z.number().int().min(0).max(100).default(5),
    backoffInitial: duration
      .pipe(z.number().positive({ error: 'backoffInitial must be more than 0' }))
      .default(500),
    backoffMax: duration.default(30_000),
  })
  .strict()
  .refine((o) => o.backoffMax >= o.backoffInitial, {
    message: 'backoffMax must be at least backoffInitial',
    path: ['backoffMax'],
  })
  .refine((o) => !Object.keys(o.headers).some((h) => h.toLowerCase() === 'authorization'), {
    message: 'an Authorization header is a secret: use auth.basic or auth.bearer (from env or a file)',
    path: ['headers'],
  });

/** One action of an alert rule, by `type`. */
export const alertActionSchema = z.discriminatedUnion('type', [mqttActionSchema, webhookActionSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'type must be "mqtt" or "webhook"' : undefined),
});

export type AlertActionConfig = z.output<typeof alertActionSchema>;
export type MqttActionConfig = z.output<typeof mqttActionSchema>;
export type WebhookActionConfig = z.output<typeof webhookActionSchema>;
export type WebhookAuth = NonNullable<WebhookActionConfig['auth']>;

import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { topicProblem } from '../../alerts/actions/topic.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError, errorMessage } from '../../core/errors.js';
import { requireAuth } from '../auth-hook.js';
import type { Publish } from './publish-api.js';

/**
 * Alert states a Grafana webhook can carry: legacy alerting's `state` (Grafana ≤ 10; seed 001 is 4.6) and
 * unified alerting's `status`. Mapping keys are checked against these, so a typo is a config error rather
 * than a 422 on the first alert.
 */
export const GRAFANA_STATES = [
  'alerting',
  'ok',
  'pending',
  'no_data',
  'paused',
  'unknown',
  'firing',
  'resolved',
] as const;

export type GrafanaState = (typeof GRAFANA_STATES)[number];

/**
 * One inbound webhook: seed 001's Flask service as config. Grafana posts to `/api/v1/hooks/<name>`; the
 * alert state picks a payload, published on `topic`.
 */
export const inboundHookSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
        'a hook name is 1-64 letters, digits, "_", "." or "-", starting with a letter or digit (it is a URL path segment)',
      ),
    topic: z.string().superRefine((t, ctx) => {
      const problem = topicProblem(t);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'qos must be 0, 1 or 2' }).default(1),
    /** Retained, a device that connects later still learns the current state (seed 001's point). */
    retain: z.boolean().default(false),
    /** State → payload: `{alerting: "1", firing: "1", ok: "0", resolved: "0"}`. */
    payload: z
      .record(z.string(), z.string())
      .superRefine((p, ctx) => {
        const keys = Object.keys(p);
        if (keys.length === 0)
          ctx.addIssue({ code: 'custom', message: 'map at least one state to a payload' });
        for (const key of keys) {
          if (!(GRAFANA_STATES as readonly string[]).includes(key)) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `"${key}" is not a Grafana alert state; states are ${GRAFANA_STATES.join(', ')}`,
            });
          }
        }
      })
      // Every key was checked above.
      .transform((p) => p as Partial<Record<GrafanaState, string>>),
  })
  .strict();

export type InboundHookConfig = z.output<typeof inboundHookSchema>;

/** The hooks list (e.g. `hooks` in the config), with unique names. */
export const inboundHooksSchema = z.array(inboundHookSchema).superRefine((hooks, ctx) => {
  const seen = new Set<string>();
  hooks.forEach((h, i) => {
    if (seen.has(h.name)) {
      ctx.addIssue({ code: 'custom', message: `hook name "${h.name}" is used twice`, path: [i, 'name'] });
    }
    seen.add(h.name);
  });
});

export interface GrafanaHookOptions {
  readonly auth: Authenticator;
  readonly publish: Publish;
  readonly hooks: readonly InboundHookConfig[];
}

/**
 * The states a body offers, most specific first: legacy `state` (also sent by unified alerting since
 * Grafana 8 as alerting/ok, and by sensorhub's own webhooks as no_data, error…), then unified `status`,
 * then the other vocabulary's word for the same (firing ↔ alerting, resolved ↔ ok).
 */
export function statesOf(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const b = body as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ['state', 'status']) {
    const v = b[key];
    if (typeof v === 'string' && v.trim() !== '') {
      const s = v.trim().toLowerCase();
      if (!out.includes(s)) out.push(s);
    }
  }
  // Unified alerting's firing/resolved mean legacy alerting/ok and back: a mapping in either vocabulary works.
  for (const s of [...out]) {
    const same = SYNONYMS[s];
    if (same !== undefined && !out.includes(same)) out.push(same);
  }
  return out;
}

const SYNONYMS: Readonly<Record<string, string>> = {
  firing: 'alerting',
  alerting: 'firing',
  resolved: 'ok',
  ok: 'resolved',
};

/**
 * POST /api/v1/hooks/:name: Grafana's webhook contact point (legacy or unified alerting) turned into an
 * MQTT publish, e.g. a retained `1`/`0` on `/alert` for a red/green LED. The caller needs the admin or
 * client role and, unless admin, a publish ACL that allows the hook's topic: Grafana gets its own client
 * user, as the seed's Flask service had its own basic-auth login.
 */
export const grafanaHookRoutes: FastifyPluginAsync<GrafanaHookOptions> = async (app, opts) => {
  const hooks = new Map(opts.hooks.map((h) => [h.name, h]));
  app.post<{ Params: { name: string } }>(
    '/api/v1/hooks/:name',
    { preHandler: requireAuth(opts.auth, ['admin', 'client']) },
    async (req, reply) => {
      const hook = hooks.get(req.params.name);
      if (hook === undefined) {
        const known =
          hooks.size > 0
            ? `configured: ${[...hooks.keys()].join(', ')}`
            : 'none is configured (hooks in the config)';
        throw new AppError('HOOK_NOT_FOUND', `no inbound webhook "${req.params.name}"; ${known}`);
      }
      const principal = req.principal;
      if (principal && principal.role !== 'admin') {
        if (!principal.publish.allowsTopic(hook.topic, { username: principal.username, clientId: 'http' })) {
          throw new AppError(
            'AUTH_FORBIDDEN',
            `user "${principal.username}" may not publish to "${hook.topic}" (hook "${hook.name}"); use a client user whose publish ACL allows it, e.g. one added with: sensorhub user add grafana --role client --publish '${hook.topic}'`,
          );
        }
      }
      const states = statesOf(req.body);
      if (states.length === 0) {
        throw new AppError(
          'HTTP_BAD_REQUEST',
          'no alert state in the body: expected a JSON object with Grafana\'s "state" (alerting, ok, no_data, pending) or unified alerting\'s "status" (firing, resolved)',
        );
      }
      const mapping = hook.payload as Readonly<Record<string, string | undefined>>;
      // Own keys only: a body's "constructor" must not find Object.prototype's.
      const state = states.find((s) => Object.hasOwn(mapping, s));
      if (state === undefined) {
        throw new AppError(
          'HOOK_STATE_UNMAPPED',
          `hook "${hook.name}" has no payload for ${states.map((s) => `"${s}"`).join(' or ')}; it maps ${Object.keys(mapping).join(', ')}`,
          { details: { states, mapped: Object.keys(mapping) } },
        );
      }
      const payload = mapping[state] as string;
      try {
        await opts.publish(hook.topic, Buffer.from(payload, 'utf8'), hook.qos, hook.retain);
      } catch (err) {
        throw new AppError(
          'MQTT_PUBLISH_FAILED',
          `hook "${hook.name}": could not publish: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
      req.log.info(
        { hook: hook.name, state, topic: hook.topic, retain: hook.retain, user: principal?.username },
        'inbound webhook published',
      );
      return reply.status(200).send({ published: { topic: hook.topic, payload, retain: hook.retain } });
    },
  );
};

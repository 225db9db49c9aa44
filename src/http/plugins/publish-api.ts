import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError } from '../../core/errors.js';
import { requireAuth } from '../auth-hook.js';

export type Publish = (topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean) => Promise<void>;

interface PublishBody {
  topic?: unknown;
  payload?: unknown;
  encoding?: unknown;
  qos?: unknown;
  retain?: unknown;
}

function bad(message: string): AppError {
  return new AppError('HTTP_BAD_REQUEST', message);
}

/**
 * POST /api/v1/publish: other systems command devices over HTTP. The message goes to MQTT subscribers
 * (through the embedded broker, or the external one) within the caller's publish ACL.
 */
export const publishRoutes: FastifyPluginAsync<{ auth: Authenticator; publish: Publish }> = async (
  app,
  { auth, publish },
) => {
  app.post(
    '/api/v1/publish',
    { preHandler: requireAuth(auth, ['admin', 'viewer', 'client']) },
    async (req, reply) => {
      const b = (req.body ?? {}) as PublishBody;
      if (typeof b.topic !== 'string' || b.topic === '') throw bad('topic is required');
      // [MQTT-4.7.1-1] [MQTT-4.7.3-2] no wildcards and no U+0000 in a topic name; $-topics are the broker's.
      if (/[+#]/.test(b.topic) || b.topic.includes('\u0000') || b.topic.startsWith('$')) {
        throw bad(`"${b.topic}" is not a topic one can publish to (no +, #, NUL, or leading $)`);
      }
      if (typeof b.payload !== 'string')
        throw bad('payload is required (a string; binary as base64 with "encoding": "base64")');
      const encoding = b.encoding ?? 'utf8';
      if (encoding !== 'utf8' && encoding !== 'base64') throw bad('encoding must be utf8 or base64');
      const qos = b.qos ?? 1;
      if (qos !== 0 && qos !== 1 && qos !== 2) throw bad('qos must be 0, 1 or 2');
      if (b.retain !== undefined && typeof b.retain !== 'boolean') throw bad('retain must be true or false');

      const principal = req.principal;
      if (principal && principal.role !== 'admin') {
        const ctx = { username: principal.username, clientId: 'http' };
        if (!principal.publish.allowsTopic(b.topic, ctx)) {
          throw new AppError(
            'AUTH_FORBIDDEN',
            `user "${principal.username}" may not publish to "${b.topic}"`,
          );
        }
      }
      try {
        await publish(b.topic, Buffer.from(b.payload, encoding), qos, b.retain === true);
      } catch (err) {
        throw new AppError('MQTT_PUBLISH_FAILED', `could not publish: ${(err as Error).message}`, {
          cause: err,
        });
      }
      return reply.status(204).send();
    },
  );
};

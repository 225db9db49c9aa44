import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Role } from '../auth/users.js';
import { AppError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal | null;
  }
}

/** Credentials as InfluxDB clients send them: HTTP basic auth, or `u`/`p` query parameters (InfluxDB 1.x). */
export function credentialsOf(req: FastifyRequest): { username?: string; password?: string } {
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const q = req.query as Record<string, unknown> | undefined;
  if (q && typeof q.u === 'string' && typeof q.p === 'string') return { username: q.u, password: q.p };
  return {};
}

/**
 * A preHandler that requires valid credentials of one of `roles`, unless anonymous access is on and the
 * request carries none.
 */
export function requireAuth(auth: Authenticator, roles: readonly Role[]) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { username, password } = credentialsOf(req);
    if (username === undefined) {
      if (auth.allowAnonymous) {
        req.principal = null;
        return;
      }
      reply.header('WWW-Authenticate', 'Basic realm="sensorhub"');
      throw new AppError('AUTH_REQUIRED', 'credentials required: use HTTP basic auth (or u/p parameters)');
    }
    const principal = await auth.verify(username, password, req.ip).catch((err: unknown) => {
      const retry = (err as AppError).details?.retryAfterSeconds;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      throw err;
    });
    if (!principal) {
      reply.header('WWW-Authenticate', 'Basic realm="sensorhub"');
      auth.logRefusal(
        { username, remote: req.ip },
        'HTTP request refused: bad username or password (AUTH_INVALID)',
      );
      throw new AppError('AUTH_INVALID', 'bad username or password');
    }
    if (!roles.includes(principal.role)) {
      throw new AppError(
        'AUTH_FORBIDDEN',
        `user "${principal.username}" (role ${principal.role}) may not do this`,
      );
    }
    req.principal = principal;
  };
}

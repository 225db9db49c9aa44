import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { SESSION_MAX_MS } from '../../auth/sessions.js';
import { AppError } from '../../core/errors.js';
import { authenticate, SESSION_COOKIE, sessionCookieOf } from '../auth-hook.js';

/**
 * Web app login: `POST /api/v1/session` checks a username and password (rate-limited like every login) and
 * sets an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS); `GET` says who is logged in;
 * `DELETE` logs out. Devices (role client) cannot log in: they have MQTT credentials, not a UI.
 */
export const sessionRoutes: FastifyPluginAsync<{ auth: Authenticator }> = async (app, { auth }) => {
  app.post('/api/v1/session', async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string') {
      throw new AppError('AUTH_REQUIRED', 'send {"username": "...", "password": "..."} as JSON');
    }
    const opened = await auth.openSession(body.username, body.password, req.ip).catch((err: unknown) => {
      const retry = (err as AppError).details?.retryAfterSeconds;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      throw err;
    });
    if (!opened) {
      auth.logRefusal(
        { username: body.username, remote: req.ip },
        'web login refused: bad username or password',
      );
      throw new AppError('AUTH_INVALID', 'bad username or password');
    }
    const { principal, secret } = opened;
    if (principal.role === 'client') {
      await auth.sessions.end(secret);
      throw new AppError(
        'AUTH_FORBIDDEN',
        `user "${principal.username}" has role client (a device): it may use MQTT, not the web app`,
      );
    }
    setCookie(req, reply, secret, Math.floor(SESSION_MAX_MS / 1000));
    return { username: principal.username, role: principal.role };
  });

  // Not logged in is an answer here, not an error: the web app asks on load and shows the login page, and a
  // 401 would be a console error in every browser.
  app.get('/api/v1/session', async (req, reply) => {
    const identity = await authenticate(auth, req, reply).catch((err: unknown) => {
      if (err instanceof AppError && (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_INVALID')) {
        reply.removeHeader('WWW-Authenticate');
        if (sessionCookieOf(req) !== undefined) setCookie(req, reply, '', 0);
        return undefined;
      }
      throw err;
    });
    if (identity === undefined) return { username: null, role: null };
    switch (identity.kind) {
      case 'user':
        return { username: identity.principal.username, role: identity.principal.role };
      case 'token':
        return { token: identity.token.name, role: 'token' };
      case 'anonymous':
        // Anonymous access is on: the UI works without a login, with what anonymous requests may do.
        return { username: null, role: 'anonymous' };
    }
  });

  app.delete('/api/v1/session', async (req, reply) => {
    const secret = sessionCookieOf(req);
    if (secret !== undefined) await auth.sessions.end(secret);
    setCookie(req, reply, '', 0);
    return reply.status(204).send();
  });
};

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'Set-Cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`,
  );
}

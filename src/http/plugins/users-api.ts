import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_USERNAME, type Authenticator } from '../../auth/authenticator.js';
import type { NewUser, UserInfo } from '../../auth/users.js';
import { AppError } from '../../core/errors.js';
import { requireAuth } from '../auth-hook.js';

/** Body of POST /api/v1/users; checked here for shape, by the registry for content. */
function newUserFrom(body: unknown): NewUser {
  if (typeof body !== 'object' || body === null)
    throw new AppError('AUTH_BAD_USER', 'expected a JSON object');
  const b = body as Record<string, unknown>;
  const strings = (key: string): string[] | undefined => {
    const v = b[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new AppError('AUTH_BAD_USER', `${key} must be a list of topic filters`);
    }
    return v as string[];
  };
  if (typeof b.name !== 'string') throw new AppError('AUTH_BAD_USER', 'name is required');
  if (b.password !== undefined && typeof b.password !== 'string')
    throw new AppError('AUTH_BAD_USER', 'password must be a string');
  if (b.role !== undefined && typeof b.role !== 'string')
    throw new AppError('AUTH_BAD_USER', 'role must be a string');
  const publish = strings('publish');
  const subscribe = strings('subscribe');
  return {
    name: b.name,
    ...(b.role === undefined ? {} : { role: b.role as NewUser['role'] & string }),
    ...(b.password === undefined ? {} : { password: b.password as string }),
    ...(publish === undefined ? {} : { publish }),
    ...(subscribe === undefined ? {} : { subscribe }),
  };
}

/** User management, admin only. Passwords are returned only when the server generated them, once. */
export const usersRoutes: FastifyPluginAsync<{ auth: Authenticator }> = async (app, { auth }) => {
  app.addHook('preHandler', requireAuth(auth, ['admin']));

  app.get('/api/v1/users', async (): Promise<{ users: UserInfo[] }> => ({ users: await auth.users.list() }));

  app.post('/api/v1/users', async (req, reply) => {
    const { user, password, generated } = await auth.users.add(newUserFrom(req.body));
    return reply.status(201).send(generated ? { user, password } : { user });
  });

  app.delete<{ Params: { name: string } }>('/api/v1/users/:name', async (req, reply) => {
    await auth.users.remove(req.params.name, ADMIN_USERNAME);
    return reply.status(204).send();
  });

  app.put<{ Params: { name: string } }>('/api/v1/users/:name/password', async (req) => {
    const body = (req.body ?? {}) as { password?: unknown };
    if (body.password !== undefined && typeof body.password !== 'string') {
      throw new AppError('AUTH_BAD_USER', 'password must be a string');
    }
    const { password, generated } = await auth.users.setPassword(
      req.params.name,
      body.password as string | undefined,
    );
    return generated ? { password } : {};
  });
};

import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { AppError } from '../../core/errors.js';
import type { DeviceRegistry } from '../../devices/registry.js';
import { requireAuth } from '../auth-hook.js';

/** The device registry: viewers read it (with presence), admins add and remove devices. */
export const devicesRoutes: FastifyPluginAsync<{ auth: Authenticator; devices: DeviceRegistry }> = async (
  app,
  { auth, devices },
) => {
  const read = requireAuth(auth, ['admin', 'viewer']);
  const write = requireAuth(auth, ['admin']);

  app.get('/api/v1/devices', { preHandler: read }, async () => ({ devices: await devices.list() }));

  app.get<{ Params: { name: string } }>('/api/v1/devices/:name', { preHandler: read }, async (req) =>
    devices.get(req.params.name),
  );

  app.post('/api/v1/devices', { preHandler: write }, async (req, reply) => {
    const body = req.body as { name?: unknown; description?: unknown } | undefined;
    if (typeof body?.name !== 'string') throw new AppError('AUTH_BAD_USER', 'name is required');
    if (body.description !== undefined && typeof body.description !== 'string') {
      throw new AppError('AUTH_BAD_USER', 'description must be a string');
    }
    const created = await devices.add({
      name: body.name,
      ...(body.description === undefined ? {} : { description: body.description as string }),
    });
    return reply.status(201).send(created);
  });

  app.delete<{ Params: { name: string } }>(
    '/api/v1/devices/:name',
    { preHandler: write },
    async (req, reply) => {
      await devices.remove(req.params.name);
      return reply.status(204).send();
    },
  );
};

import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { BrokerClientInfo } from '../../broker/embedded-broker.js';
import { requireAuth } from '../auth-hook.js';

export interface BrokerRoutesOptions {
  readonly auth: Authenticator;
  /** The connected clients; undefined in external-broker mode (they connect to the other broker). */
  readonly clients: () => BrokerClientInfo[] | undefined;
}

/**
 * `GET /api/v1/broker/clients`: who is connected to the embedded broker now. In external-broker mode the
 * answer says so (`visible: false`) rather than pretending nobody is connected.
 */
export const brokerRoutes: FastifyPluginAsync<BrokerRoutesOptions> = async (app, opts) => {
  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  app.get('/api/v1/broker/clients', { preHandler: readers }, async () => {
    const clients = opts.clients();
    return clients === undefined
      ? { mode: 'external', visible: false, clients: [] }
      : { mode: 'embedded', visible: true, clients };
  });
};

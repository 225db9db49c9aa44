import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { requireAuth } from '../auth-hook.js';

/** Where devices connect: sensorhub's own broker (its ports), or the external broker it subscribes to. */
export type BrokerEndpoint =
  | { readonly mode: 'embedded'; readonly port: number; readonly tlsPort?: number }
  | { readonly mode: 'external'; readonly url: string };

export interface InfoRoutesOptions {
  readonly auth: Authenticator;
  readonly endpoint: () => BrokerEndpoint;
  /** ingest.database: where rules store points, the database InfluxQL queries name. */
  readonly database: string;
  /** True when HTTP is served over TLS, so MQTT over WebSocket is `wss://`. */
  readonly tls: boolean;
}

/** The path of MQTT over WebSocket on the HTTP port (see mqtt-ws.ts). */
const WS_PATH = '/mqtt';

/**
 * `GET /api/v1/info`: what the web app cannot know from the page's URL — the MQTT ports for a new device's
 * connection snippets, and the default database for its queries. Host names are left to the client: the
 * server listens on 0.0.0.0 and cannot tell which of its names a device can reach.
 */
export const infoRoutes: FastifyPluginAsync<InfoRoutesOptions> = async (app, opts) => {
  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  app.get('/api/v1/info', { preHandler: readers }, async () => {
    const endpoint = opts.endpoint();
    return {
      database: opts.database,
      mqtt:
        endpoint.mode === 'embedded'
          ? { ...endpoint, wsPath: WS_PATH, wsTls: opts.tls }
          : { mode: endpoint.mode, url: withoutCredentials(endpoint.url) },
    };
  });
};

/** broker.url may carry user:password; readers of the API must not see it. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

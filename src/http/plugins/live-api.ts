import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { WebSocket } from 'ws';
import type { Authenticator } from '../../auth/authenticator.js';
import { tokenAllows } from '../../auth/tokens.js';
import { AppError } from '../../core/errors.js';
import { authenticate, type Identity } from '../auth-hook.js';
import { type LiveHub, type LivePoint, type LiveSink, MAX_SUBSCRIPTIONS } from '../live.js';

/** How often a live connection's credentials are checked again. */
const RECHECK_MS = 30_000;

/** authenticate() sets WWW-Authenticate on refusals; a re-check has no response to set it on. */
const NO_REPLY = { header: () => NO_REPLY } as unknown as FastifyReply;

/** The host:port of an Origin header, or undefined when it is none (`null`, garbage). */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}

/** Deliveries are coalesced this long: one message per flush, not one per committed batch. */
const FLUSH_MS = 100;
/** A client whose socket has this much unsent is too slow: its points are dropped and it is told to refetch. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface ClientMessage {
  type?: unknown;
  id?: unknown;
  database?: unknown;
  measurement?: unknown;
  fields?: unknown;
  tags?: unknown;
}

/**
 * `GET /api/v1/live` (WebSocket): the web app's live mode. The client sends
 * `{"type":"subscribe","id","database","measurement","fields"?,"tags"?}` and `{"type":"unsubscribe","id"}`;
 * the server sends `{"type":"points","data":{<id>:[{t,tags,fields}]}}` at most every 100 ms with the points
 * committed since, `{"type":"gap"}` when it had to drop points because the client read too slowly (refetch),
 * and `{"type":"error","id"?,"error"}` for a bad message.
 */
export const liveRoutes: FastifyPluginAsync<{
  auth: Authenticator;
  hub: LiveHub;
  defaultDatabase: string;
}> = async (app, { auth, hub, defaultDatabase }) => {
  app.get(
    '/api/v1/live',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        const identity = await authenticate(auth, req, reply);
        if (identity.kind === 'user' && identity.principal.role === 'client') {
          throw new AppError(
            'AUTH_FORBIDDEN',
            `user "${identity.principal.username}" (role client) may not read`,
          );
        }
        // Browsers attach cookies and cached basic credentials to a WebSocket opened by any site's page: only
        // our own pages (same host) may open one; a missing Origin is a non-browser client.
        const origin = req.headers.origin;
        if (origin !== undefined && originHost(origin) !== req.headers.host) {
          throw new AppError('AUTH_FORBIDDEN', `a live connection from origin ${origin} is not allowed`);
        }
        (req as unknown as { liveIdentity: Identity }).liveIdentity = identity;
      },
    },
    (socket, req) => {
      const identity = (req as unknown as { liveIdentity: Identity }).liveIdentity;
      const client = new LiveClient(socket);
      // The credentials are checked again every 30 s and whenever a user's password, role or ACL changes:
      // logging out, a changed password, a removed user or a revoked token end the stream.
      const recheck = () => {
        authenticate(auth, req, NO_REPLY).then(
          (again) => {
            if (again.kind !== identity.kind) socket.close(4401, 'credentials no longer valid');
          },
          () => socket.close(4401, 'credentials no longer valid'),
        );
      };
      const timer = setInterval(recheck, RECHECK_MS);
      const stopListening = auth.onCredentialsChanged((name) => {
        if (identity.kind === 'user' && identity.principal.username === name) recheck();
      });
      socket.on('message', (raw) => {
        let msg: ClientMessage;
        try {
          msg = JSON.parse(String(raw)) as ClientMessage;
        } catch {
          client.send({ type: 'error', error: 'messages are JSON objects' });
          return;
        }
        try {
          handle(msg);
        } catch (err) {
          client.send({ type: 'error', id: msg.id, error: (err as Error).message });
        }
      });
      socket.on('close', () => {
        clearInterval(timer);
        stopListening();
        hub.remove(client);
        client.close();
      });

      function handle(msg: ClientMessage): void {
        if (typeof msg.id !== 'string' || msg.id === '') throw new Error('id (a string) is required');
        if (msg.type === 'unsubscribe') {
          hub.unsubscribe(client, msg.id);
          return;
        }
        if (msg.type !== 'subscribe') throw new Error('type is subscribe or unsubscribe');
        const database = msg.database === undefined ? defaultDatabase : msg.database;
        if (typeof database !== 'string' || database === '') throw new Error('database must be a string');
        if (typeof msg.measurement !== 'string' || msg.measurement === '') {
          throw new Error('measurement (a string) is required');
        }
        if (identity.kind === 'token' && !tokenAllows(identity.token, 'read', database)) {
          throw new Error(`token "${identity.token.name}" may not read database "${database}"`);
        }
        const fields = msg.fields;
        if (fields !== undefined && !(Array.isArray(fields) && fields.every((f) => typeof f === 'string'))) {
          throw new Error('fields is a list of field names');
        }
        const tags = msg.tags;
        if (
          tags !== undefined &&
          (typeof tags !== 'object' ||
            tags === null ||
            Object.values(tags).some((v) => typeof v !== 'string'))
        ) {
          throw new Error('tags maps tag keys to values (or /regex/)');
        }
        if (hub.subscriptionsOf(client) >= MAX_SUBSCRIPTIONS) {
          throw new Error(`at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
        }
        try {
          hub.subscribe(client, {
            id: msg.id,
            database,
            measurement: msg.measurement,
            fields: fields as string[] | undefined,
            tags: tags as Record<string, string> | undefined,
          });
        } catch (err) {
          throw new Error(`bad tag filter: ${(err as Error).message}`);
        }
      }
    },
  );
};

/** One connection: buffers deliveries and flushes them together, dropping (and saying so) when it lags. */
class LiveClient implements LiveSink {
  #pending = new Map<string, LivePoint[]>();
  #timer: NodeJS.Timeout | undefined;
  #gap = false;

  constructor(private readonly socket: WebSocket) {}

  deliver(batch: ReadonlyMap<string, LivePoint[]>): void {
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#gap = true;
      this.#pending.clear();
      // The flush tells the client about the gap once the socket has drained, even if nothing new comes.
      this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS);
      return;
    }
    for (const [id, points] of batch) {
      const list = this.#pending.get(id);
      if (list) for (const p of points) list.push(p);
      else this.#pending.set(id, points);
    }
    this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  send(msg: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#pending.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#gap) {
      if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.#timer = setTimeout(() => this.#flush(), FLUSH_MS);
        return;
      }
      this.#gap = false;
      this.send({ type: 'gap' });
    }
    if (this.#pending.size === 0) return;
    const data = Object.fromEntries(this.#pending);
    this.#pending = new Map();
    this.send({ type: 'points', data });
  }
}

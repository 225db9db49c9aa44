import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { isTokenLike, type TokenPrincipal, tokenAllows } from '../auth/tokens.js';
import type { Role } from '../auth/users.js';
import { AppError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal | null;
    /** Set (and `principal` left unset) when the request authenticated with an API token. */
    token?: TokenPrincipal;
  }
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /**
   * An API token (`shk_…`), from `Authorization: Token|Bearer`, or given as the password (then `password`
   * holds it too: a user may have chosen a password that merely looks like a token).
   */
  readonly token?: string;
}

/**
 * Credentials as InfluxDB clients send them: HTTP basic auth, `u`/`p` query parameters (InfluxDB 1.x),
 * `Authorization: Token <token>` (InfluxDB 2) or `Bearer <token>`. A password that is a token counts as the
 * token, so 1.x clients can use one with any username. InfluxDB 1.8's `Token user:password` is a login.
 */
export function credentialsOf(req: FastifyRequest): Credentials {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) return login(decoded.slice(0, colon), decoded.slice(colon + 1));
    } else if (scheme === 'token' || scheme === 'bearer') {
      const colon = value.indexOf(':');
      if (scheme === 'token' && !isTokenLike(value) && colon > 0) {
        return login(value.slice(0, colon), value.slice(colon + 1));
      }
      return { token: value };
    }
  }
  const q = req.query as Record<string, unknown> | undefined;
  if (q && typeof q.u === 'string' && typeof q.p === 'string') return login(q.u, q.p);
  return {};
}

function login(username: string, password: string): Credentials {
  return isTokenLike(password) ? { username, password, token: password } : { username, password };
}

/** The web app's session cookie. */
export const SESSION_COOKIE = 'sensorhub_session';
/**
 * Requests that change something and authenticate with the session cookie must carry this header. Browsers
 * attach cookies to cross-site form posts, but a custom header needs CORS, which this server does not grant:
 * so another site cannot act as a logged-in user (CSRF).
 */
export const CSRF_HEADER = 'x-sensorhub-csrf';

/** The session secret from the Cookie header, if any. */
export function sessionCookieOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

async function sessionPrincipal(
  auth: Authenticator,
  req: FastifyRequest,
  secret: string,
): Promise<Principal> {
  const principal = await auth.sessionPrincipal(secret);
  if (principal === null) {
    throw new AppError('AUTH_INVALID', 'the session has expired or was ended; log in again');
  }
  const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
  if (!safe && req.headers[CSRF_HEADER] === undefined) {
    throw new AppError(
      'AUTH_FORBIDDEN',
      `a request with a session cookie that changes something needs the ${CSRF_HEADER} header (the web app sends it); other clients should use basic auth or a token`,
    );
  }
  return principal;
}

/** Who a request acts as: a user, an API token, or nobody (only where anonymous access is on). */
export type Identity =
  | { readonly kind: 'user'; readonly principal: Principal }
  | { readonly kind: 'token'; readonly token: TokenPrincipal }
  | { readonly kind: 'anonymous' };

/**
 * Checks the request's credentials. Throws AUTH_REQUIRED (none, and anonymous access is off), AUTH_INVALID
 * (wrong password or token), AUTH_BLOCKED or AUTH_THROTTLED (see Authenticator.verify).
 */
export async function authenticate(
  auth: Authenticator,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<Identity> {
  const { username, password, token } = credentialsOf(req);
  if (token !== undefined) {
    const verified = await auth.tokens.verify(token);
    if (verified) return { kind: 'token', token: verified };
    if (password === undefined) {
      reply.header('WWW-Authenticate', 'Token realm="sensorhub"');
      auth.logRefusal(
        { username, remote: req.ip },
        'HTTP request refused: unknown, revoked or malformed token (AUTH_INVALID)',
      );
      throw new AppError('AUTH_INVALID', 'unknown, revoked or malformed token');
    }
  }
  if (username === undefined && token === undefined) {
    const secret = sessionCookieOf(req);
    if (secret !== undefined) {
      try {
        return { kind: 'user', principal: await sessionPrincipal(auth, req, secret) };
      } catch (err) {
        // A stale cookie where anonymous access is on: the request is served as anonymous, as without it.
        if (!(auth.allowAnonymous && err instanceof AppError && err.code === 'AUTH_INVALID')) throw err;
        return { kind: 'anonymous' };
      }
    }
  }
  if (username === undefined) {
    if (auth.allowAnonymous) return { kind: 'anonymous' };
    reply.header('WWW-Authenticate', 'Basic realm="sensorhub"');
    throw new AppError(
      'AUTH_REQUIRED',
      'credentials required: use HTTP basic auth, u/p parameters, or Authorization: Token <token>',
    );
  }
  const principal = await auth.verify(username, password, req.ip).catch((err: unknown) => {
    const retry = (err as AppError).details?.retryAfterSeconds;
    if (typeof retry === 'number') reply.header('Retry-After', String(retry));
    throw err;
  });
  if (!principal) {
    // With anonymous access on, InfluxDB (auth disabled) ignores credentials, and its client libraries send
    // root/root by default: a user that does not exist counts as anonymous. A wrong password for a user
    // that does exist is still refused, so a typo is not silently downgraded.
    if (auth.allowAnonymous && (await auth.users.get(username)) === undefined) return { kind: 'anonymous' };
    reply.header('WWW-Authenticate', 'Basic realm="sensorhub"');
    auth.logRefusal(
      { username, remote: req.ip },
      'HTTP request refused: bad username or password (AUTH_INVALID)',
    );
    throw new AppError('AUTH_INVALID', 'bad username or password');
  }
  return { kind: 'user', principal };
}

/**
 * Writes (line protocol over HTTP) are for admin users and for tokens with `write` on the database (or `*`).
 * Throws AUTH_FORBIDDEN otherwise; anonymous requests pass only because anonymous access is on.
 */
export function requireWrite(identity: Identity, database: string): void {
  switch (identity.kind) {
    case 'anonymous':
      return;
    case 'user':
      if (identity.principal.role === 'admin') return;
      throw new AppError(
        'AUTH_FORBIDDEN',
        `user "${identity.principal.username}" (role ${identity.principal.role}) may not write over HTTP; use an admin or a token with write on "${database}"`,
      );
    case 'token':
      if (tokenAllows(identity.token, 'write', database)) return;
      throw new AppError(
        'AUTH_FORBIDDEN',
        `token "${identity.token.name}" (${identity.token.id}) may not write to database "${database}"`,
      );
  }
}

/**
 * Read routes whose data is limited to the database named by their `db` parameter. A token with `read` on
 * one database may call these with that `db`; every other read route (and these without `db`) needs `read`
 * on `*`, since what it returns spans databases.
 */
const DATABASE_SCOPED_READS: ReadonlySet<string> = new Set(['/api/v1/query', '/api/v1/series']);

/**
 * Tokens pass `requireAuth` only on read-only routes (those open to viewers but not to clients, by GET),
 * and only for the database they may read. Everything else (user management, publishing) needs a user.
 */
function tokenMayRead(token: TokenPrincipal, req: FastifyRequest, roles: readonly Role[]): boolean {
  if (!roles.includes('viewer') || roles.includes('client')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const q = req.query as Record<string, unknown> | undefined;
  const db = q?.db;
  if (typeof db === 'string' && db !== '' && DATABASE_SCOPED_READS.has(req.routeOptions.url ?? '')) {
    return tokenAllows(token, 'read', db);
  }
  return tokenAllows(token, 'read', '*');
}

/** Editors may do whatever viewers may: routes list the lowest roles they admit. */
export function roleAllowed(role: Role, roles: readonly Role[]): boolean {
  return roles.includes(role) || (role === 'editor' && roles.includes('viewer'));
}

/**
 * A preHandler that requires valid credentials of one of `roles`, unless anonymous access is on and the
 * request carries none. An API token passes only on read-only routes, within its `read` permissions.
 */
export function requireAuth(auth: Authenticator, roles: readonly Role[]) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const identity = await authenticate(auth, req, reply);
    switch (identity.kind) {
      case 'anonymous':
        req.principal = null;
        return;
      case 'token':
        if (!tokenMayRead(identity.token, req, roles)) {
          throw new AppError(
            'AUTH_FORBIDDEN',
            `token "${identity.token.name}" (${identity.token.id}) may not do this: tokens may write, and read the databases they list (GET /api/v1/query and /api/v1/series with db=; other reads need read on *)`,
          );
        }
        req.token = identity.token;
        return;
      case 'user': {
        const { principal } = identity;
        if (!roleAllowed(principal.role, roles)) {
          throw new AppError(
            'AUTH_FORBIDDEN',
            `user "${principal.username}" (role ${principal.role}) may not do this`,
          );
        }
        req.principal = principal;
      }
    }
  };
}

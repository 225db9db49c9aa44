/**
 * The server's HTTP API as the web app uses it. Same-origin fetches with the session cookie; every request
 * that changes something carries the CSRF header the server requires for cookie logins. Errors become
 * ApiError with the server's code and message, so pages can show them as they are.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Called when a request finds the session gone (401): the app shows the login page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-sensorhub-csrf'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
    signal: signal ?? null,
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json ?? {}) as { code?: string; error?: string; details?: Record<string, unknown> };
    if (res.status === 401 && path !== '/api/v1/session') onUnauthorized();
    throw new ApiError(
      res.status,
      err.code ?? `HTTP_${res.status}`,
      err.error ?? (text || res.statusText),
      err.details,
    );
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** One series of an InfluxQL result, as InfluxDB 1.x returns it (times as epoch ms here). */
export interface InfluxSeries {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: Array<Array<number | string | boolean | null>>;
}

export interface InfluxStatementResult {
  readonly statement_id: number;
  readonly series?: InfluxSeries[];
  readonly error?: string;
}

/** What the server says about itself (GET /api/v1/info): its default database and MQTT endpoints. */
export interface ServerInfo {
  readonly database: string;
  readonly mqtt: Record<string, unknown>;
}

let info: Promise<ServerInfo> | undefined;
/** Asked once per page load; a failed request is asked again next time. */
export function serverInfo(): Promise<ServerInfo> {
  info ??= get<ServerInfo>('/api/v1/info').catch((err: unknown) => {
    info = undefined;
    throw err;
  });
  return info;
}

/**
 * Runs InfluxQL (one or more `;`-separated statements) against /query with times in ms. Without a database
 * the server's default (where ingest writes) is used, as panels and Explore expect.
 */
export async function influxql(
  q: string,
  db: string | undefined,
  signal?: AbortSignal,
): Promise<InfluxStatementResult[]> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  const database = db || (await serverInfo()).database;
  if (database) params.set('db', database);
  const res = await fetch(`/query?${params}`, { credentials: 'same-origin', signal: signal ?? null });
  const json = (await res.json().catch(() => ({}))) as { results?: InfluxStatementResult[]; error?: string };
  if (res.status === 401) onUnauthorized();
  if (!res.ok && json.results === undefined) {
    throw new ApiError(res.status, `HTTP_${res.status}`, json.error ?? res.statusText);
  }
  return json.results ?? [];
}

export interface Session {
  readonly username: string | null;
  /** null: not logged in. */
  readonly role: 'admin' | 'editor' | 'viewer' | 'anonymous' | 'token' | null;
}

export const canEdit = (s: Session | null): boolean =>
  s !== null && (s.role === 'admin' || s.role === 'editor' || s.role === 'anonymous');
export const isAdmin = (s: Session | null): boolean =>
  s !== null && (s.role === 'admin' || s.role === 'anonymous');

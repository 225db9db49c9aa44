import { ADMIN_USERNAME } from '../auth/authenticator.js';
import { type NewUser, ROLES, type UserInfo, UserRegistry } from '../auth/users.js';
import { AppError, isAppError } from '../core/errors.js';
import type { DuckDbStore } from '../storage/duckdb/duckdb-store.js';
import {
  type AdminApi,
  adminApi,
  openOfflineStore,
  parseAdminCall,
  readStdinPassword,
} from './admin-access.js';

const HELP = `Usage:
  sensorhub user list
  sensorhub user add NAME [--role ${ROLES.join('|')}] [--publish FILTER]... [--subscribe FILTER]... [--password-stdin]
  sensorhub user remove NAME
  sensorhub user passwd NAME [--password-stdin]

Against a running server (the default) through its API:
  --url URL        the server's HTTP address          default $SENSORHUB_URL or http://localhost:8086
                   as admin, with the password from SENSORHUB_ADMIN_PASSWORD or SENSORHUB_ADMIN_PASSWORD_FILE
                   (for https:// with a self-signed certificate: NODE_EXTRA_CA_CERTS=certs/sensorhub-dev.crt)
Or on a stopped server's data directory:
  --data-dir DIR   edit DIR/sensorhub.duckdb directly (refused while a server has it open)

Filters may use + and #, and %u (the user's name) and %c (the MQTT client id). A client added without
filters may publish to sensors/%u/# and subscribe to commands/%u/#. Without --password-stdin a password
is generated and shown once.
`;

interface UserBackend {
  list(): Promise<UserInfo[]>;
  add(user: NewUser): Promise<{ user: UserInfo; password?: string }>;
  remove(name: string): Promise<void>;
  passwd(name: string, password?: string): Promise<{ password?: string }>;
  close(): Promise<void>;
}

class ApiBackend implements UserBackend {
  constructor(private readonly api: AdminApi) {}

  async list() {
    return ((await this.api.call('GET', '/api/v1/users')) as { users: UserInfo[] }).users;
  }
  async add(user: NewUser) {
    return (await this.api.call('POST', '/api/v1/users', user)) as { user: UserInfo; password?: string };
  }
  async remove(name: string) {
    await this.api.call('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
  }
  async passwd(name: string, password?: string) {
    const body = password === undefined ? {} : { password };
    return (await this.api.call('PUT', `/api/v1/users/${encodeURIComponent(name)}/password`, body)) as {
      password?: string;
    };
  }
  async close() {}
}

class OfflineBackend implements UserBackend {
  readonly #registry: UserRegistry;
  constructor(private readonly store: DuckDbStore) {
    this.#registry = new UserRegistry(store);
  }
  list() {
    return this.#registry.list();
  }
  async add(user: NewUser) {
    const { user: info, password, generated } = await this.#registry.add(user);
    return generated ? { user: info, password } : { user: info };
  }
  remove(name: string) {
    return this.#registry.remove(name, ADMIN_USERNAME);
  }
  async passwd(name: string, password?: string) {
    const r = await this.#registry.setPassword(name, password);
    return r.generated ? { password: r.password } : {};
  }
  close() {
    return this.store.stop();
  }
}

async function backendFor(v: Record<string, unknown>): Promise<UserBackend> {
  if (typeof v['data-dir'] === 'string') return new OfflineBackend(await openOfflineStore(v['data-dir']));
  return new ApiBackend(await adminApi(v.url));
}

function show(u: UserInfo): string {
  return `${u.name.padEnd(20)} ${u.role.padEnd(7)} publish: ${u.publish.join(' ') || '-'}   subscribe: ${u.subscribe.join(' ') || '-'}`;
}

export async function userCommand(argv: string[]): Promise<number> {
  const call = parseAdminCall(
    'user',
    argv,
    {
      role: { type: 'string' },
      publish: { type: 'string', multiple: true },
      subscribe: { type: 'string', multiple: true },
      'password-stdin': { type: 'boolean' },
    },
    ['list', 'add', 'remove', 'passwd'],
    HELP,
  );
  if (typeof call === 'number') return call;
  const { values: v, action, name } = call;
  let backend: UserBackend | undefined;
  try {
    const password = v['password-stdin'] ? await readStdinPassword() : undefined;
    backend = await backendFor(v);
    switch (action) {
      case 'list':
        for (const u of await backend.list()) process.stdout.write(`${show(u)}\n`);
        break;
      case 'add': {
        const res = await backend.add({
          name: name as string,
          ...(typeof v.role === 'string' ? { role: v.role as NewUser['role'] & string } : {}),
          ...(password === undefined ? {} : { password }),
          ...(Array.isArray(v.publish) ? { publish: v.publish as string[] } : {}),
          ...(Array.isArray(v.subscribe) ? { subscribe: v.subscribe as string[] } : {}),
        });
        process.stdout.write(`added ${show(res.user)}\n`);
        if (res.password) process.stdout.write(`password (shown only now): ${res.password}\n`);
        break;
      }
      case 'remove':
        await backend.remove(name as string);
        process.stdout.write(`removed ${name}\n`);
        break;
      case 'passwd': {
        const res = await backend.passwd(name as string, password);
        process.stdout.write(
          res.password ? `new password (shown only now): ${res.password}\n` : 'password changed\n',
        );
        break;
      }
    }
    return 0;
  } catch (err) {
    const message =
      isAppError(err) || err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`sensorhub user ${action}: ${message}\n`);
    return 1;
  } finally {
    await backend?.close();
  }
}

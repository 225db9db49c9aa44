import { parseArgs } from 'node:util';
import { type NewToken, type TokenInfo, type TokenPermission, TokenRegistry } from '../auth/tokens.js';
import { clockOf } from '../core/clock.js';
import { isAppError } from '../core/errors.js';
import { adminApi, openOfflineStore } from './admin-access.js';

const HELP = `Usage:
  sensorhub token create --write DB [--write DB]... [--read DB]... [--name NAME]
  sensorhub token list
  sensorhub token revoke ID

API tokens are for writers that should not hold a user's password: Telegraf, scripts, InfluxDB clients.
A token may do only what it lists: --write DB lets it write line protocol to DB (POST /write,
/api/v2/write), --read DB lets it query DB; DB "*" means every database. The token is shown once, at
"create"; only its hash is kept. Send it as "Authorization: Token <token>", or as the password with any
username (InfluxDB 1.x clients). "revoke" takes effect at once.

Against a running server (the default): --url URL (default $SENSORHUB_URL or http://localhost:8086),
as admin with SENSORHUB_ADMIN_PASSWORD or SENSORHUB_ADMIN_PASSWORD_FILE.
On a stopped server's data directory: --data-dir DIR.
`;

interface TokenBackend {
  list(): Promise<TokenInfo[]>;
  create(spec: NewToken): Promise<{ info: TokenInfo; token: string }>;
  revoke(id: string): Promise<void>;
  close(): Promise<void>;
}

async function backendFor(v: Record<string, unknown>): Promise<TokenBackend> {
  if (typeof v['data-dir'] === 'string') {
    const store = await openOfflineStore(v['data-dir']);
    const registry = new TokenRegistry(store, clockOf(Date.now));
    return {
      list: () => registry.list(),
      create: (spec) => registry.create(spec),
      revoke: (id) => registry.revoke(id),
      close: () => store.stop(),
    };
  }
  const api = await adminApi(v.url);
  return {
    list: async () => ((await api.call('GET', '/api/v1/tokens')) as { tokens: TokenInfo[] }).tokens,
    create: async (spec) => {
      const { token, ...info } = (await api.call('POST', '/api/v1/tokens', spec)) as TokenInfo & {
        token: string;
      };
      return { info, token };
    },
    revoke: async (id) => {
      await api.call('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    },
    close: async () => {},
  };
}

function databases(t: TokenInfo, action: TokenPermission['action']): string {
  return (
    t.permissions
      .filter((p) => p.action === action)
      .map((p) => p.database)
      .join(',') || '-'
  );
}

function show(t: TokenInfo): string {
  return `${t.id}  ${t.name.padEnd(20)} write: ${databases(t, 'write').padEnd(12)} read: ${databases(t, 'read').padEnd(12)} created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}`;
}

export async function tokenCommand(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        write: { type: 'string', multiple: true },
        read: { type: 'string', multiple: true },
        name: { type: 'string' },
        url: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`sensorhub token: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [action, id, ...extra] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const usage = (problem: string) => {
    process.stderr.write(`sensorhub token ${action}: ${problem}\n\n${HELP}`);
    return 2;
  };
  const permissions: TokenPermission[] = [
    ...((values.write as string[] | undefined) ?? []).map((database) => ({
      action: 'write' as const,
      database,
    })),
    ...((values.read as string[] | undefined) ?? []).map((database) => ({
      action: 'read' as const,
      database,
    })),
  ];
  switch (action) {
    case 'create':
      if (id !== undefined) return usage(`unexpected "${id}" (the name goes in --name)`);
      if (permissions.length === 0) return usage('give at least one --write DB or --read DB');
      break;
    case 'list':
      if (id !== undefined) return usage(`unexpected "${id}"`);
      break;
    case 'revoke':
      if (id === undefined || extra.length > 0)
        return usage('expected exactly one token ID (see "token list")');
      break;
    default:
      return usage('expected create, list or revoke');
  }
  if (action !== 'create' && (permissions.length > 0 || values.name !== undefined)) {
    return usage('--write, --read and --name go with "create"');
  }

  let backend: TokenBackend | undefined;
  try {
    backend = await backendFor(values);
    switch (action) {
      case 'create': {
        const { info, token } = await backend.create({
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          permissions,
        });
        process.stdout.write(`created ${show(info)}\ntoken (shown only now): ${token}\n`);
        break;
      }
      case 'list':
        for (const t of await backend.list()) process.stdout.write(`${show(t)}\n`);
        break;
      case 'revoke':
        await backend.revoke(id as string);
        process.stdout.write(`revoked ${id}\n`);
        break;
    }
    return 0;
  } catch (err) {
    const message = isAppError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`sensorhub token ${action}: ${message}\n`);
    return 1;
  } finally {
    await backend?.close();
  }
}

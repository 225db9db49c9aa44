import { UserRegistry } from '../auth/users.js';
import { clockOf } from '../core/clock.js';
import { PresenceTracker } from '../devices/presence.js';
import { type DeviceInfo, DeviceRegistry } from '../devices/registry.js';
import { adminApi, openOfflineStore, parseAdminCall } from './admin-access.js';

const HELP = `Usage:
  sensorhub device list
  sensorhub device add NAME [--description TEXT]
  sensorhub device remove NAME

A device gets its own MQTT credentials (shown once, at "add"): user NAME may publish below
sensors/NAME/ and subscribe below commands/NAME/. "list" shows whether each device is online and when it
was last seen.

Against a running server (the default): --url URL (default $SENSORHUB_URL or http://localhost:8086),
as admin with SENSORHUB_ADMIN_PASSWORD or SENSORHUB_ADMIN_PASSWORD_FILE.
On a stopped server's data directory: --data-dir DIR.
`;

interface DeviceBackend {
  list(): Promise<DeviceInfo[]>;
  add(name: string, description?: string): Promise<{ device: DeviceInfo; password: string }>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

async function backendFor(v: Record<string, unknown>): Promise<DeviceBackend> {
  if (typeof v['data-dir'] === 'string') {
    const store = await openOfflineStore(v['data-dir']);
    const registry = new DeviceRegistry(
      store,
      new UserRegistry(store),
      new PresenceTracker(clockOf(Date.now)),
    );
    await registry.start();
    return {
      list: () => registry.list(),
      add: (name, description) =>
        registry.add({ name, ...(description === undefined ? {} : { description }) }),
      remove: (name) => registry.remove(name),
      close: () => store.stop(),
    };
  }
  const api = await adminApi(v.url);
  return {
    list: async () => ((await api.call('GET', '/api/v1/devices')) as { devices: DeviceInfo[] }).devices,
    add: async (name, description) =>
      (await api.call('POST', '/api/v1/devices', {
        name,
        ...(description === undefined ? {} : { description }),
      })) as {
        device: DeviceInfo;
        password: string;
      },
    remove: async (name) => {
      await api.call('DELETE', `/api/v1/devices/${encodeURIComponent(name)}`);
    },
    close: async () => {},
  };
}

function show(d: DeviceInfo): string {
  const state = d.online ? 'online ' : 'offline';
  return `${d.name.padEnd(20)} ${state}  last seen ${d.lastSeen ?? 'never'}${d.description ? `  ${d.description}` : ''}`;
}

export async function deviceCommand(argv: string[]): Promise<number> {
  const call = parseAdminCall(
    'device',
    argv,
    { description: { type: 'string' } },
    ['list', 'add', 'remove'],
    HELP,
  );
  if (typeof call === 'number') return call;
  const { values: v, action, name } = call;
  let backend: DeviceBackend | undefined;
  try {
    backend = await backendFor(v);
    if (action === 'list') {
      for (const d of await backend.list()) process.stdout.write(`${show(d)}\n`);
    } else if (action === 'add') {
      const description = typeof v.description === 'string' ? v.description : undefined;
      const { device, password } = await backend.add(name as string, description);
      process.stdout.write(
        `added device ${device.name}: MQTT user "${device.name}", publish ${device.publish.join(' ')}, subscribe ${device.subscribe.join(' ')}\n` +
          `password (shown only now): ${password}\n`,
      );
    } else {
      await backend.remove(name as string);
      process.stdout.write(`removed device ${name} and its credentials\n`);
    }
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`sensorhub device ${action}: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return 1;
  } finally {
    await backend?.close();
  }
}

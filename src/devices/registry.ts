import type { UserRegistry } from '../auth/users.js';
import { DEFAULT_CLIENT_ACL } from '../auth/users.js';
import { AppError } from '../core/errors.js';
import type { TimeSeriesStore } from '../storage/store.js';
import type { PresenceTracker } from './presence.js';

export interface DeviceInfo {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly online: boolean;
  readonly connections: number;
  /** RFC 3339; absent if the device never connected. */
  readonly lastSeen?: string;
  /** What the device's credentials allow (see docs/mqtt.md: topic ACLs). */
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

interface DeviceRecord {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
}

const PREFIX = 'device.';
const LAST_SEEN_KEY = 'devices.lastSeen';

/**
 * The device registry. A device is a `client` user (its MQTT credentials and namespace ACL) plus a
 * record here, and presence from the broker. `sensorhub device add bathroom` lets it publish below
 * sensors/bathroom/ and read commands/bathroom/, and shows its password once.
 */
export class DeviceRegistry {
  readonly #names = new Set<string>();

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly users: UserRegistry,
    private readonly presence: PresenceTracker,
  ) {}

  async start(): Promise<void> {
    for (const [key] of await this.store.listMeta(PREFIX)) this.#names.add(key.slice(PREFIX.length));
    const saved = await this.store.getMeta(LAST_SEEN_KEY);
    if (saved) {
      for (const [name, at] of Object.entries(JSON.parse(saved) as Record<string, number>)) {
        if (this.#names.has(name)) this.presence.restore(name, at);
      }
    }
  }

  /** Keeps last-seen times for the next run. */
  async saveLastSeen(): Promise<void> {
    const entries = this.presence.lastSeenEntries().filter(([name]) => this.#names.has(name));
    await this.store.setMeta(LAST_SEEN_KEY, JSON.stringify(Object.fromEntries(entries)));
  }

  isDevice(name: string): boolean {
    return this.#names.has(name);
  }

  get count(): number {
    return this.#names.size;
  }

  async add(spec: { name: string; description?: string }): Promise<{ device: DeviceInfo; password: string }> {
    if (await this.store.getMeta(PREFIX + spec.name)) {
      throw new AppError('DEV_EXISTS', `device "${spec.name}" already exists`);
    }
    const { password } = await this.users.add({
      name: spec.name,
      role: 'client',
      publish: DEFAULT_CLIENT_ACL.publish,
      subscribe: DEFAULT_CLIENT_ACL.subscribe,
    });
    const record: DeviceRecord = {
      name: spec.name,
      description: spec.description ?? '',
      createdAt: new Date().toISOString(),
    };
    await this.store.setMeta(PREFIX + spec.name, JSON.stringify(record));
    this.#names.add(spec.name);
    return { device: await this.#info(record), password };
  }

  async get(name: string): Promise<DeviceInfo> {
    const raw = await this.store.getMeta(PREFIX + name);
    if (!raw) throw new AppError('DEV_NOT_FOUND', `no device "${name}"`);
    return this.#info(JSON.parse(raw) as DeviceRecord);
  }

  async list(): Promise<DeviceInfo[]> {
    const rows = await this.store.listMeta(PREFIX);
    return Promise.all(rows.map(([, raw]) => this.#info(JSON.parse(raw) as DeviceRecord)));
  }

  /** Removes the device and its credentials; the broker then closes its open connections. */
  async remove(name: string): Promise<void> {
    if (!(await this.store.deleteMeta(PREFIX + name)))
      throw new AppError('DEV_NOT_FOUND', `no device "${name}"`);
    this.#names.delete(name);
    this.presence.forget(name);
    await this.users.remove(name, '').catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === 'AUTH_USER_NOT_FOUND')) throw err;
    });
  }

  async #info(record: DeviceRecord): Promise<DeviceInfo> {
    const user = await this.users.get(record.name);
    const p = this.presence.of(record.name);
    return {
      ...record,
      online: p.online,
      connections: p.connections,
      ...(p.lastSeen === undefined ? {} : { lastSeen: new Date(p.lastSeen).toISOString() }),
      publish: user?.publish ?? [],
      subscribe: user?.subscribe ?? [],
    };
  }
}

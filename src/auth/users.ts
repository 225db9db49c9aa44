import { AppError } from '../core/errors.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { aclPatternError } from './acl.js';
import { generatePassword, hashPassword } from './passwords.js';

/**
 * `admin` may do everything; `editor` may do what a viewer may, and change dashboards and alert rules;
 * `viewer` may read the HTTP API and the web app, and use MQTT within its ACL; `client` (devices, gateways,
 * services) may only use MQTT within its ACL.
 */
export const ROLES = ['admin', 'editor', 'viewer', 'client'] as const;
export type Role = (typeof ROLES)[number];

export interface UserInfo {
  readonly name: string;
  readonly role: Role;
  /** Topic filters this user may publish to; `%u` is the username, `%c` the client id. */
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly createdAt: string;
}

export interface UserRecord extends UserInfo {
  /** scrypt, see passwords.ts; never leaves the server. */
  readonly passwordHash: string;
}

export interface NewUser {
  readonly name: string;
  readonly role?: Role;
  /** Omitted: a random one is generated and returned once. */
  readonly password?: string;
  readonly publish?: readonly string[];
  readonly subscribe?: readonly string[];
}

/** What a client may do when no patterns are given: publish below its own name, read its own commands. */
export const DEFAULT_CLIENT_ACL = { publish: ['sensors/%u/#'], subscribe: ['commands/%u/#'] } as const;

const PREFIX = 'auth.user.';
// No MQTT wildcards or level separators, so `%u` in an ACL pattern can never widen it.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_PASSWORD = 8;

function info(r: UserRecord): UserInfo {
  return { name: r.name, role: r.role, publish: r.publish, subscribe: r.subscribe, createdAt: r.createdAt };
}

/** Users kept in the store's key/value table, one JSON record each. */
export class UserRegistry {
  constructor(
    private readonly store: TimeSeriesStore,
    /** Told about every change, so cached logins of that user are forgotten. */
    private readonly onChange: (name: string) => void = () => {},
  ) {}

  async get(name: string): Promise<UserRecord | undefined> {
    const raw = await this.store.getMeta(PREFIX + name);
    return raw === undefined ? undefined : (JSON.parse(raw) as UserRecord);
  }

  async list(): Promise<UserInfo[]> {
    const rows = await this.store.listMeta(PREFIX);
    return rows.map(([, raw]) => info(JSON.parse(raw) as UserRecord));
  }

  /** Creates a user; returns the password, which is generated when none was given and shown only now. */
  async add(spec: NewUser): Promise<{ user: UserInfo; password: string; generated: boolean }> {
    const errors = validate(spec);
    if (errors.length > 0) throw new AppError('AUTH_BAD_USER', errors.join('; '), { details: { errors } });
    if (await this.get(spec.name))
      throw new AppError('AUTH_USER_EXISTS', `user "${spec.name}" already exists`);
    const role = spec.role ?? 'client';
    const generated = spec.password === undefined;
    const password = spec.password ?? generatePassword();
    const useDefaults = role === 'client' && spec.publish === undefined && spec.subscribe === undefined;
    const record: UserRecord = {
      name: spec.name,
      role,
      publish: [...(spec.publish ?? (useDefaults ? DEFAULT_CLIENT_ACL.publish : []))],
      subscribe: [...(spec.subscribe ?? (useDefaults ? DEFAULT_CLIENT_ACL.subscribe : []))],
      createdAt: new Date().toISOString(),
      passwordHash: await hashPassword(password),
    };
    await this.store.setMeta(PREFIX + spec.name, JSON.stringify(record));
    this.onChange(spec.name);
    return { user: info(record), password, generated };
  }

  /** Sets (or, without a password, generates) a new password; returns it. */
  async setPassword(name: string, password?: string): Promise<{ password: string; generated: boolean }> {
    const record = await this.get(name);
    if (!record) throw new AppError('AUTH_USER_NOT_FOUND', `no user "${name}"`);
    if (password !== undefined && password.length < MIN_PASSWORD) {
      throw new AppError('AUTH_BAD_USER', `the password must have at least ${MIN_PASSWORD} characters`);
    }
    const next = password ?? generatePassword();
    await this.store.setMeta(
      PREFIX + name,
      JSON.stringify({ ...record, passwordHash: await hashPassword(next) }),
    );
    this.onChange(name);
    return { password: next, generated: password === undefined };
  }

  /** Writes a record as given (the bootstrap admin); does not validate its password. */
  async put(record: UserRecord): Promise<void> {
    await this.store.setMeta(PREFIX + record.name, JSON.stringify(record));
    this.onChange(record.name);
  }

  async remove(name: string, protectedName: string): Promise<void> {
    if (name === protectedName) {
      throw new AppError('AUTH_FORBIDDEN', `"${name}" is the bootstrap admin; change its password instead`);
    }
    if (!(await this.store.deleteMeta(PREFIX + name)))
      throw new AppError('AUTH_USER_NOT_FOUND', `no user "${name}"`);
    this.onChange(name);
  }
}

function validate(spec: NewUser): string[] {
  const errors: string[] = [];
  if (!NAME.test(spec.name)) {
    errors.push(
      `name "${spec.name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (spec.role !== undefined && !ROLES.includes(spec.role)) {
    errors.push(`role "${spec.role}" is not one of ${ROLES.join(', ')}`);
  }
  if (spec.password !== undefined && spec.password.length < MIN_PASSWORD) {
    errors.push(`the password must have at least ${MIN_PASSWORD} characters`);
  }
  for (const [kind, patterns] of [
    ['publish', spec.publish],
    ['subscribe', spec.subscribe],
  ] as const) {
    for (const p of patterns ?? []) {
      const err = aclPatternError(p);
      if (err) errors.push(`${kind}: ${err}`);
    }
  }
  return errors;
}

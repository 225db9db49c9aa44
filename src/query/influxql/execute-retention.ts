/**
 * CREATE DATABASE … WITH, CREATE/ALTER/DROP RETENTION POLICY and SHOW RETENTION POLICIES, answering as
 * InfluxDB 1.x does. sensorhub keeps exactly one retention policy per database (docs/retention.md): a
 * second one, or dropping the one, is refused with QRY_RETENTION_POLICY instead of being half-supported.
 */
import { AppError } from '../../core/errors.js';
import {
  formatGoDuration,
  listAllDatabases,
  makePolicy,
  normalisedShardGroupDuration,
  type RetentionPolicies,
  type RetentionPolicy,
} from '../../storage/retention.js';
import type { TimeSeriesStore } from '../../storage/store.js';
import type { AdminStatement, RetentionPolicyOptions } from './ast.js';
import { queryError } from './evaluate.js';
import type { ResultSeries } from './select.js';

type Statement<K extends AdminStatement['kind']> = Extract<AdminStatement, { kind: K }>;

/** InfluxDB's words when a policy of that name exists with other settings. */
const CONFLICT = 'retention policy conflicts with an existing policy';

export async function showRetentionPolicies(
  store: TimeSeriesStore,
  retention: RetentionPolicies,
  database: string,
): Promise<ResultSeries[]> {
  await requireDatabase(store, database);
  const p = await retention.policyOf(database);
  return [
    {
      name: '',
      columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
      values: [
        [p.name, formatGoDuration(p.duration), formatGoDuration(p.shardGroupDuration), p.replicaN, true],
      ],
    },
  ];
}

/**
 * The policy part of CREATE DATABASE (the caller records the database itself). Without WITH, a new
 * database gets the default; with it, the given policy (a DURATION left out is the default). Creating a
 * database that exists is fine as long as a WITH matches its policy, as in InfluxDB.
 */
export async function createDatabasePolicy(
  store: TimeSeriesStore,
  retention: RetentionPolicies,
  s: Statement<'create_database'>,
): Promise<void> {
  const exists = (await listAllDatabases(store)).includes(s.name);
  const current = await retention.policyOf(s.name);
  const spec = s.retention;
  if (spec === undefined) return;
  const duration = spec.durationMicros === undefined ? current.duration : micros(spec.durationMicros);
  const wanted = makePolicy(duration, {
    name: spec.name ?? current.name,
    ...opt('shardGroupDuration', spec.shardDurationMicros),
    ...opt('replicaN', spec.replication),
  });
  if (exists && (wanted.name !== current.name || wanted.duration !== current.duration)) {
    throw queryError(CONFLICT);
  }
  await retention.setPolicy(s.name, wanted);
}

export async function createRetentionPolicy(
  store: TimeSeriesStore,
  retention: RetentionPolicies,
  s: Statement<'create_retention_policy'>,
): Promise<void> {
  await requireDatabase(store, s.database);
  const current = await retention.policyOf(s.database);
  if (s.name !== current.name) {
    throw new AppError(
      'QRY_RETENTION_POLICY',
      `sensorhub keeps one retention policy per database: "${s.database}" has "${current.name}" (${formatGoDuration(current.duration)}); change it with ALTER RETENTION POLICY "${current.name}" ON "${s.database}" DURATION ${durationText(s.options)}`,
    );
  }
  // The same name: accepted when nothing differs (InfluxDB's idempotent create), else its conflict.
  const wanted = changed(current, s.options);
  if (wanted.duration !== current.duration || wanted.shardGroupDuration !== current.shardGroupDuration) {
    throw queryError(CONFLICT);
  }
}

export async function alterRetentionPolicy(
  store: TimeSeriesStore,
  retention: RetentionPolicies,
  s: Statement<'alter_retention_policy'>,
): Promise<void> {
  await requireDatabase(store, s.database);
  const current = await retention.policyOf(s.database);
  if (s.name !== current.name) throw queryError(`retention policy not found: ${s.name}`);
  await retention.setPolicy(s.database, changed(current, s.options));
}

export async function dropRetentionPolicy(
  store: TimeSeriesStore,
  retention: RetentionPolicies,
  s: Statement<'drop_retention_policy'>,
): Promise<void> {
  await requireDatabase(store, s.database);
  const current = await retention.policyOf(s.database);
  if (s.name !== current.name) throw queryError(`retention policy not found: ${s.name}`);
  throw new AppError(
    'QRY_RETENTION_POLICY',
    `sensorhub keeps exactly one retention policy per database and does not drop it (that would delete all of "${s.database}"'s data); to keep data forever instead: ALTER RETENTION POLICY "${current.name}" ON "${s.database}" DURATION INF`,
  );
}

async function requireDatabase(store: TimeSeriesStore, database: string): Promise<void> {
  if (!(await listAllDatabases(store)).includes(database))
    throw queryError(`database not found: ${database}`);
}

/** The policy with ALTER's (or CREATE's) options applied; a new duration keeps the shard group duration. */
function changed(current: RetentionPolicy, o: RetentionPolicyOptions): RetentionPolicy {
  const duration = o.durationMicros === undefined ? current.duration : micros(o.durationMicros);
  return {
    ...current,
    duration,
    shardGroupDuration:
      o.shardDurationMicros === undefined
        ? current.shardGroupDuration
        : normalisedShardGroupDuration(o.shardDurationMicros, duration),
    replicaN: o.replication ?? current.replicaN,
  };
}

/** InfluxQL durations may be fractional µs (`1ns`); retention counts whole µs, never rounding to INF. */
function micros(d: number): number {
  return d === 0 ? 0 : Math.max(1, Math.round(d));
}

function durationText(o: RetentionPolicyOptions): string {
  return o.durationMicros === undefined || o.durationMicros === 0
    ? 'INF'
    : formatGoDuration(o.durationMicros);
}

function opt<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

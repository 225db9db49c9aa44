import type pg from 'pg';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { describePgError } from './pg-errors.js';
import { layoutV2 } from './rollup-schema.js';
import { layoutV1, type Partitioning, schemaNames } from './schema.js';

/**
 * Schema migrations: ordered steps, each a list of SQL statements, recorded in `schema_version`. All
 * pending steps run in one transaction at start, under an advisory lock so that two processes starting
 * together do not both migrate. A database already at the latest version is not touched at all (no DDL,
 * no lock), so roles without CREATE (ingest, reader) can start on it.
 */

export interface MigrationContext {
  readonly schema: string;
  /** Chosen when the samples table is first created, then fixed (see detectPartitioning). */
  readonly partitioning: Partitioning;
}

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: (ctx: MigrationContext) => readonly string[];
}

/** Append only: a released step never changes; a change to the layout is a new step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      'series catalog, time-partitioned samples, dead letters, meta, merge and partition functions',
    statements: (ctx) => layoutV1(ctx.schema, ctx.partitioning),
  },
  {
    version: 2,
    description: 'rollups: per-level bucket states, dirty buckets, watermarks; writes mark late buckets',
    statements: (ctx) => layoutV2(ctx.schema, ctx.partitioning),
  },
];

/** `auto`: TimescaleDB when it is installed or can be created in the database, else native partitions. */
export type PartitioningOption = 'auto' | Partitioning;

export interface MigrateOptions {
  readonly partitioning: PartitioningOption;
  readonly logger: Logger;
  /** Steps to apply; tests pass their own list to exercise the runner. */
  readonly migrations?: readonly Migration[];
}

export interface MigrateResult {
  /** Versions applied by this call, ascending; empty when the database was up to date. */
  readonly applied: number[];
  readonly version: number;
  readonly partitioning: Partitioning;
}

export async function migrate(
  client: pg.ClientBase,
  schema: string,
  options: MigrateOptions,
): Promise<MigrateResult> {
  const steps = options.migrations ?? MIGRATIONS;
  const latest = steps.at(-1)?.version ?? 0;
  const n = schemaNames(schema);

  const current = await currentVersion(client, schema);
  checkNotNewer(current, latest);
  if (current === latest) {
    return { applied: [], version: current, partitioning: await storedPartitioning(client, schema) };
  }

  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `sensorhub migrate ${schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${n.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${n.schemaVersion} (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    // Another process may have migrated while this one waited for the lock.
    const locked = await currentVersion(client, schema);
    checkNotNewer(locked, latest);
    const partitioning =
      locked === 0 ? await choosePartitioning(client, options) : await storedPartitioning(client, schema);
    const applied: number[] = [];
    for (const step of steps) {
      if (step.version <= locked) continue;
      try {
        for (const sql of step.statements({ schema, partitioning })) await client.query(sql);
      } catch (err) {
        throw new Error(`migration ${step.version} (${step.description}) failed: ${describePgError(err)}`, {
          cause: err,
        });
      }
      await client.query(`INSERT INTO ${n.schemaVersion} (version, description) VALUES ($1, $2)`, [
        step.version,
        step.description,
      ]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    if (applied.length > 0) {
      options.logger.info({ schema, applied, partitioning }, 'PostgreSQL schema migrated');
    }
    return { applied, version: latest, partitioning };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof AppError) throw err;
    throw new AppError(
      'STO_CLOSED',
      `cannot bring schema "${schema}" from version ${current} to ${latest}: ${describePgError(err)}. ` +
        'Nothing was changed. Migrations need a role that may create objects in the database ' +
        '(the owner); ingest and reader roles can only start on a migrated database.',
      { cause: err },
    );
  }
}

/** 0 when the schema or its version table does not exist yet. */
async function currentVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const n = schemaNames(schema);
  const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    n.schemaVersion,
  ]);
  if (exists.rows[0]?.found !== true) return 0;
  const found = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${n.schemaVersion}`,
  );
  return found.rows[0]?.version ?? 0;
}

function checkNotNewer(current: number, latest: number): void {
  if (current > latest) {
    throw new AppError(
      'STO_CLOSED',
      `database schema version ${current} is newer than this sensorhub's (${latest}): it was written by a ` +
        'newer sensorhub. Upgrade sensorhub, or point it at another database or schema.',
    );
  }
}

/** How an existing samples table is partitioned: a partitioned table is native, a plain one a hypertable. */
export async function storedPartitioning(client: pg.ClientBase, schema: string): Promise<Partitioning> {
  const found = await client.query<{ relkind: string }>(
    'SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass($1)',
    [schemaNames(schema).samples],
  );
  const kind = found.rows[0]?.relkind;
  if (kind === 'p') return 'native';
  if (kind === 'r') return 'timescaledb';
  throw new AppError('STO_CLOSED', `schema "${schema}" has no samples table; is it a sensorhub schema?`);
}

/**
 * Runs inside the migration transaction. Creating the extension may fail even when it is available
 * (no privilege, or not in shared_preload_libraries); a savepoint keeps that from aborting the migration.
 */
async function choosePartitioning(client: pg.ClientBase, options: MigrateOptions): Promise<Partitioning> {
  if (options.partitioning === 'native') return 'native';
  const installed = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (installed.rowCount === 1) return 'timescaledb';
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  let reason = 'it is not installed on the server (pg_available_extensions has no timescaledb)';
  if (available.rowCount === 1) {
    await client.query('SAVEPOINT timescaledb');
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      await client.query('RELEASE SAVEPOINT timescaledb');
      return 'timescaledb';
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT timescaledb');
      reason = `CREATE EXTENSION timescaledb failed: ${describePgError(err)}`;
    }
  }
  if (options.partitioning === 'timescaledb') {
    throw new AppError('STO_CLOSED', `partitioning "timescaledb" was asked for, but ${reason}`);
  }
  options.logger.info({ reason }, 'TimescaleDB not used; samples get native monthly partitions');
  return 'native';
}

import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg, { escapeIdentifier, escapeLiteral } from 'pg';
import { AppError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { clientConfig, type PasswordSource, redact } from './connection.js';
import { migrate, type PartitioningOption } from './migrations.js';
import { describePgError } from './pg-errors.js';
import { SCHEMA_NAME_PATTERN, schemaNames } from './schema.js';

/**
 * Least-privilege roles, as seed 002 set them up by hand (an insert-only connector, a read-only Grafana):
 *
 * ingest — what a sensorhub process that only stores data needs, nothing more:
 *   - SELECT on schema_version (the start-up version check) and meta (server state; no writes);
 *   - SELECT, INSERT on field_types and series: resolve series ids and types, add new ones;
 *   - INSERT on dead_letters (ids come from its identity column, no sequence grant needed);
 *   - EXECUTE on merge_staged_samples(): the merge. PostgreSQL's INSERT … ON CONFLICT DO UPDATE would
 *     need INSERT, UPDATE on the three value columns, and SELECT on all five columns of samples (the
 *     conflict key, and every column read through EXCLUDED). The SECURITY DEFINER function does exactly
 *     that merge for the rows of the caller's own temp table and nothing else, so the role gets no
 *     privilege on samples at all: it cannot read, update or delete any stored value except by writing
 *     the same point again;
 *   - EXECUTE on ensure_sample_partitions() (creates the month partitions a write needs),
 *     store_counts() and series_last_times() (counts and last times at start, no values);
 *   - CONNECT and TEMPORARY on the database (the staging table).
 *   No UPDATE, DELETE or TRUNCATE anywhere, no DDL: it cannot drop, delete, prune or migrate. Nothing on
 *   the rollup tables either: the merge function marks the buckets of late writes dirty itself
 *   (rollup-schema.ts), and only the owner runs rollup maintenance.
 *
 * reader — SELECT on every table and on the `readings` view, except meta (password hashes, tokens), and
 *   EXECUTE on the two read-only functions; CONNECT on the database. Nothing else. Aggregate queries
 *   read the rollup tables: `rollups` (the states), and `rollup_levels` and `rollup_dirty` to know which
 *   of its buckets are current.
 *
 * Idempotent: existing roles are kept (their passwords replaced when given) and their privileges in the
 * schema reset to exactly these, so running it again after an upgrade grants what new steps added.
 */

export interface RoleNames {
  readonly ingest: string;
  readonly reader: string;
}

export interface ProvisionOptions {
  /** The admin's password (the URL has none). */
  readonly adminPassword?: PasswordSource;
  /** Default `sensorhub`. */
  readonly schema?: string;
  /**
   * Login passwords to set. Sent as SCRAM-SHA-256 verifiers computed here, so the clear text never reaches
   * the server (nor its statement log). A role without one here keeps its current password, if any.
   */
  readonly passwords?: { readonly ingest?: string; readonly reader?: string };
  /** For a database with no sensorhub schema yet: the migration's partitioning choice. */
  readonly partitioning?: PartitioningOption;
  readonly logger?: Logger;
}

const ROLE_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (or updates) the roles; `adminUrl` must be a role that may create roles and grant on the schema
 * (a superuser, or one with CREATEROLE that owns the schema). Migrates an empty database first.
 */
export async function provisionRoles(
  adminUrl: string,
  roles: RoleNames,
  options: ProvisionOptions = {},
): Promise<void> {
  const schema = options.schema ?? 'sensorhub';
  for (const [kind, name] of Object.entries(roles)) {
    if (!ROLE_PATTERN.test(name)) {
      throw new AppError('CFG_INVALID', `${kind} role name "${name}" must be a lower-case SQL identifier`);
    }
  }
  if (roles.ingest === roles.reader)
    throw new AppError('CFG_INVALID', 'the ingest and reader roles must differ');
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw new AppError('CFG_INVALID', `schema name "${schema}" must be a lower-case SQL identifier`);
  }

  const client = new pg.Client({
    ...clientConfig(adminUrl, options.adminPassword),
    application_name: 'sensorhub-roles',
  });
  try {
    await client.connect();
    await migrate(client, schema, {
      partitioning: options.partitioning ?? 'auto',
      logger: options.logger ?? silentLogger,
    });
    await client.query('BEGIN');
    for (const sql of roleStatements(schema, roles, options.passwords ?? {})) await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof AppError) throw err;
    throw new AppError(
      'STO_CLOSED',
      `cannot provision roles on ${redact(adminUrl)}: ${describePgError(err)}`,
      {
        cause: err,
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function roleStatements(
  schema: string,
  roles: RoleNames,
  passwords: { readonly ingest?: string; readonly reader?: string },
): string[] {
  const n = schemaNames(schema);
  const ingest = escapeIdentifier(roles.ingest);
  const reader = escapeIdentifier(roles.reader);
  const out: string[] = [];
  for (const [name, password] of [
    [roles.ingest, passwords.ingest],
    [roles.reader, passwords.reader],
  ] as const) {
    const role = escapeIdentifier(name);
    out.push(
      `DO $do$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${escapeLiteral(name)}) THEN
           CREATE ROLE ${role} LOGIN;
         END IF;
       END $do$`,
      `ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    );
    if (password !== undefined)
      out.push(`ALTER ROLE ${role} PASSWORD ${escapeLiteral(scramVerifier(password))}`);
    // Start from nothing in the schema, so a second run converges on exactly the grants below.
    out.push(
      `REVOKE ALL ON ALL TABLES IN SCHEMA ${n.schema} FROM ${role}`,
      `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${n.schema} FROM ${role}`,
      `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${n.schema} FROM ${role}`,
      `GRANT USAGE ON SCHEMA ${n.schema} TO ${role}`,
    );
  }
  const database = 'current_database()';
  out.push(
    // GRANT … ON DATABASE takes a name, not an expression.
    `DO $do$ BEGIN
       EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', ${database}, ${escapeLiteral(roles.ingest)});
       EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', ${database}, ${escapeLiteral(roles.reader)});
     END $do$`,
    `GRANT SELECT ON ${n.schemaVersion}, ${n.meta} TO ${ingest}`,
    `GRANT SELECT, INSERT ON ${n.fieldTypes}, ${n.series} TO ${ingest}`,
    `GRANT INSERT ON ${n.deadLetters} TO ${ingest}`,
    `GRANT EXECUTE ON FUNCTION ${n.mergeStagedSamples}(bigint), ${n.ensurePartitions}(timestamptz[]),
       ${n.storeCounts}(), ${n.seriesLastTimes}(integer[]) TO ${ingest}`,
    `GRANT SELECT ON ${n.schemaVersion}, ${n.fieldTypes}, ${n.series}, ${n.samples}, ${n.deadLetters},
       ${n.readings}, ${n.rollups}, ${n.rollupLevels}, ${n.rollupDirty} TO ${reader}`,
    `GRANT EXECUTE ON FUNCTION ${n.storeCounts}(), ${n.seriesLastTimes}(integer[]) TO ${reader}`,
  );
  return out;
}

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it (RFC 5802/7677, 4096 iterations, as libpq
 * PQencryptPasswordConn makes): the server accepts it in ALTER ROLE … PASSWORD and never sees the password.
 * The password is used as given, without SASLprep, as node-postgres does when it logs in: identical for
 * ASCII passwords, and a non-ASCII one then works from sensorhub exactly as typed.
 */
export function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

import pg from 'pg';
import { AppError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { WRITE_FAILURE_NOT_READY_MS } from '../semantics.js';
import { describePgError } from './pg-errors.js';
import { STAGE_DDL, STAGE_TABLE } from './schema.js';
import { FieldTypeRace } from './write-sql.js';

export interface WriteConnectionOptions {
  readonly config: pg.ClientConfig;
  /** `schema.merge_staged_samples(bigint)`, whose owner must be able to read the stage table. */
  readonly mergeFunction: string;
  readonly logger: Logger;
  readonly beforeCommit?: () => void | Promise<void>;
}

/**
 * The one connection every change goes through, one transaction at a time (the caller serializes). It
 * holds the session's stage table, so it is long-lived; when it breaks (server restart, terminated
 * backend) it is dropped and the next change opens a new one. It also remembers when a change last
 * failed, for readiness.
 */
export class WriteConnection {
  readonly #options: WriteConnectionOptions;
  #client: pg.Client | undefined;
  /** The stage table exists in the current session. */
  #prepared = false;
  #lastFailureAt: number | undefined;

  constructor(options: WriteConnectionOptions) {
    this.#options = options;
  }

  /** True while a failed change is recent and no later one has succeeded. */
  failedRecently(): boolean {
    const at = this.#lastFailureAt;
    return at !== undefined && Date.now() - at < WRITE_FAILURE_NOT_READY_MS;
  }

  /** The connection as it is, for start-up work (migrations, loading the catalog) before any change. */
  async session(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client({ ...this.#options.config, application_name: 'sensorhub-writer' });
    // A broken connection emits 'error' (also when idle); without a listener it would crash the process.
    client.on('error', (err) => {
      this.#options.logger.warn({ err: errorMessage(err) }, 'PostgreSQL write connection lost');
      this.#drop(client);
    });
    this.#client = client;
    this.#prepared = false;
    try {
      await client.connect();
    } catch (err) {
      this.#drop(client);
      throw err;
    }
    return client;
  }

  /**
   * One transaction. On failure it is rolled back (a connection that cannot even roll back is dropped) and
   * STO_WRITE_FAILED is thrown. FieldTypeRace passes through: it asks for a retry, it is not a failure.
   */
  async transaction<T>(what: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.#ready(what);
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await this.#options.beforeCommit?.();
      await client.query('COMMIT');
      this.#lastFailureAt = undefined;
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => this.#drop(client));
      if (err instanceof FieldTypeRace) throw err;
      throw this.#failure(what, err);
    }
  }

  /** Statements outside a transaction (lookups, partition DDL), with the same failure handling. */
  async run<T>(what: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.#ready(what);
    try {
      return await body(client);
    } catch (err) {
      throw this.#failure(what, err);
    }
  }

  /** Marks a failure decided outside (a write that kept losing races). */
  failed(): void {
    this.#lastFailureAt = Date.now();
  }

  async end(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #ready(what: string): Promise<pg.Client> {
    try {
      const client = await this.session();
      if (this.#prepared) return client;
      await client.query(STAGE_DDL);
      // The merge function runs as its owner and reads this session's stage table: let it.
      const owner = await client.query<{ owner: string; me: string }>(
        `SELECT pg_get_userbyid(p.proowner) AS owner, current_user AS me
         FROM pg_proc p WHERE p.oid = to_regprocedure($1)`,
        [this.#options.mergeFunction],
      );
      const row = owner.rows[0];
      if (row !== undefined && row.owner !== row.me) {
        await client.query(`GRANT SELECT ON pg_temp.${STAGE_TABLE} TO ${pg.escapeIdentifier(row.owner)}`);
      }
      this.#prepared = true;
      return client;
    } catch (err) {
      if (this.#client !== undefined) this.#drop(this.#client);
      throw this.#failure(`${what} (preparing the write connection)`, err);
    }
  }

  #failure(what: string, err: unknown): AppError {
    this.#lastFailureAt = Date.now();
    if (err instanceof AppError) return err;
    return new AppError('STO_WRITE_FAILED', `${what} failed: ${describePgError(err)}`, { cause: err });
  }

  #drop(client: pg.Client): void {
    if (this.#client === client) {
      this.#client = undefined;
      this.#prepared = false;
    }
    client.end().catch(() => undefined);
  }
}

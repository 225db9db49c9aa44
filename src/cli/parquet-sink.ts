import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  MAP,
  mapValue,
  timestampValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { FieldValue } from '../core/point.js';

/**
 * The Parquet layout of `sensorhub export --format parquet`: one row per field value, so that a
 * measurement's fields of different types stay typed. Exactly one value column is set per row.
 */
const TABLE_DDL = `CREATE TABLE points (
  measurement VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL,
  tags MAP(VARCHAR, VARCHAR) NOT NULL,
  field VARCHAR NOT NULL,
  value_float DOUBLE,
  value_boolean BOOLEAN,
  value_string VARCHAR
)`;

/** Given explicitly: an empty map (a series without tags) has no entries to infer it from. */
const TAG_MAP = MAP(VARCHAR, VARCHAR);

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Collects exported points in a DuckDB database file beside the output (not in memory: an export of any
 * range stays within DuckDB's memory limit, spilling to that file), then writes the Parquet file with one
 * COPY at the end and removes the scratch database.
 */
export class ParquetSink {
  #rows = 0;

  private constructor(
    private readonly out: string,
    private readonly scratch: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly appender: DuckDBAppender,
  ) {}

  static async open(out: string): Promise<ParquetSink> {
    const file = resolve(out);
    const scratch = await mkdtemp(join(dirname(file), '.sensorhub-export-'));
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(join(scratch, 'export.duckdb'), {
        memory_limit: '256MB',
        threads: '1',
      });
      const conn = await instance.connect();
      await conn.run(TABLE_DDL);
      const appender = await conn.createAppender('points');
      return new ParquetSink(file, scratch, instance, conn, appender);
    } catch (err) {
      instance?.closeSync();
      await rm(scratch, { recursive: true, force: true });
      throw err;
    }
  }

  /** One row per field of the point. */
  add(
    measurement: string,
    tags: Readonly<Record<string, string>>,
    time: number,
    fields: Record<string, FieldValue>,
  ): void {
    const a = this.appender;
    const tagMap = mapValue(
      Object.keys(tags)
        .filter((k) => tags[k] !== '')
        .sort()
        .map((k) => ({ key: k, value: tags[k] as string })),
    );
    for (const [field, value] of Object.entries(fields)) {
      a.appendVarchar(measurement);
      a.appendTimestamp(timestampValue(BigInt(time)));
      a.appendMap(tagMap, TAG_MAP);
      a.appendVarchar(field);
      if (typeof value === 'number') a.appendDouble(value);
      else a.appendNull();
      if (typeof value === 'boolean') a.appendBoolean(value);
      else a.appendNull();
      if (typeof value === 'string') a.appendVarchar(value);
      else a.appendNull();
      a.endRow();
      this.#rows++;
    }
  }

  /** Hands the appended rows to DuckDB (which may spill them to its file): call once per read window. */
  flush(): void {
    this.appender.flushSync();
  }

  /** Writes the Parquet file (zstd-compressed); returns the number of rows. */
  async finish(): Promise<number> {
    try {
      this.appender.closeSync();
      await this.conn.run(
        `COPY (SELECT * FROM points) TO ${sqlString(this.out)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      return this.#rows;
    } finally {
      await this.#dispose();
    }
  }

  /** Gives up: removes the scratch database, writes nothing. */
  async abort(): Promise<void> {
    await this.#dispose();
  }

  async #dispose(): Promise<void> {
    try {
      try {
        this.appender.closeSync();
      } catch {
        // Already closed by finish(), or failed with the error being reported.
      }
      this.conn.closeSync();
      this.instance.closeSync();
    } finally {
      await rm(this.scratch, { recursive: true, force: true });
    }
  }
}

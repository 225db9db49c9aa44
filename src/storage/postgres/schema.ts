import { escapeIdentifier, escapeLiteral } from 'pg';

/**
 * The PostgreSQL layout, as migration steps (migrations.ts applies them). Everything lives in one schema
 * (default `sensorhub`), so that grants are per schema and several stores can share a database.
 *
 * - `field_types`: one type per (database, measurement, field), as in InfluxDB; the first write fixes it.
 * - `series`: one row per (database, measurement, tag set, field) with its field's type; `tags` is jsonb,
 *   unique through md5(tags::text) so that large tag sets do not hit the btree row size limit.
 * - `samples`: narrow, one row per field value: (series_id, time) is the primary key, which is also the
 *   index every query uses (one series, a time range); one value column per type, the others NULL.
 *   Partitioned by month on `time` (native), or a TimescaleDB hypertable with compression.
 * - `dead_letters`: ids from an identity column (never reused), payload_bytes generated from the payload.
 * - `meta`: the server's key/value state. `readings`: samples joined with their series, for Grafana.
 *
 * Writes never touch `samples` directly: they COPY into a session temp table (`sample_stage`) and call
 * `merge_staged_samples()`, a SECURITY DEFINER function. An insert-only role can then add and replace
 * points (the merge) without SELECT, UPDATE or DELETE on `samples` (see roles.ts).
 */

export type Partitioning = 'native' | 'timescaledb';

/** Quoted names of the objects in one schema. */
export interface SchemaNames {
  readonly schema: string;
  readonly schemaVersion: string;
  readonly fieldTypes: string;
  readonly series: string;
  readonly samples: string;
  readonly deadLetters: string;
  readonly meta: string;
  readonly readings: string;
  readonly mergeStagedSamples: string;
  readonly ensurePartitions: string;
  readonly storeCounts: string;
  readonly seriesLastTimes: string;
  readonly rollups: string;
  readonly rollupLevels: string;
  readonly rollupDirty: string;
}

/** Lower-case SQL identifiers only: they appear in object names, advisory lock keys and log lines. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function schemaNames(schema: string): SchemaNames {
  const s = escapeIdentifier(schema);
  return {
    schema: s,
    schemaVersion: `${s}.schema_version`,
    fieldTypes: `${s}.field_types`,
    series: `${s}.series`,
    samples: `${s}.samples`,
    deadLetters: `${s}.dead_letters`,
    meta: `${s}.meta`,
    readings: `${s}.readings`,
    mergeStagedSamples: `${s}.merge_staged_samples`,
    ensurePartitions: `${s}.ensure_sample_partitions`,
    storeCounts: `${s}.store_counts`,
    seriesLastTimes: `${s}.series_last_times`,
    rollups: `${s}.rollups`,
    rollupLevels: `${s}.rollup_levels`,
    rollupDirty: `${s}.rollup_dirty`,
  };
}

/** The session temp table writes COPY into; ON COMMIT DELETE ROWS empties it after every transaction. */
export const STAGE_TABLE = 'sample_stage';
export const STAGE_DDL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (
  series_id integer NOT NULL,
  time timestamptz NOT NULL,
  value_float float8,
  value_bool boolean,
  value_text text,
  candidate boolean NOT NULL
) ON COMMIT DELETE ROWS`;

/** search_path of every SECURITY DEFINER function: nothing a caller can put objects into before pg_temp. */
const DEFINER = 'SECURITY DEFINER SET search_path = pg_catalog, pg_temp';

/** Version 1: the whole layout. */
export function layoutV1(schema: string, partitioning: Partitioning): string[] {
  const n = schemaNames(schema);
  return [
    `CREATE TABLE ${n.fieldTypes} (
      database text NOT NULL,
      measurement text NOT NULL,
      field text NOT NULL,
      type text NOT NULL CHECK (type IN ('float', 'boolean', 'string')),
      PRIMARY KEY (database, measurement, field)
    )`,
    `CREATE TABLE ${n.series} (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      database text NOT NULL,
      measurement text NOT NULL,
      tags jsonb NOT NULL,
      field text NOT NULL,
      type text NOT NULL,
      FOREIGN KEY (database, measurement, field) REFERENCES ${n.fieldTypes}
    )`,
    `CREATE UNIQUE INDEX series_identity ON ${n.series} (database, measurement, field, md5(tags::text))`,
    ...samplesDdl(schema, partitioning),
    `CREATE TABLE ${n.deadLetters} (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      time timestamptz NOT NULL,
      source text NOT NULL,
      client_id text NOT NULL,
      topic text NOT NULL,
      payload bytea NOT NULL,
      payload_size integer NOT NULL,
      rule text NOT NULL,
      code text NOT NULL,
      message text NOT NULL,
      payload_bytes integer GENERATED ALWAYS AS (octet_length(payload)) STORED
    )`,
    `CREATE INDEX dead_letters_time ON ${n.deadLetters} (time)`,
    `CREATE TABLE ${n.meta} (key text PRIMARY KEY, value text NOT NULL)`,
    `CREATE VIEW ${n.readings} AS
      SELECT sa.time, se.database, se.measurement, se.tags, se.field, se.type,
        sa.value_float AS value, sa.value_bool, sa.value_text
      FROM ${n.samples} sa JOIN ${n.series} se ON se.id = sa.series_id`,
    ...functionsDdl(schema, partitioning),
  ];
}

function samplesDdl(schema: string, partitioning: Partitioning): string[] {
  const n = schemaNames(schema);
  const columns = `(
    series_id integer NOT NULL,
    time timestamptz NOT NULL,
    value_float float8,
    value_bool boolean,
    value_text text,
    PRIMARY KEY (series_id, time)
  )`;
  if (partitioning === 'native') return [`CREATE TABLE ${n.samples} ${columns} PARTITION BY RANGE (time)`];
  const table = escapeLiteral(`${n.samples}`);
  return [
    `CREATE TABLE ${n.samples} ${columns}`,
    `SELECT create_hypertable(${table}::regclass, 'time', chunk_time_interval => interval '7 days')`,
    `ALTER TABLE ${n.samples} SET (timescaledb.compress, timescaledb.compress_segmentby = 'series_id',
      timescaledb.compress_orderby = 'time')`,
    `SELECT add_compression_policy(${table}::regclass, interval '30 days')`,
  ];
}

/** Same-point semantics: a staged value replaces the stored one of its (series, time); others are kept. */
function mergeSql(n: SchemaNames, rows: string): string {
  return `INSERT INTO ${n.samples} AS t (series_id, time, value_float, value_bool, value_text)
    SELECT series_id, time, value_float, value_bool, value_text FROM pg_temp.${STAGE_TABLE}
    WHERE ${rows} ORDER BY series_id, time
    ON CONFLICT (series_id, time) DO UPDATE
      SET value_float = excluded.value_float, value_bool = excluded.value_bool, value_text = excluded.value_text
      WHERE (t.value_float, t.value_bool, t.value_text)
        IS DISTINCT FROM (excluded.value_float, excluded.value_bool, excluded.value_text)`;
}

/**
 * Rows at or before their series' last known time ("candidates") may replace a stored sample: they
 * are counted first (which keeps stats().samples exact), then merged. The nested loop probes the
 * primary key per candidate (a hash join would read all of samples). Unchanged values are not
 * rewritten, so a re-delivered batch leaves no dead tuples. The other rows, nearly all of them in a
 * telemetry stream, are plain inserts, a third cheaper than the merge; should another writer have
 * stored one of them meanwhile, the unique violation undoes just that insert and they are merged too.
 * `after` runs at the end, in the same transaction (rollup-schema.ts marks late writes there).
 */
export function mergeFunctionDdl(
  n: SchemaNames,
  create: 'CREATE' | 'CREATE OR REPLACE',
  after: string,
): string {
  return `${create} FUNCTION ${n.mergeStagedSamples}(candidates bigint, OUT replaced bigint)
      LANGUAGE plpgsql ${DEFINER} SET enable_hashjoin = off SET enable_mergejoin = off AS $fn$
      BEGIN
        replaced := 0;
        IF candidates > 0 THEN
          SELECT count(*) INTO replaced FROM pg_temp.${STAGE_TABLE} s
            JOIN ${n.samples} t ON t.series_id = s.series_id AND t.time = s.time
            WHERE s.candidate;
          ${mergeSql(n, 'candidate')};
        END IF;
        BEGIN
          INSERT INTO ${n.samples} (series_id, time, value_float, value_bool, value_text)
            SELECT series_id, time, value_float, value_bool, value_text FROM pg_temp.${STAGE_TABLE}
            WHERE NOT candidate ORDER BY series_id, time;
        EXCEPTION WHEN unique_violation THEN
          replaced := replaced + (SELECT count(*) FROM pg_temp.${STAGE_TABLE} s
            JOIN ${n.samples} t ON t.series_id = s.series_id AND t.time = s.time
            WHERE NOT s.candidate);
          ${mergeSql(n, 'NOT candidate')};
        END;${after}
      END $fn$`;
}

function functionsDdl(schema: string, partitioning: Partitioning): string[] {
  const n = schemaNames(schema);
  const ensureBody =
    partitioning === 'timescaledb'
      ? 'BEGIN RETURN 0; END' // TimescaleDB creates chunks itself.
      : `DECLARE
          m timestamptz;
          lo timestamptz;
          part text;
          created integer := 0;
        BEGIN
          FOREACH m IN ARRAY months LOOP
            lo := date_trunc('month', m);
            part := 'samples_' || to_char(lo, 'YYYY"m"MM');
            CONTINUE WHEN to_regclass(format('%I.%I', ${escapeLiteral(schema)}, part)) IS NOT NULL;
            -- Two writers may want the same month: one creates it, the other finds it after the lock. A
            -- table lock (the one ATTACH takes anyway) rather than an advisory one: acquiring it also
            -- refreshes the catalog this function then looks the partition up in.
            EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', ${escapeLiteral(n.samples)});
            CONTINUE WHEN to_regclass(format('%I.%I', ${escapeLiteral(schema)}, part)) IS NOT NULL;
            -- CREATE … PARTITION OF would take an ACCESS EXCLUSIVE lock on samples, blocking every reader;
            -- ATTACH of an empty table takes SHARE UPDATE EXCLUSIVE, which readers and writers pass.
            EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS)', ${escapeLiteral(schema)}, part,
              ${escapeLiteral(n.samples)});
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
              ${escapeLiteral(n.samples)}, ${escapeLiteral(schema)}, part, lo, lo + interval '1 month');
            created := created + 1;
          END LOOP;
          RETURN created;
        END`;
  return [
    mergeFunctionDdl(n, 'CREATE', ''),
    `CREATE FUNCTION ${n.ensurePartitions}(months timestamptz[]) RETURNS integer
      LANGUAGE plpgsql ${DEFINER} SET timezone = 'UTC' AS $fn$ ${ensureBody} $fn$`,
    `CREATE FUNCTION ${n.storeCounts}(OUT series bigint, OUT samples bigint, OUT dead_letters bigint)
      LANGUAGE sql STABLE ${DEFINER} AS $fn$
        SELECT (SELECT count(*) FROM ${n.series}), (SELECT count(*) FROM ${n.samples}),
          (SELECT count(*) FROM ${n.deadLetters})
      $fn$`,
    // NULL ids: every series. The max per series walks the primary key backwards, newest partition first.
    `CREATE FUNCTION ${n.seriesLastTimes}(ids integer[])
      RETURNS TABLE (series_id integer, last_time float8)
      LANGUAGE sql STABLE ${DEFINER} AS $fn$
        SELECT s.id,
          (extract(epoch FROM (SELECT max(t.time) FROM ${n.samples} t WHERE t.series_id = s.id)) * 1000000)::float8
        FROM ${n.series} s
        WHERE ids IS NULL OR s.id = ANY (ids)
      $fn$`,
    // Functions are executable by PUBLIC by default; roles.ts grants them to whom needs them.
    `REVOKE ALL ON FUNCTION ${n.mergeStagedSamples}(bigint), ${n.ensurePartitions}(timestamptz[]),
      ${n.storeCounts}(), ${n.seriesLastTimes}(integer[]) FROM PUBLIC`,
  ];
}

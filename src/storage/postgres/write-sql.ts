import type pg from 'pg';
import type { FieldType, FieldValue } from '../../core/point.js';
import { fieldTypeIdentity } from '../semantics.js';
import type { SeriesCache } from './catalog.js';
import { BinaryCopyWriter } from './copy-binary.js';
import { copyIn } from './copy-in.js';
import { STAGE_TABLE, schemaNames } from './schema.js';
import type { FieldKey, NewFieldType, NewSeries, WritePlan } from './write-plan.js';

/**
 * The statements of one write, run in order on the write connection: types, then series (inside the
 * transaction), COPY into the stage table, then the merge. Arrays travel as parameters (one statement per
 * step, whatever the batch size); values travel by binary COPY.
 */

/** Thrown inside the write transaction when another process fixed a field type first: plan again. */
export class FieldTypeRace extends Error {
  readonly keys: FieldKey[];
  constructor(keys: FieldKey[]) {
    super(`another writer fixed the type of ${keys.length} field(s) first`);
    this.keys = keys;
  }
}

/** Looks types up; found ones go into the cache, missing ones into `absent` (free for this batch to fix). */
export async function learnFieldTypes(
  client: pg.ClientBase,
  schema: string,
  keys: readonly FieldKey[],
  cache: SeriesCache,
  absent: Set<string>,
): Promise<void> {
  const found = await client.query<[number, FieldType]>({
    text: `SELECT i.n::integer, ft.type
      FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(database, measurement, field, n)
      JOIN ${schemaNames(schema).fieldTypes} ft
        ON ft.database = i.database AND ft.measurement = i.measurement AND ft.field = i.field`,
    values: columnsOf(keys),
    rowMode: 'array',
  });
  const known = new Set<number>();
  for (const [n, type] of found.rows) {
    const k = keys[n - 1] as FieldKey;
    cache.setFieldType(k.database, k.measurement, k.field, type);
    absent.delete(fieldTypeIdentity(k.database, k.measurement, k.field));
    known.add(n - 1);
  }
  keys.forEach((k, i) => {
    if (!known.has(i)) absent.add(fieldTypeIdentity(k.database, k.measurement, k.field));
  });
}

/** Inserts the types this batch fixes; throws FieldTypeRace when another writer inserted one meanwhile. */
export async function insertFieldTypes(
  client: pg.ClientBase,
  schema: string,
  types: readonly NewFieldType[],
): Promise<void> {
  const inserted = await client.query<[string, string, string]>({
    text: `INSERT INTO ${schemaNames(schema).fieldTypes} (database, measurement, field, type)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
      ON CONFLICT DO NOTHING
      RETURNING database, measurement, field`,
    values: [...columnsOf(types), types.map((t) => t.type)],
    rowMode: 'array',
  });
  if (inserted.rows.length === types.length) return;
  const mine = new Set(inserted.rows.map(([d, m, f]) => fieldTypeIdentity(d, m, f)));
  throw new FieldTypeRace(
    types.filter((t) => !mine.has(fieldTypeIdentity(t.database, t.measurement, t.field))),
  );
}

export interface ResolvedSeries {
  /** Id of newSeries[k]. */
  readonly ids: number[];
  /** Ids this transaction inserted (the others existed: another process made them). */
  readonly inserted: Set<number>;
  /** Last stored times of the series that existed, for the candidate check. */
  readonly lastTimes: Map<number, number>;
}

/**
 * Inserts the series the cache does not have, then reads every id back. The read is a second statement on
 * purpose: ON CONFLICT DO NOTHING waits for a concurrent insert of the same series to commit, and only a
 * new statement's snapshot sees that row.
 */
export async function resolveSeries(
  client: pg.ClientBase,
  schema: string,
  series: readonly NewSeries[],
): Promise<ResolvedSeries> {
  const n = schemaNames(schema);
  const columns = [
    series.map((s) => s.database),
    series.map((s) => s.measurement),
    series.map((s) => s.tagsJson),
    series.map((s) => s.field),
  ];
  const inserted = await client.query<[number]>({
    text: `INSERT INTO ${n.series} (database, measurement, tags, field, type)
      SELECT database, measurement, tags::jsonb, field, type
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
        AS i(database, measurement, tags, field, type)
      ON CONFLICT (database, measurement, field, md5(tags::text)) DO NOTHING
      RETURNING id`,
    values: [...columns, series.map((s) => s.type)],
    rowMode: 'array',
  });
  const found = await client.query<[number, number]>({
    text: `SELECT i.n::integer, s.id
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
        AS i(database, measurement, tags, field, n)
      JOIN ${n.series} s ON s.database = i.database AND s.measurement = i.measurement AND s.field = i.field
        AND md5(s.tags::text) = md5(i.tags::jsonb::text) AND s.tags = i.tags::jsonb`,
    values: columns,
    rowMode: 'array',
  });
  const ids = new Array<number>(series.length).fill(0);
  for (const [k, id] of found.rows) ids[k - 1] = id;
  const missing = ids.indexOf(0);
  if (missing >= 0) {
    const s = series[missing] as NewSeries;
    // Only an md5 collision between two different tag sets gets here.
    throw new Error(`series ${s.measurement} ${s.tagsJson} field ${s.field} could not be created or found`);
  }
  const mine = new Set(inserted.rows.map(([id]) => id));
  const existing = ids.filter((id) => !mine.has(id));
  const lastTimes = new Map<number, number>();
  if (existing.length > 0) {
    const last = await client.query<[number, number | null]>({
      text: `SELECT series_id, last_time FROM ${n.seriesLastTimes}($1::integer[])`,
      values: [existing],
      rowMode: 'array',
    });
    for (const [id, time] of last.rows) if (time !== null) lastTimes.set(id, time);
  }
  return { ids, inserted: mine, lastTimes };
}

export interface StagedRows {
  /** COPY data for the stage table. */
  readonly chunks: Buffer[];
  /** Rows that may replace a stored sample (at or before their series' last stored time). */
  readonly candidates: number;
  /** Series id → greatest time of the batch. */
  readonly batchMax: Map<number, number>;
}

/** Encodes the plan's rows with their final series ids. */
export function stageRows(
  plan: WritePlan,
  resolved: ResolvedSeries | undefined,
  cache: SeriesCache,
): StagedRows {
  const copy = new BinaryCopyWriter();
  const batchMax = new Map<number, number>();
  const { sid, time, value } = plan;
  let candidates = 0;
  for (let i = 0; i < sid.length; i++) {
    const planned = sid[i] as number;
    const t = time[i] as number;
    let id: number;
    let last: number;
    if (planned > 0) {
      id = planned;
      last = cache.lastTime(id);
    } else {
      id = (resolved as ResolvedSeries).ids[-planned - 1] as number;
      last = (resolved as ResolvedSeries).lastTimes.get(id) ?? Number.NEGATIVE_INFINITY;
    }
    const candidate = t <= last;
    if (candidate) candidates++;
    const max = batchMax.get(id);
    if (max === undefined || t > max) batchMax.set(id, t);
    copy.row(6);
    copy.int4(id);
    copy.timestamp(t);
    writeValue(copy, value[i] as FieldValue);
    copy.bool(candidate);
  }
  return { chunks: copy.finish(), candidates, batchMax };
}

/** value_float, value_bool, value_text: the one of its type, the others NULL. */
function writeValue(copy: BinaryCopyWriter, v: FieldValue): void {
  switch (typeof v) {
    case 'number':
      copy.float8(v);
      copy.null();
      copy.null();
      return;
    case 'boolean':
      copy.null();
      copy.bool(v);
      copy.null();
      return;
    default:
      copy.null();
      copy.null();
      copy.text(v);
  }
}

/** COPY into the stage table, then the merge; returns how many stored samples the batch replaced. */
export async function mergeRows(client: pg.ClientBase, schema: string, staged: StagedRows): Promise<number> {
  await copyIn(
    client,
    `COPY pg_temp.${STAGE_TABLE} (series_id, time, value_float, value_bool, value_text, candidate)
      FROM STDIN (FORMAT binary)`,
    staged.chunks,
  );
  const merged = await client.query<{ replaced: string }>(
    `SELECT replaced FROM ${schemaNames(schema).mergeStagedSamples}($1::bigint)`,
    [staged.candidates],
  );
  return Number(merged.rows[0]?.replaced ?? 0);
}

function columnsOf(keys: readonly FieldKey[]): string[][] {
  return [keys.map((k) => k.database), keys.map((k) => k.measurement), keys.map((k) => k.field)];
}

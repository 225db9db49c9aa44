import type pg from 'pg';
import type { FieldType } from '../../core/point.js';
import { seriesIdentity } from '../semantics.js';
import { SeriesCache } from './catalog.js';
import { schemaNames } from './schema.js';

export interface StoredState {
  readonly cache: SeriesCache;
  readonly series: number;
  readonly samples: number;
  readonly deadLetters: number;
}

/**
 * What a store reads once at start: field types, the series catalog and each series' last time (into the
 * cache), and the counts stats() goes on from. Only through tables and functions the ingest and reader
 * roles may use (roles.ts): counts and last times come from SECURITY DEFINER functions, never from
 * reading samples.
 */
export async function loadState(client: pg.ClientBase, schema: string): Promise<StoredState> {
  const n = schemaNames(schema);
  const cache = new SeriesCache();
  const types = await client.query<[string, string, string, FieldType]>({
    text: `SELECT database, measurement, field, type FROM ${n.fieldTypes}`,
    rowMode: 'array',
  });
  for (const [d, m, f, t] of types.rows) cache.setFieldType(d, m, f, t);
  const series = await client.query<[number, string, string, Record<string, string>, string, FieldType]>({
    text: `SELECT id, database, measurement, tags, field, type FROM ${n.series}`,
    rowMode: 'array',
  });
  for (const [id, d, m, tags, f, type] of series.rows) {
    cache.addSeries(seriesIdentity(d, m, tags), f, { id, type });
  }
  const last = await client.query<[number, number | null]>({
    text: `SELECT series_id, last_time FROM ${n.seriesLastTimes}(NULL)`,
    rowMode: 'array',
  });
  for (const [id, time] of last.rows) if (time !== null) cache.raiseLastTime(id, time);
  const counts = await client.query<{ series: string; samples: string; dead_letters: string }>(
    `SELECT series, samples, dead_letters FROM ${n.storeCounts}()`,
  );
  const c = counts.rows[0];
  return {
    cache,
    series: Number(c?.series ?? 0),
    samples: Number(c?.samples ?? 0),
    deadLetters: Number(c?.dead_letters ?? 0),
  };
}

import type { FieldType } from '../../core/point.js';
import type { SeriesInfo, TimeSeriesStore } from '../../storage/store.js';
import type { Source } from './ast.js';
import { queryError, regexOf } from './evaluate.js';

/** A measurement a SELECT reads: its series, and the fields and tag keys they have. */
export interface Measurement {
  readonly database: string;
  readonly name: string;
  readonly series: readonly SeriesInfo[];
  readonly fields: ReadonlyMap<string, FieldType>;
  readonly tagKeys: readonly string[];
}

/** The measurements a SELECT's sources name (a regex names every matching one), per database. */
export async function resolveSources(
  sources: readonly Source[],
  ctx: { readonly store: TimeSeriesStore; readonly database: string | undefined },
): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const source of sources) {
    const database = source.database || ctx.database;
    if (!database) throw queryError('database name required');
    const all = await ctx.store.listSeries({ database });
    const names =
      source.kind === 'regex'
        ? [...new Set(all.map((s) => s.measurement))].filter((n) => regexOf(source.source).test(n)).sort()
        : [source.name];
    for (const name of names) out.push(measurementOf(all, database, name));
  }
  return out;
}

/**
 * A measurement's series, fields and tag keys, remembered per series list: a store hands out the same list
 * while its catalog is unchanged (WorkerStore), so a dashboard's repeated queries skip the walk over every
 * series of the database. Read-only for its users.
 */
const measurementCache = new WeakMap<readonly SeriesInfo[], Map<string, Measurement>>();

function measurementOf(all: readonly SeriesInfo[], database: string, name: string): Measurement {
  let byName = measurementCache.get(all);
  if (byName === undefined) {
    byName = new Map();
    measurementCache.set(all, byName);
  }
  const key = `${database}\u0000${name}`;
  const hit = byName.get(key);
  if (hit !== undefined) return hit;
  const series = all.filter((s) => s.measurement === name);
  const fields = new Map<string, FieldType>();
  const tagKeys = new Set<string>();
  for (const s of series) {
    for (const [f, t] of Object.entries(s.fields)) fields.set(f, t);
    for (const k of Object.keys(s.tags)) tagKeys.add(k);
  }
  const m: Measurement = { database, name, series, fields, tagKeys: [...tagKeys].sort() };
  byName.set(key, m);
  return m;
}

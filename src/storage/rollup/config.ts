import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import type { RollupLevel } from '../store.js';

/**
 * `storage.rollups`: the rollup levels, e.g. `[{ interval: 1m, keep: 90d }, { interval: 1h, keep: 5y }]`
 * (the default); `[]` keeps none. Durations as everywhere in the config, plus `y` (365 days) for `keep`.
 * Output in µs, as the stores take them.
 */

const YEAR_MS = 365 * 86_400_000;

function micros(what: string) {
  return z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return Math.round(v * 1000);
    const years = /^\s*(\d+(?:\.\d+)?)y\s*$/.exec(v);
    const ms = years ? Number(years[1]) * YEAR_MS : parseDuration(v);
    if (ms === undefined || !(ms > 0)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a ${what} (e.g. 1m, 1h, 90d, 5y)` });
      return z.NEVER;
    }
    return Math.round(ms * 1000);
  });
}

const level = z
  .object({ interval: micros('duration'), keep: micros('duration') })
  .strict()
  .refine((l) => l.interval >= 1_000_000 && l.interval % 1_000_000 === 0, {
    message: 'a rollup interval is a whole number of seconds, at least 1s',
  })
  .refine((l) => l.keep >= l.interval, { message: 'keep must be at least the interval' });

export const rollupsSchema = z
  .array(level)
  .default([
    { interval: 60_000_000, keep: 90 * 86_400_000_000 },
    { interval: 3_600_000_000, keep: 5 * 365 * 86_400_000_000 },
  ])
  .refine((levels) => new Set(levels.map((l) => l.interval)).size === levels.length, {
    message: 'two rollup levels have the same interval',
  })
  .transform((levels): RollupLevel[] => levels);

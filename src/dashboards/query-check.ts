import { errorMessage } from '../core/errors.js';
import { parseInfluxQL } from '../query/influxql/parser.js';
import type { Dashboard } from './model.js';

/**
 * Finds queries of a dashboard that cannot run: InfluxQL that does not parse once its macros are replaced,
 * and `$variables` the dashboard does not define. A dashboard with such a query still loads (the panel
 * shows the error); this is for warnings and for tests that keep example dashboards from rotting.
 */

/** Grafana-style macros every query may use, with stand-ins that parse. */
const MACROS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\$timeFilter\b/g, 'time >= now() - 1h'],
  [/\$__interval\b/g, '10s'],
];

/** Variable references: `$name`, but not the `$tag_…`/`$field` legend patterns (aliases are not checked). */
const VARIABLE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Replaces the macros and every defined variable by a sample value; names undefined ones in `unknown`. */
export function expandForCheck(
  text: string,
  variables: ReadonlyMap<string, string>,
): { text: string; unknown: string[] } {
  let out = text;
  for (const [re, value] of MACROS) out = out.replace(re, value);
  const unknown: string[] = [];
  out = out.replace(VARIABLE, (m, name: string) => {
    const value = variables.get(name);
    if (value !== undefined) return value;
    unknown.push(m);
    return m;
  });
  return { text: out, unknown };
}

/** Every problem as `panels.<i> "<title>": queries.<j>: message` (or `variables.<i>: …`). */
export function queryProblems(dashboard: Dashboard): string[] {
  const samples = new Map(
    dashboard.variables.map((v) => [v.name, v.current ?? v.values?.[0] ?? 'sample'] as const),
  );
  const problems: string[] = [];
  const check = (where: string, text: string) => {
    const { text: expanded, unknown } = expandForCheck(text, samples);
    for (const name of unknown) problems.push(`${where}: ${name} is not a variable of this dashboard`);
    if (unknown.length > 0) return;
    try {
      parseInfluxQL(expanded);
    } catch (err) {
      problems.push(`${where}: ${errorMessage(err)}`);
    }
  };
  dashboard.variables.forEach((v, i) => {
    if (v.query !== undefined) check(`variables.${i} "${v.name}": query`, v.query);
  });
  dashboard.panels.forEach((panel, i) => {
    const where = `panels.${i} "${panel.title}"`;
    panel.queries.forEach((q, j) => {
      if (q.influxql !== undefined) {
        check(`${where}: queries.${j}`, q.influxql);
        return;
      }
      for (const [key, value] of Object.entries(q.tags ?? {})) {
        const { unknown } = expandForCheck(value, samples);
        for (const name of unknown) {
          problems.push(`${where}: queries.${j}.tags.${key}: ${name} is not a variable of this dashboard`);
        }
      }
    });
  });
  return problems;
}

import type { Dashboard, Panel, PanelQuery } from '../../../src/dashboards/model';
import { type InfluxSeries, influxql } from '../api';
import { builderQuery, panelQueryText, type QueryContext, queryIntervalMs } from '../influxql';
import { autoIntervalMs, type ResolvedRange } from '../time';
import { type Cell, LIVE_AGGREGATES, type PanelData, toFrames } from './data';

/** What live mode needs to continue a builder query from raw points. */
export interface LivePlan {
  readonly queryIndex: number;
  readonly query: PanelQuery;
  readonly aggregate: string;
  readonly intervalMs: number;
  /** Raw points of the bucket in progress, per frame key, to seed the live buckets. */
  readonly seed: Map<string, { times: number[]; values: Cell[] }>;
}

export interface LoadedPanel {
  readonly data: PanelData;
  readonly plans: LivePlan[];
}

/** The panel's width in px, for its automatic interval (the grid is 24 columns wide). */
export function panelWidthPx(panel: Panel): number {
  const width = Math.min(window.innerWidth, 2400);
  return window.innerWidth <= 768 ? width : (width * panel.gridPos.w) / 24;
}

/** Can live mode keep this query current from raw points? Builder queries with simple aggregates can. */
export function liveCapable(q: PanelQuery): boolean {
  return q.influxql === undefined && LIVE_AGGREGATES.has(q.aggregate ?? 'mean');
}

/**
 * Loads one panel: all its queries in one request (several statements). In live mode each live-capable
 * aggregated query also loads the raw points of its bucket in progress, so live points continue it exactly.
 */
export async function loadPanel(
  dash: Dashboard,
  panel: Panel,
  range: ResolvedRange,
  vars: QueryContext['vars'],
  live: boolean,
  signal: AbortSignal,
): Promise<LoadedPanel> {
  const auto = autoIntervalMs(range, panelWidthPx(panel));
  const statements: string[] = [];
  const plans: Array<{ qi: number; stmt: number; tail?: number; intervalMs: number }> = [];
  const db = panel.queries.find((q) => q.database)?.database ?? dash.database;
  panel.queries.forEach((q, qi) => {
    const intervalMs = queryIntervalMs(q, auto);
    const ctx: QueryContext = { range, intervalMs, vars };
    const stmt = statements.push(panelQueryText(q, ctx)) - 1;
    const aggregate = q.aggregate ?? 'mean';
    if (live && liveCapable(q) && aggregate !== 'raw') {
      const start = Math.floor(range.to / intervalMs) * intervalMs;
      const tail = statements.push(builderQuery(q, ctx, { from: start, to: range.to + 60_000 }, 'raw')) - 1;
      plans.push({ qi, stmt, tail, intervalMs });
    } else if (live && liveCapable(q)) {
      plans.push({ qi, stmt, intervalMs });
    }
  });
  if (statements.length === 0) return { data: { frames: [], series: [], errors: [] }, plans: [] };
  const results = await influxql(statements.join(';\n'), db, signal);
  const byStatement = (i: number) => results.find((r) => r.statement_id === i);
  const data: PanelData = { frames: [], series: [], errors: [] };
  const multi = panel.queries.length > 1;
  panel.queries.forEach((q, qi) => {
    const plan = plans.find((p) => p.qi === qi);
    const r = byStatement(plan?.stmt ?? statementIndexOf(plans, qi));
    data.errors.push(r?.error ?? '');
    const series = r?.series ?? [];
    data.series.push(...series);
    data.frames.push(...toFrames(qi, q, series, multi));
  });
  const livePlans: LivePlan[] = plans.map((p) => {
    const q = panel.queries[p.qi] as PanelQuery;
    const seed = new Map<string, { times: number[]; values: Cell[] }>();
    if (p.tail !== undefined) {
      const tail = byStatement(p.tail)?.series ?? [];
      for (const f of toFrames(p.qi, q, tail as InfluxSeries[], multi))
        seed.set(f.key, { times: f.times, values: f.values });
    }
    return { queryIndex: p.qi, query: q, aggregate: q.aggregate ?? 'mean', intervalMs: p.intervalMs, seed };
  });
  return { data, plans: livePlans };
}

/** Statement index of a query without a live plan: statements are numbered in push order. */
function statementIndexOf(plans: ReadonlyArray<{ qi: number; tail?: number }>, qi: number): number {
  // Every query before qi pushed one statement, plus one more for each of their tails.
  let index = qi;
  for (const p of plans) if (p.qi < qi && p.tail !== undefined) index++;
  return index;
}

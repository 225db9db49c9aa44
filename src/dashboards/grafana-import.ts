import { panelOptionsOf } from './grafana-options.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  convertTarget,
  type Json,
  normaliseMacros,
} from './grafana-query.js';
import type { DashboardInput, PanelQuery, PanelType, Variable } from './model.js';

/**
 * Grafana dashboard JSON → a sensorhub dashboard. Panels that have a sensorhub counterpart keep their grid
 * position, queries, unit, decimals, min/max, thresholds and value mappings; everything else (panel types,
 * Flux, transformations, overrides, annotations, links, …) is named in `unsupported`, never dropped
 * silently. Cosmetic options (colour schemes, legends, tooltips) are not carried over and not listed.
 * Pure: no I/O. The result still goes through `parseDashboard`.
 */

type PanelInput = NonNullable<DashboardInput['panels']>[number];

export interface GrafanaImportResult {
  readonly dashboard: DashboardInput;
  /** Everything that was not carried over, each naming the panel, query or variable. */
  readonly unsupported: string[];
}

export interface GrafanaImportOptions {
  /** The database the panels' queries read: Grafana keeps it in the data source, not in the dashboard. */
  readonly database?: string;
}

/**
 * The Grafana dashboard in a document, or undefined when it is not one: a `{dashboard: {...}}` wrapper
 * (Grafana's HTTP API), `schemaVersion`, `__inputs` (export for sharing), `templating`, old `rows`, or
 * panels with `targets`, `fieldConfig`, `datasource` or numeric ids (sensorhub panels have `queries` and
 * string ids).
 */
export function grafanaDashboardOf(doc: unknown): Json | undefined {
  const o = asObject(doc);
  if (!o) return undefined;
  const inner = asObject(o.dashboard);
  if (inner && o.uid === undefined && o.panels === undefined && o.title === undefined) {
    return grafanaDashboardOf(inner) ?? inner;
  }
  if (typeof o.schemaVersion === 'number' || '__inputs' in o || '__requires' in o) return o;
  if (asObject(o.templating) || Array.isArray(o.rows)) return o;
  const looksGrafana = asArray(o.panels).some((p) => {
    const q = asObject(p);
    return (
      q !== undefined &&
      (Array.isArray(q.targets) ||
        q.fieldConfig !== undefined ||
        q.datasource !== undefined ||
        q.type === 'row' ||
        typeof q.id === 'number')
    );
  });
  return looksGrafana ? o : undefined;
}

const PANEL_TYPES: Readonly<Record<string, PanelType>> = {
  timeseries: 'timeseries',
  graph: 'timeseries',
  stat: 'stat',
  singlestat: 'stat',
  gauge: 'gauge',
  bargauge: 'bar',
  table: 'table',
  'table-old': 'table',
  'state-timeline': 'state-timeline',
  'status-history': 'state-timeline',
};

/** A panel's short name in notes: its title, else its id. */
function panelName(p: Json, fallback: string): string {
  const title = asString(p.title);
  return `panel "${title && title.trim() !== '' ? title : `#${fallback}`}"`;
}

class Importer {
  readonly unsupported: string[] = [];
  readonly #ids = new Set<string>();

  constructor(private readonly opts: GrafanaImportOptions) {}

  note(where: string, message: string): void {
    this.unsupported.push(`${where}: ${message}`);
  }

  dashboard(g: Json): DashboardInput {
    const title = (asString(g.title) ?? '').trim() || 'Imported dashboard';
    const time = asObject(g.time);
    const refresh = asString(g.refresh);
    this.annotationsAndLinks(g);
    const panels = this.panels(g);
    const tags = asArray(g.tags).filter((t): t is string => typeof t === 'string');
    const description = asString(g.description);
    return {
      uid: uidOf(g, title),
      title: title.slice(0, 200),
      ...(description ? { description: description.slice(0, 2000) } : {}),
      ...(tags.length > 0 ? { tags } : {}),
      ...(this.opts.database === undefined ? {} : { database: this.opts.database }),
      time: {
        from: asString(time?.from) || 'now-1h',
        to: asString(time?.to) || 'now',
      },
      refresh: refresh && refresh !== '' ? refresh : 'off',
      variables: this.variables(g),
      panels: panels.slice(0, 100),
    };
  }

  annotationsAndLinks(g: Json): void {
    for (const a of asArray(asObject(g.annotations)?.list)) {
      const o = asObject(a);
      // Grafana adds its built-in "Annotations & Alerts" to every dashboard: not something the author made.
      if (!o || o.builtIn === 1) continue;
      this.note('dashboard', `annotation "${asString(o.name) ?? '?'}" is not supported; left out`);
    }
    const links = asArray(g.links).length;
    if (links > 0) this.note('dashboard', `${links} dashboard link(s) are not supported; left out`);
  }

  /** Top-level panels, panels inside rows (collapsed rows keep theirs nested), and pre-5.0 `rows`. */
  panels(g: Json): PanelInput[] {
    const out: PanelInput[] = [];
    const flat: Json[] = [];
    for (const p of asArray(g.panels)) {
      const o = asObject(p);
      if (!o) continue;
      if (o.type === 'row') {
        const nested = asArray(o.panels).flatMap((x) => {
          const q = asObject(x);
          return q ? [q] : [];
        });
        const where = `row "${asString(o.title) ?? ''}"`;
        if (nested.length > 0) {
          this.note(
            where,
            `rows are not supported; its ${nested.length} collapsed panel(s) are shown expanded`,
          );
        } else {
          this.note(where, 'rows are not supported; the row header is left out (its panels are kept)');
        }
        flat.push(...nested);
      } else flat.push(o);
    }
    if (flat.length === 0 && Array.isArray(g.rows)) {
      flat.push(...this.legacyRows(asArray(g.rows)));
    }
    flat.forEach((p, i) => {
      const panel = this.panel(p, i);
      if (panel) out.push(panel);
    });
    if (out.length > 100)
      this.note('dashboard', `${out.length - 100} panel(s) beyond the 100th are left out`);
    return out;
  }

  /** Grafana < 5 laid panels out in rows of 12 `span`s; they get grid positions in the same order. */
  legacyRows(rows: unknown[]): Json[] {
    this.note('dashboard', 'uses the pre-5.0 rows layout; panels were laid out again in the same order');
    const out: Json[] = [];
    let y = 0;
    for (const r of rows) {
      const row = asObject(r);
      if (!row) continue;
      const px = asNumber(String(row.height ?? '').replace(/px$/, '')) ?? 250;
      const h = Math.max(1, Math.min(100, Math.round(px / 30)));
      let x = 0;
      for (const p of asArray(row.panels)) {
        const o = asObject(p);
        if (!o) continue;
        const w = Math.max(1, Math.min(24, Math.round((asNumber(o.span) ?? 12) * 2)));
        if (x + w > 24) {
          x = 0;
          y += h;
        }
        out.push({ ...o, gridPos: { x, y, w, h } });
        x += w;
      }
      y += h;
    }
    return out;
  }

  panelId(p: Json, index: number): string {
    const base = p.id === undefined || p.id === null ? `panel-${index + 1}` : String(p.id).slice(0, 90);
    let id = base;
    for (let n = 2; this.#ids.has(id); n++) id = `${base}-${n}`;
    this.#ids.add(id);
    return id;
  }

  panel(p: Json, index: number): PanelInput | undefined {
    const gType = asString(p.type) ?? '';
    const where = panelName(p, String(p.id ?? index + 1));
    if (p.libraryPanel !== undefined && p.targets === undefined) {
      this.note(
        where,
        'library panels are not supported (the dashboard JSON holds only a reference); left out',
      );
      return undefined;
    }
    let type = PANEL_TYPES[gType];
    if (type === undefined) {
      this.note(where, `panel type "${gType || '(none)'}" is not supported; left out`);
      return undefined;
    }
    if (gType === 'status-history') this.note(where, 'status history is shown as a state timeline');
    if (gType === 'singlestat' && asObject(p.gauge)?.show === true) type = 'gauge';

    const options = panelOptionsOf(p, gType, (message) => this.note(where, message));
    const queries = this.queries(p, where);
    this.panelExtras(p, where);
    const description = asString(p.description);
    return {
      id: this.panelId(p, index),
      type,
      title: (asString(p.title) ?? '').slice(0, 200),
      ...(description ? { description: description.slice(0, 2000) } : {}),
      gridPos: gridPosOf(p.gridPos, index),
      queries,
      options,
    };
  }

  queries(p: Json, where: string): PanelQuery[] {
    const out: PanelQuery[] = [];
    const panelDs = asObject(p.datasource);
    asArray(p.targets).forEach((t, i) => {
      const target = asObject(t);
      if (!target) return;
      const refId = asString(target.refId) ?? String.fromCharCode(65 + (i % 26));
      // A target without its own data source uses the panel's.
      const withDs = target.datasource === undefined && panelDs ? { ...target, datasource: panelDs } : target;
      const { query, notes } = convertTarget(withDs, this.opts.database);
      for (const n of notes) this.note(`${where}: query ${refId}`, n);
      if (query && out.length < 20) out.push(query);
      else if (query) this.note(`${where}: query ${refId}`, 'more than 20 queries in a panel; left out');
    });
    return out;
  }

  panelExtras(p: Json, where: string): void {
    const transformations = asArray(p.transformations).flatMap((t) => asString(asObject(t)?.id) ?? []);
    if (transformations.length > 0) {
      this.note(where, `transformations are not supported (${transformations.join(', ')}); left out`);
    }
    const overrides = asArray(asObject(p.fieldConfig)?.overrides).flatMap((o) => {
      const ov = asObject(o);
      const matcher = asObject(ov?.matcher);
      const props = asArray(ov?.properties).flatMap((x) => asString(asObject(x)?.id) ?? []);
      return ov
        ? [`${asString(matcher?.id) ?? '?'} "${String(matcher?.options ?? '')}": ${props.join(', ')}`]
        : [];
    });
    if (overrides.length > 0) {
      this.note(where, `field overrides are not supported (${overrides.join('; ')}); left out`);
    }
    if (asArray(p.seriesOverrides).length > 0)
      this.note(where, 'series overrides are not supported; left out');
    if (p.alert !== undefined)
      this.note(where, 'legacy panel alerts are not supported; use sensorhub alert rules');
    if (asArray(p.links).length > 0) this.note(where, 'panel links are not supported; left out');
    if (typeof p.repeat === 'string' && p.repeat !== '') {
      this.note(where, `repeating by $${p.repeat} is not supported; one panel is shown`);
    }
    for (const key of ['timeFrom', 'timeShift'] as const) {
      if (typeof p[key] === 'string' && p[key] !== '') {
        this.note(where, `${key} "${p[key] as string}" is not supported; the dashboard's time range is used`);
      }
    }
    if (typeof p.interval === 'string' && p.interval !== '') {
      this.note(where, `the minimum interval "${p.interval}" is not supported`);
    }
  }

  variables(g: Json): Variable[] {
    const out: Variable[] = [];
    for (const v of asArray(asObject(g.templating)?.list)) {
      const o = asObject(v);
      if (!o) continue;
      const name = asString(o.name) ?? '';
      const where = `variable "${name}"`;
      const type = asString(o.type) ?? 'query';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        this.note(where, 'the name is not letters, digits and _; left out');
        continue;
      }
      const label = asString(o.label);
      const current = currentOf(o.current);
      const base: Variable = {
        name,
        ...(label ? { label } : {}),
        ...(current !== undefined && current !== '$__all' ? { current } : {}),
        ...(o.includeAll === true ? { includeAll: true } : {}),
      };
      if (o.multi === true) this.note(where, 'multi-value selection is not supported; one value is selected');
      switch (type) {
        case 'query': {
          const q = asString(o.query) ?? asString(asObject(o.query)?.query) ?? '';
          if (q.trim() === '') {
            this.note(where, 'has no query; left out');
            continue;
          }
          if (/\|>|\bfrom\s*\(\s*bucket\s*:/.test(q) || /^\s*(label_values|metrics|query_result)\(/.test(q)) {
            this.note(where, 'only InfluxQL variable queries are supported; left out');
            continue;
          }
          const { text, notes } = normaliseMacros(q);
          for (const n of notes) this.note(where, n);
          if (asString(o.regex)) this.note(where, `the regex filter "${asString(o.regex)}" is not supported`);
          out.push({ ...base, query: text });
          break;
        }
        case 'custom':
        case 'interval': {
          if (type === 'interval' && o.auto === true) {
            this.note(where, 'the "auto" interval is not supported; the listed intervals are kept');
          }
          out.push({ ...base, values: customValues(o, type === 'interval') });
          break;
        }
        case 'constant':
        case 'textbox': {
          const value = asString(o.query) ?? current ?? '';
          if (type === 'textbox') {
            this.note(
              where,
              `free-text variables are not supported; it is fixed to "${value}" (edit the dashboard to change it)`,
            );
          }
          out.push({ ...base, values: [value], current: value });
          break;
        }
        case 'datasource':
          this.note(
            where,
            'data source variables are not needed (sensorhub is the only data source); left out',
          );
          break;
        default:
          this.note(where, `variables of type "${type}" are not supported; left out`);
      }
    }
    return out;
  }
}

/** A variable's selected value: a string, or the first of a multi-value selection. */
function currentOf(current: unknown): string | undefined {
  const v = asObject(current)?.value;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** A custom variable's values: its options when listed, else its comma-separated query (`a,b` or `x : a`). */
function customValues(o: Json, interval: boolean): string[] {
  // An interval variable's options hold Grafana's generated `$__auto_interval_…` choice; its query does not.
  const fromOptions = (interval ? [] : asArray(o.options)).flatMap((x) => {
    const v = asObject(x)?.value;
    return typeof v === 'string' && v !== '$__all' ? [v] : [];
  });
  const list =
    fromOptions.length > 0
      ? fromOptions
      : (asString(o.query) ?? '')
          .split(/(?<!\\),/)
          .map((s) => {
            const part = s.replace(/\\,/g, ',').trim();
            const kv = /^(.*?)\s+:\s+(.*)$/.exec(part);
            return kv ? (kv[2] as string).trim() : part;
          })
          .filter((s) => s !== '');
  return interval ? list.filter((v) => v !== 'auto') : list;
}

function uidOf(g: Json, title: string): string {
  const uid = asString(g.uid);
  if (uid && /^[A-Za-z0-9_-]{1,64}$/.test(uid)) return uid;
  const slug = (uid ?? title)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return slug || 'imported';
}

/** Grafana's grid is sensorhub's; positions are clamped to 24 columns, missing ones stacked. */
function gridPosOf(v: unknown, index: number): { x: number; y: number; w: number; h: number } {
  const o = asObject(v);
  const int = (n: unknown, def: number) => {
    const x = asNumber(n);
    return x === undefined ? def : Math.round(x);
  };
  const w = Math.max(1, Math.min(24, int(o?.w, 12)));
  const h = Math.max(1, Math.min(100, int(o?.h, 8)));
  const x = Math.max(0, Math.min(24 - w, int(o?.x, 0)));
  const y = Math.max(0, int(o?.y, index * 8));
  return { x, y, w, h };
}

/** Converts a Grafana dashboard (or a `{dashboard: …}` wrapper) to a sensorhub dashboard document. */
export function importGrafanaDashboard(doc: unknown, opts: GrafanaImportOptions = {}): GrafanaImportResult {
  const g = grafanaDashboardOf(doc) ?? asObject(doc) ?? {};
  const importer = new Importer(opts);
  const dashboard = importer.dashboard(g);
  return { dashboard, unsupported: importer.unsupported };
}

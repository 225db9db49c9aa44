import { grafanaDashboardOf, importGrafanaDashboard } from './grafana-import.js';
import { type Dashboard, parseDashboard } from './model.js';

/**
 * What a provisioning file or an API body holds: a sensorhub dashboard (possibly one exported with GET,
 * carrying `source`, `version`, `updatedAt`), or a Grafana dashboard JSON, converted on the way in.
 */
export type DocumentResult =
  | {
      readonly ok: true;
      readonly dashboard: Dashboard;
      readonly format: 'sensorhub' | 'grafana';
      /** What a Grafana import could not carry over; empty for sensorhub documents. */
      readonly unsupported: string[];
    }
  | { readonly ok: false; readonly errors: string[]; readonly unsupported: string[] };

/** Fields of a StoredDashboard that the server owns: an exported dashboard can be imported as it is. */
const SERVER_FIELDS = ['source', 'path', 'version', 'updatedAt'] as const;

export function withoutServerFields(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  const copy: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  for (const key of SERVER_FIELDS) delete copy[key];
  return copy;
}

export interface ReadOptions {
  /** Default database for a Grafana dashboard's queries (Grafana keeps it in the data source). */
  readonly database?: string | undefined;
  /** Replaces the document's uid (saving a copy under a new uid). */
  readonly uid?: string | undefined;
}

/** Detects the format, converts a Grafana dashboard, and validates; every problem as `path: message`. */
export function readDashboardDocument(doc: unknown, opts: ReadOptions = {}): DocumentResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: ['(document): expected a JSON object (a dashboard)'], unsupported: [] };
  }
  const grafana = grafanaDashboardOf(doc);
  let input: unknown;
  let unsupported: string[] = [];
  if (grafana !== undefined) {
    const imported = importGrafanaDashboard(
      grafana,
      opts.database === undefined ? {} : { database: opts.database },
    );
    input = imported.dashboard;
    unsupported = imported.unsupported;
  } else {
    input = withoutServerFields(doc);
  }
  if (opts.uid !== undefined) input = { ...(input as Record<string, unknown>), uid: opts.uid };
  const parsed = parseDashboard(input);
  if (!parsed.ok) return { ok: false, errors: parsed.errors, unsupported };
  return {
    ok: true,
    dashboard: parsed.value,
    format: grafana === undefined ? 'sensorhub' : 'grafana',
    unsupported,
  };
}

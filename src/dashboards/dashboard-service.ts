import { AppError } from '../core/errors.js';
import type { DashboardStore } from './dashboard-store.js';
import { type ReadOptions, readDashboardDocument, withoutServerFields } from './document.js';
import type { Dashboard, StoredDashboard } from './model.js';
import type { DashboardProvisioner, ProvisioningStatus } from './provisioning.js';

/** One line of the dashboard list. */
export interface DashboardSummary {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly source: 'file' | 'api';
  readonly path?: string;
  readonly version: number;
  readonly updatedAt: string;
  readonly panels: number;
}

/**
 * Provisioned and saved dashboards behind one interface. A uid provisioned from a file hides a saved
 * dashboard with the same uid (the file is the source of truth), and the API cannot change it.
 */
export class DashboardService {
  constructor(
    private readonly store: DashboardStore,
    private readonly provisioner: DashboardProvisioner,
  ) {}

  async list(): Promise<DashboardSummary[]> {
    const files = this.provisioner.list();
    const fileUids = new Set(files.map((d) => d.uid));
    const saved = (await this.store.list()).filter((d) => !fileUids.has(d.uid));
    return [...files, ...saved]
      .map(summaryOf)
      .sort((a, b) => a.title.localeCompare(b.title) || a.uid.localeCompare(b.uid));
  }

  provisioning(): ProvisioningStatus {
    return this.provisioner.status();
  }

  reloadProvisioned(): Promise<ProvisioningStatus> {
    return this.provisioner.reload();
  }

  async get(uid: string): Promise<StoredDashboard> {
    const found = this.provisioner.get(uid) ?? (await this.store.get(uid));
    if (found === undefined) throw notFound(uid);
    return found;
  }

  /** POST: a new dashboard; DASH_EXISTS when the uid is saved or provisioned. */
  async create(body: unknown): Promise<StoredDashboard> {
    const dashboard = parseBody(body);
    this.#refuseProvisioned(dashboard.uid, 'DASH_EXISTS');
    return this.store.create(dashboard);
  }

  /** PUT: saves over a saved dashboard; the body carries the `version` it was based on. */
  async save(uid: string, body: unknown): Promise<StoredDashboard> {
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const version = b.version;
    const errors: string[] = [];
    if (version === undefined) {
      errors.push('version: required: the version this edit is based on (GET returns it)');
    } else if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      errors.push('version: must be a whole number from 1');
    }
    if (b.uid !== undefined && b.uid !== uid)
      errors.push(`uid: "${String(b.uid)}" is not the URL's "${uid}"`);
    if (errors.length > 0) throw invalid(errors);
    const dashboard = parseBody({ ...b, uid });
    this.#refuseProvisioned(uid, 'DASH_PROVISIONED');
    return this.store.save(dashboard, version as number);
  }

  async delete(uid: string): Promise<void> {
    this.#refuseProvisioned(uid, 'DASH_PROVISIONED');
    if (!(await this.store.delete(uid))) throw notFound(uid);
  }

  /**
   * Import: a sensorhub dashboard (an exported one too) or a Grafana dashboard JSON. Without `overwrite`
   * an existing uid is DASH_EXISTS; with it, a saved dashboard is replaced (a provisioned one never is).
   */
  async import(
    body: unknown,
    opts: ReadOptions & { readonly overwrite: boolean },
  ): Promise<{ dashboard: StoredDashboard; unsupported: string[] }> {
    const read = readDashboardDocument(body, opts);
    if (!read.ok) throw invalid(read.errors, read.unsupported);
    const uid = read.dashboard.uid;
    this.#refuseProvisioned(uid, opts.overwrite ? 'DASH_PROVISIONED' : 'DASH_EXISTS');
    const dashboard = opts.overwrite
      ? await this.store.save(read.dashboard, undefined)
      : await this.store.create(read.dashboard);
    return { dashboard, unsupported: read.unsupported };
  }

  #refuseProvisioned(uid: string, code: 'DASH_EXISTS' | 'DASH_PROVISIONED'): void {
    const file = this.provisioner.get(uid);
    if (file === undefined) return;
    throw new AppError(
      code,
      `dashboard "${uid}" is provisioned from ${file.path ?? 'a file'} and read-only through the API: edit that file (it is reloaded when it changes), or save a copy under a new uid`,
      { details: { path: file.path } },
    );
  }
}

function summaryOf(d: StoredDashboard): DashboardSummary {
  return {
    uid: d.uid,
    title: d.title,
    tags: d.tags ?? [],
    source: d.source,
    ...(d.path === undefined ? {} : { path: d.path }),
    version: d.version,
    updatedAt: d.updatedAt,
    panels: d.panels.length,
  };
}

/** A sensorhub dashboard from an API body; StoredDashboard's own fields (version, source, …) are ignored. */
function parseBody(body: unknown): Dashboard {
  const read = readDashboardDocument(withoutServerFields(body));
  if (!read.ok) throw invalid(read.errors, read.unsupported);
  if (read.format === 'grafana') {
    throw invalid(['(document): this is a Grafana dashboard; import it with POST /api/v1/dashboards/import']);
  }
  return read.dashboard;
}

function invalid(errors: string[], unsupported: string[] = []): AppError {
  return new AppError('DASH_INVALID', `invalid dashboard:\n  ${errors.join('\n  ')}`, {
    details: { errors, ...(unsupported.length > 0 ? { unsupported } : {}) },
  });
}

function notFound(uid: string): AppError {
  return new AppError('DASH_NOT_FOUND', `no dashboard with uid "${uid}"; GET /api/v1/dashboards lists them`);
}

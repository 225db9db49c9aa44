import { AppError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TimeSeriesStore } from '../storage/store.js';
import { type Dashboard, parseDashboard, type StoredDashboard } from './model.js';

/** The meta-table operations dashboards need: any TimeSeriesStore (DuckDB, PostgreSQL, memory). */
export type MetaStore = Pick<TimeSeriesStore, 'getMeta' | 'setMeta' | 'deleteMeta' | 'listMeta'>;

const KEY = 'dashboard:';

interface SavedRecord {
  readonly dashboard: Dashboard;
  readonly version: number;
  readonly updatedAt: string;
}

/**
 * Dashboards saved through the API, one meta key each (`dashboard:<uid>`), with a version for optimistic
 * concurrency: a save names the version it was based on and is refused when another save came first.
 *
 * Read-check-write runs on one queue, so two saves in this process cannot both pass the check. Several
 * processes sharing one PostgreSQL database are not serialised against each other (the meta table has no
 * compare-and-set).
 */
export class DashboardStore {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly meta: MetaStore,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<StoredDashboard[]> {
    const out: StoredDashboard[] = [];
    for (const [key, value] of await this.meta.listMeta(KEY)) {
      const stored = this.#decode(key.slice(KEY.length), value);
      if (stored) out.push(stored);
    }
    return out;
  }

  async get(uid: string): Promise<StoredDashboard | undefined> {
    const value = await this.meta.getMeta(KEY + uid);
    return value === undefined ? undefined : this.#decode(uid, value);
  }

  /** Stores a new dashboard at version 1; DASH_EXISTS when the uid is taken. */
  create(dashboard: Dashboard): Promise<StoredDashboard> {
    return this.#serial(async () => {
      if ((await this.meta.getMeta(KEY + dashboard.uid)) !== undefined) {
        throw new AppError(
          'DASH_EXISTS',
          `a dashboard with uid "${dashboard.uid}" already exists; pick another uid, or save it with PUT /api/v1/dashboards/${dashboard.uid}`,
        );
      }
      return this.#write(dashboard, 1);
    });
  }

  /**
   * Saves over a stored dashboard. `basedOn` is the version the editor loaded; when the stored one is newer,
   * DASH_VERSION_CONFLICT and nothing changes. Without `basedOn` (an overwriting import) it always saves.
   */
  save(dashboard: Dashboard, basedOn: number | undefined): Promise<StoredDashboard> {
    return this.#serial(async () => {
      const current = await this.get(dashboard.uid);
      if (current === undefined) {
        if (basedOn === undefined) return this.#write(dashboard, 1);
        throw new AppError(
          'DASH_NOT_FOUND',
          `no dashboard with uid "${dashboard.uid}" (it may have been deleted); create it with POST /api/v1/dashboards`,
        );
      }
      if (basedOn !== undefined && basedOn !== current.version) {
        throw new AppError(
          'DASH_VERSION_CONFLICT',
          `dashboard "${dashboard.uid}" was saved by someone else since version ${basedOn} was loaded (it is at version ${current.version}, ${current.updatedAt}): load it again, reapply the changes and save with version ${current.version}`,
          { details: { version: current.version, updatedAt: current.updatedAt } },
        );
      }
      return this.#write(dashboard, current.version + 1);
    });
  }

  /** True when it existed. */
  delete(uid: string): Promise<boolean> {
    return this.#serial(() => this.meta.deleteMeta(KEY + uid));
  }

  async #write(dashboard: Dashboard, version: number): Promise<StoredDashboard> {
    const record: SavedRecord = { dashboard, version, updatedAt: this.now().toISOString() };
    await this.meta.setMeta(KEY + dashboard.uid, JSON.stringify(record));
    return { ...dashboard, source: 'api', version, updatedAt: record.updatedAt };
  }

  /** A stored value that no longer parses (edited by hand, or an older model) is logged and skipped. */
  #decode(uid: string, value: string): StoredDashboard | undefined {
    try {
      const record = JSON.parse(value) as Partial<SavedRecord>;
      const parsed = parseDashboard(record.dashboard);
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      if (typeof record.version !== 'number' || typeof record.updatedAt !== 'string') {
        throw new Error('version or updatedAt is missing');
      }
      return { ...parsed.value, source: 'api', version: record.version, updatedAt: record.updatedAt };
    } catch (err) {
      this.logger.error(
        { uid },
        `stored dashboard "${uid}" is unreadable and left out: ${errorMessage(err)}`,
      );
      return undefined;
    }
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }
}

import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { readDashboardDocument } from './document.js';
import type { StoredDashboard } from './model.js';
import { queryProblems } from './query-check.js';

/**
 * Provisioned dashboards: every `*.yaml`, `*.yml` and `*.json` file directly in one folder, like Grafana's
 * file provisioning. A file holds one sensorhub dashboard or one Grafana dashboard JSON (converted on load).
 * A bad file is logged (`file: path: message`) and skipped; it never stops the server. The folder is
 * reloaded when it changes, on SIGHUP, and through the API. Provisioned dashboards are read-only through
 * the API: the file is the source of truth.
 */

const EXTENSIONS = /\.(ya?ml|json)$/i;
/** A dashboard file is a few kilobytes; a larger one is a mistake (a data dump in the wrong folder). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface ProvisioningStatus {
  /** The folder, or undefined when provisioning is off (no `dashboards.path` and no config file). */
  readonly path: string | undefined;
  readonly loadedAt: string;
  /** Files whose dashboard was loaded. */
  readonly files: readonly string[];
  readonly dashboards: number;
  /** Every problem of the last load, as `file: path: message`; those files were skipped. */
  readonly errors: readonly string[];
  /**
   * Loaded, but not all there: what Grafana files could not carry over, and queries that cannot run, as
   * `file: panel "…": …`.
   */
  readonly warnings: readonly string[];
}

export interface FolderContents {
  readonly dashboards: StoredDashboard[];
  readonly files: string[];
  readonly errors: string[];
  readonly warnings: string[];
}

/**
 * Where provisioned dashboards live: `dashboards.path` (a relative path is relative to the config file's
 * folder, else to the working directory), else `dashboards/` beside the config file, else nowhere.
 * `explicit` tells whether a missing folder is an error (configured) or just means none (the default).
 */
export function dashboardsFolderOf(
  config: { readonly configFile: string; readonly dashboards: { readonly path: string } },
  cwd: string = process.cwd(),
): { dir: string; explicit: boolean } | undefined {
  const base = config.configFile === '' ? cwd : dirname(resolve(cwd, config.configFile));
  if (config.dashboards.path !== '') return { dir: resolve(base, config.dashboards.path), explicit: true };
  if (config.configFile !== '') return { dir: join(base, 'dashboards'), explicit: false };
  return undefined;
}

async function parseFile(file: string): Promise<{ doc: unknown } | { error: string }> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MAX_FILE_BYTES) {
      return { error: `${file}: is ${info.size} bytes; a dashboard file may have at most ${MAX_FILE_BYTES}` };
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { error: `${file}: cannot read: ${errorMessage(err)}` };
  }
  if (text.trim() === '') return { error: `${file}: the file is empty` };
  try {
    // JSON.parse for .json: its messages give the position, and YAML would accept things JSON does not.
    return { doc: /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text) };
  } catch (err) {
    return { error: `${file}: ${errorMessage(err).split('\n')[0]}` };
  }
}

/** Reads every dashboard file in `dir` (not its subfolders), in name order: on a uid clash the first wins. */
export async function loadDashboardFolder(dir: string): Promise<FolderContents> {
  const out: FolderContents = { dashboards: [], files: [], errors: [], warnings: [] };
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && EXTENSIONS.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the folder does not exist' : errorMessage(err);
    out.errors.push(`${dir}: ${reason} (dashboards.path, env SENSORHUB_DASHBOARDS)`);
    return out;
  }
  const owners = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const parsed = await parseFile(file);
    if ('error' in parsed) {
      out.errors.push(parsed.error);
      continue;
    }
    const read = readDashboardDocument(parsed.doc);
    out.warnings.push(...read.unsupported.map((u) => `${file}: ${u}`));
    if (!read.ok) {
      out.errors.push(...read.errors.map((e) => `${file}: ${e}`));
      continue;
    }
    const uid = read.dashboard.uid;
    const owner = owners.get(uid);
    if (owner !== undefined) {
      out.errors.push(
        `${file}: uid: "${uid}" is already used by ${owner}, which wins; give this dashboard another uid`,
      );
      continue;
    }
    owners.set(uid, file);
    out.warnings.push(...queryProblems(read.dashboard).map((p) => `${file}: ${p}`));
    const mtime = await stat(file).then(
      (s) => s.mtime.toISOString(),
      () => new Date().toISOString(),
    );
    out.files.push(file);
    out.dashboards.push({ ...read.dashboard, source: 'file', path: file, version: 1, updatedAt: mtime });
  }
  return out;
}

export interface ProvisionerOptions {
  /** The folder and whether it was configured (see dashboardsFolderOf); undefined: provisioning off. */
  readonly folder: { readonly dir: string; readonly explicit: boolean } | undefined;
  readonly logger: Logger;
  /** Editors save in bursts (write, rename, touch): changes within this many ms cause one reload. */
  readonly debounceMs?: number;
}

export class DashboardProvisioner {
  #byUid = new Map<string, StoredDashboard>();
  #status: ProvisioningStatus;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #loading: Promise<unknown> = Promise.resolve();
  readonly #listeners: Array<() => void> = [];

  constructor(private readonly opts: ProvisionerOptions) {
    this.#status = {
      path: opts.folder?.dir,
      loadedAt: new Date().toISOString(),
      files: [],
      dashboards: 0,
      errors: [],
      warnings: [],
    };
  }

  /** Loads the folder and watches it. Never throws for bad files or a missing folder: they are logged. */
  async start(): Promise<void> {
    await this.reload();
    this.#watch();
  }

  stop(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  get(uid: string): StoredDashboard | undefined {
    return this.#byUid.get(uid);
  }

  list(): StoredDashboard[] {
    return [...this.#byUid.values()];
  }

  status(): ProvisioningStatus {
    return this.#status;
  }

  /** Called after every reload (e.g. so open dashboards in the browser can refresh). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Re-reads the folder; reloads run one at a time, the last one's result stays. */
  reload(): Promise<ProvisioningStatus> {
    const next = this.#loading.then(
      () => this.#load(),
      () => this.#load(),
    );
    this.#loading = next.catch(() => {});
    return next;
  }

  async #load(): Promise<ProvisioningStatus> {
    const folder = this.opts.folder;
    if (folder === undefined) return this.#status;
    const log = this.opts.logger;
    let contents: FolderContents;
    if (!folder.explicit && !(await isFolder(folder.dir))) {
      // The default folder beside the config file is optional.
      contents = { dashboards: [], files: [], errors: [], warnings: [] };
    } else {
      contents = await loadDashboardFolder(folder.dir);
    }
    this.#byUid = new Map(contents.dashboards.map((d) => [d.uid, d]));
    this.#status = {
      path: folder.dir,
      loadedAt: new Date().toISOString(),
      files: contents.files,
      dashboards: contents.dashboards.length,
      errors: contents.errors,
      warnings: contents.warnings,
    };
    for (const e of contents.errors) log.error(`dashboard not provisioned: ${e}`);
    for (const w of contents.warnings) log.warn(`dashboard provisioned with a problem: ${w}`);
    log.info({ path: folder.dir, dashboards: contents.dashboards.length }, 'dashboards provisioned');
    for (const listener of this.#listeners) listener();
    return this.#status;
  }

  #watch(): void {
    const folder = this.opts.folder;
    if (folder === undefined) return;
    try {
      const watcher = watch(folder.dir, () => {
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 250);
      });
      watcher.on('error', (err) => {
        this.opts.logger.warn({ err, path: folder.dir }, 'stopped watching the dashboards folder');
        watcher.close();
      });
      watcher.unref();
      this.#watcher = watcher;
    } catch (err) {
      // A missing default folder is normal; a missing configured one was already reported by the load.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.opts.logger.warn(
          { err, path: folder.dir },
          'cannot watch the dashboards folder; reload with SIGHUP',
        );
      }
    }
  }
}

async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

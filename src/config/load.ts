import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { AppError, errorMessage } from '../core/errors.js';
import { OPTIONS } from './options.js';
import { type Config, configSchema } from './schema.js';

export interface ConfigSources {
  /** YAML file path; `SENSORHUB_CONFIG` when not given. */
  readonly file?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Parsed CLI flags, keyed by flag name without dashes (e.g. `mqtt-port`). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Builds the frozen Config: defaults, then the YAML file, then env vars, then flags (each overriding the
 * previous). Every problem is reported at once as `path: message` in one CFG_INVALID error.
 */
export async function loadConfig(sources: ConfigSources): Promise<Config> {
  const tree: Tree = {};
  for (const opt of OPTIONS) setPath(tree, opt.key, opt.default);

  const file = sources.file ?? sources.env.SENSORHUB_CONFIG;
  if (file) {
    tree.configFile = file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new AppError('CFG_INVALID', `cannot read config file ${file}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new AppError('CFG_INVALID', `${file}: ${errorMessage(err)}`, { cause: err });
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new AppError('CFG_INVALID', `${file}: the top level must be a mapping`);
      }
      mergeInto(tree, doc as Tree);
    }
  }

  for (const opt of OPTIONS) {
    const fromEnv = opt.env ? sources.env[opt.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') setPath(tree, opt.key, fromEnv);
    const fromFlag = opt.flag ? sources.flags[opt.flag] : undefined;
    if (fromFlag !== undefined) setPath(tree, opt.key, fromFlag);
  }

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.') || '(root)';
      const opt = OPTIONS.find((o) => o.key === path);
      const where = opt?.env ? ` (env ${opt.env}${opt.flag ? `, flag --${opt.flag}` : ''})` : '';
      return `${path}${where}: ${issue.message}`;
    });
    throw new AppError('CFG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`, {
      details: { errors: lines },
    });
  }
  return deepFreeze(result.data);
}

function mergeInto(target: Tree, source: Tree): void {
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k];
    if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof existing === 'object' &&
      existing !== null &&
      !Array.isArray(existing)
    ) {
      mergeInto(existing as Tree, v as Tree);
    } else {
      target[k] = v;
    }
  }
}

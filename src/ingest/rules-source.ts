import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Config, type RuleConfig, ruleSchema } from '../config/schema.js';
import { AppError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { compileRule, RuleSet } from './rules.js';

export interface RulesSourceOptions {
  /** The main config file ('' for none): its `ingest.rules` and `ingest.defaultRules` are re-read on reload. */
  readonly configFile: string;
  /** A rules-only YAML file ('' for none): a list of rules, or a mapping with `rules:`. */
  readonly rulesFile: string;
  /** The rules the server started with (from the config file, already validated). */
  readonly initialRules: readonly RuleConfig[];
  readonly defaultRules: boolean;
  /** Names of the configured forwarding outputs (ingest.outputs) a rule's `forward` may refer to. */
  readonly outputs?: readonly string[];
  readonly logger: Logger;
}

export interface RulesStatus {
  readonly loadedAt: string;
  readonly files: readonly string[];
  readonly rules: number;
  /** The last reload's problems, each `file: path: message`; empty when it succeeded. */
  readonly errors: readonly string[];
}

const rulesList = z.array(ruleSchema);

/**
 * Where ingest rules come from, and their reload: rules-file rules first, then the config file's
 * `ingest.rules`, then the built-in defaults. A reload (file change, SIGHUP, or the API) validates
 * everything and swaps the whole rule set at once; if anything is wrong, the running rules stay and every
 * problem is reported as `file: path: message`.
 */
export class RulesSource {
  #current: RuleSet;
  #status: RulesStatus;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;
  readonly #listeners: Array<(rules: RuleSet) => void> = [];

  private constructor(
    private readonly opts: RulesSourceOptions,
    initial: RuleSet,
    count: number,
  ) {
    this.#current = initial;
    this.#status = { loadedAt: new Date().toISOString(), files: this.files(), rules: count, errors: [] };
  }

  /** Loads the initial rule set; throws CFG_INVALID listing every problem. */
  static async open(opts: RulesSourceOptions): Promise<RulesSource> {
    const { ruleSet, count, errors } = await load(opts, opts.initialRules);
    if (errors.length > 0 || !ruleSet) {
      throw new AppError('CFG_INVALID', `invalid configuration:\n  ${errors.join('\n  ')}`, {
        details: { errors },
      });
    }
    return new RulesSource(opts, ruleSet, count);
  }

  /** The rules a loaded configuration names: its rules file, its `ingest.rules`, its outputs. */
  static fromConfig(config: Config, logger: Logger): Promise<RulesSource> {
    return RulesSource.open({
      configFile: config.configFile,
      rulesFile: config.ingest.rulesFile,
      initialRules: config.ingest.rules,
      defaultRules: config.ingest.defaultRules,
      outputs: config.ingest.outputs.map((o) => o.name),
      logger,
    });
  }

  get rules(): RuleSet {
    return this.#current;
  }

  status(): RulesStatus {
    return this.#status;
  }

  files(): string[] {
    return [this.opts.rulesFile, this.opts.configFile].filter((f) => f !== '');
  }

  /** Called with the new rule set after every successful reload. */
  onChange(listener: (rules: RuleSet) => void): void {
    this.#listeners.push(listener);
  }

  async reload(): Promise<RulesStatus> {
    let inline: readonly RuleConfig[] = this.opts.initialRules;
    const errors: string[] = [];
    if (this.opts.configFile) {
      const fromConfig = await readConfigRules(this.opts.configFile);
      if (typeof fromConfig === 'string') errors.push(...fromConfig.split('\n  '));
      else inline = fromConfig;
    }
    const result =
      errors.length > 0 ? { ruleSet: undefined, count: 0, errors } : await load(this.opts, inline);
    if (result.errors.length > 0 || !result.ruleSet) {
      this.#status = { ...this.#status, errors: result.errors };
      this.opts.logger.error(
        { errors: result.errors },
        `rules not reloaded, the running rules stay:\n  ${result.errors.join('\n  ')}`,
      );
      return this.#status;
    }
    this.#current = result.ruleSet;
    this.#status = {
      loadedAt: new Date().toISOString(),
      files: this.files(),
      rules: result.count,
      errors: [],
    };
    this.opts.logger.info({ rules: result.count, files: this.files() }, 'ingest rules reloaded');
    for (const listener of this.#listeners) listener(result.ruleSet);
    return this.#status;
  }

  /** Reloads when a rules or config file changes (editors save in bursts: changes are debounced). */
  watch(): void {
    for (const file of this.files()) {
      try {
        // Watching the folder survives editors that replace the file (write new, rename over).
        const dir = dirname(resolve(file));
        const base = resolve(file).slice(dir.length + 1);
        const watcher = watch(dir, (_event, name) => {
          if (name !== null && name !== base) return;
          clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => void this.reload(), 250);
        });
        watcher.unref();
        this.#watchers.push(watcher);
      } catch (err) {
        this.opts.logger.warn({ err, file }, 'cannot watch the rules file; reload with SIGHUP or the API');
      }
    }
  }

  close(): void {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}

async function load(
  opts: RulesSourceOptions,
  inline: readonly RuleConfig[],
): Promise<{ ruleSet: RuleSet | undefined; count: number; errors: string[] }> {
  const errors: string[] = [];
  let fileRules: RuleConfig[] = [];
  if (opts.rulesFile) {
    const parsed = await readRulesFile(opts.rulesFile);
    if (typeof parsed === 'string') errors.push(...parsed.split('\n  '));
    else fileRules = parsed;
  }
  const all = [...fileRules, ...inline];
  const names = new Set<string>();
  all.forEach((rule, i) => {
    const where =
      i < fileRules.length ? `${opts.rulesFile}: rules.${i}` : `ingest.rules.${i - fileRules.length}`;
    if (names.has(rule.name)) errors.push(`${where}.name: rule name "${rule.name}" is used twice`);
    names.add(rule.name);
    (rule.forward ?? []).forEach((output, j) => {
      if (!(opts.outputs ?? []).includes(output)) {
        const known = opts.outputs?.length ? `one of ${opts.outputs.join(', ')}` : 'none is configured';
        errors.push(`${where}.forward.${j}: no output named "${output}" in ingest.outputs (${known})`);
      }
    });
    const base = i < fileRules.length ? dirname(resolve(opts.rulesFile)) : configDir(opts.configFile);
    try {
      compileRule(rule, base);
    } catch (err) {
      errors.push(`${where}: ${errorMessage(err)}`);
    }
  });
  if (errors.length > 0) return { ruleSet: undefined, count: 0, errors };
  const ruleSet = new RuleSet([
    ...fileRules.map((r) => compileRule(r, dirname(resolve(opts.rulesFile)))),
    ...RuleSet.compile(inline, opts.defaultRules, configDir(opts.configFile)).rules,
  ]);
  return { ruleSet, count: all.length, errors };
}

function configDir(configFile: string): string {
  return configFile ? dirname(resolve(configFile)) : process.cwd();
}

/** A rules file's rules, or every problem in it as one string of `file: path: message` lines. */
export async function readRulesFile(file: string): Promise<RuleConfig[] | string> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    return `${file}: ${errorMessage(err)}`;
  }
  if (doc === undefined || doc === null) return [];
  const isMapping = typeof doc === 'object' && !Array.isArray(doc);
  if (isMapping && !Object.hasOwn(doc, 'rules'))
    return `${file}: expected a list of rules, or a mapping with a "rules" list`;
  const list = isMapping ? (doc as Record<string, unknown>).rules : doc;
  if (list === null) return [];
  const parsed = rulesList.safeParse(list);
  if (!parsed.success) {
    return parsed.error.issues
      .map((issue) => `${file}: rules.${issue.path.join('.')}: ${issue.message}`)
      .join('\n  ');
  }
  return parsed.data;
}

async function readConfigRules(file: string): Promise<RuleConfig[] | string> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    return `${file}: ${errorMessage(err)}`;
  }
  const ingest = (doc as { ingest?: { rules?: unknown } } | null)?.ingest;
  const parsed = rulesList.safeParse(ingest?.rules ?? []);
  if (!parsed.success) {
    return parsed.error.issues
      .map((issue) => `${file}: ingest.rules.${issue.path.join('.')}: ${issue.message}`)
      .join('\n  ');
  }
  return parsed.data;
}

import type { RuleConfig } from '../../config/schema.js';
import type { FieldValue } from '../../core/point.js';
import { DecodeError, excerpt, type Reading } from '../decoders/decoder.js';
import { fieldsOfDocument } from '../decoders/json.js';
import type { StringTemplate, TemplateVars } from '../topic-template.js';
import { compileStringTemplate } from '../topic-template.js';
import { coerceField, describe, type FieldTypeName, parseTimestamp, type TimeFormat } from './coerce.js';
import { compileJsonPath, isPayloadPath, type JsonPath } from './json-path.js';

/** A payload path, or a template of topic variables and constants. */
type Source = { readonly path: JsonPath } | { readonly template: StringTemplate };

interface FieldMapping {
  readonly name: string;
  readonly source: Source;
  readonly type: FieldTypeName | undefined;
  readonly optional: boolean;
}

/**
 * Turns one decoded payload document (a JSON value, or a plain value) into readings, as a rule's mapping
 * says: an optional array of readings, explicit fields (paths, types) or every member flattened (with
 * include/exclude/rename), tags and measurement from payload paths, and a payload timestamp.
 * Topic-template parts of measurement and tags stay with the ingestor; only payload paths are resolved here.
 */
export class ReadingMapper {
  readonly #readings: JsonPath | undefined;
  readonly #fields: FieldMapping[] | undefined;
  readonly #include: RegExp | undefined;
  readonly #exclude: RegExp | undefined;
  readonly #rename: Readonly<Record<string, string>>;
  readonly #measurement: JsonPath | undefined;
  readonly #tags: Array<readonly [string, JsonPath]>;
  readonly #time: { readonly path: JsonPath; readonly format: TimeFormat } | undefined;

  constructor(rule: RuleConfig, names: readonly string[]) {
    this.#readings = rule.readings === undefined ? undefined : compileJsonPath(rule.readings);
    this.#fields =
      rule.fields &&
      Object.entries(rule.fields).map(([name, spec]) => {
        const s = typeof spec === 'string' ? { value: spec, optional: false } : spec;
        return {
          name,
          source: sourceOf(s.value, names),
          type: 'type' in s ? s.type : undefined,
          optional: s.optional,
        };
      });
    this.#include = rule.include && globsToRegExp(rule.include);
    this.#exclude = rule.exclude && globsToRegExp(rule.exclude);
    this.#rename = rule.rename ?? {};
    this.#measurement =
      rule.measurement !== undefined && isPayloadPath(rule.measurement)
        ? compileJsonPath(rule.measurement)
        : undefined;
    this.#tags = Object.entries(rule.tags)
      .filter(([, expr]) => isPayloadPath(expr))
      .map(([key, expr]) => [key, compileJsonPath(expr)] as const);
    if (rule.time !== undefined) {
      const t = typeof rule.time === 'string' ? { value: rule.time, format: 'auto' as const } : rule.time;
      if (!isPayloadPath(t.value))
        throw new Error(`time "${t.value}" must be a payload path like $.timestamp`);
      this.#time = { path: compileJsonPath(t.value), format: t.format };
    }
  }

  /** Whether a rule needs this mapper rather than the plain decoders. */
  static needed(rule: RuleConfig): boolean {
    return (
      rule.fields !== undefined ||
      rule.include !== undefined ||
      rule.exclude !== undefined ||
      rule.rename !== undefined ||
      rule.time !== undefined ||
      rule.readings !== undefined ||
      (rule.measurement !== undefined && isPayloadPath(rule.measurement)) ||
      Object.values(rule.tags).some(isPayloadPath)
    );
  }

  map(doc: unknown, vars: TemplateVars, valueField: string, payload: Buffer): Reading[] {
    if (this.#readings === undefined) return [this.#one(doc, vars, valueField, payload, '')];
    const list = this.#readings.get(doc);
    if (!Array.isArray(list)) {
      throw new DecodeError(
        'ING_MAPPING',
        `readings ${this.#readings.source} is ${describe(list)}, not an array, in ${excerpt(payload)}`,
      );
    }
    if (list.length === 0)
      throw new DecodeError('ING_NO_FIELDS', `readings ${this.#readings.source} is an empty array`);
    return list.map((item, i) =>
      this.#one(item, vars, valueField, payload, ` in reading ${i} of ${this.#readings?.source}`),
    );
  }

  #one(item: unknown, vars: TemplateVars, valueField: string, payload: Buffer, where: string): Reading {
    const fields = this.#fields
      ? this.#explicitFields(item, vars, where)
      : this.#allFields(item, valueField, payload);
    if (Object.keys(fields).length === 0)
      throw new DecodeError('ING_NO_FIELDS', `no field came out of ${excerpt(payload)}${where}`);

    let measurement: string | undefined;
    if (this.#measurement) {
      const v = this.#measurement.get(item);
      if (typeof v !== 'string' && typeof v !== 'number')
        throw new DecodeError(
          'ING_MAPPING',
          `measurement ${this.#measurement.source} is ${describe(v)}${where}; expected a string`,
        );
      measurement = String(v);
    }
    let tags: Record<string, string> | undefined;
    for (const [key, path] of this.#tags) {
      const v = path.get(item);
      // A missing tag is simply absent, as a tag with an empty value is in InfluxDB.
      if (v === undefined || v === null || v === '') continue;
      if (typeof v === 'object')
        throw new DecodeError(
          'ING_MAPPING',
          `tag ${key} (${path.source}) is ${describe(v)}${where}; tags are strings`,
        );
      tags ??= {};
      tags[key] = String(v);
    }
    let time: number | undefined;
    if (this.#time) {
      const t = parseTimestamp(this.#time.path.get(item), this.#time.format);
      if (typeof t === 'string')
        throw new DecodeError('ING_MAPPING', `time ${this.#time.path.source}${where}: ${t}`);
      time = t;
    }
    return {
      fields,
      ...(measurement === undefined ? {} : { measurement }),
      ...(tags === undefined ? {} : { tags }),
      ...(time === undefined ? {} : { time }),
    };
  }

  #explicitFields(item: unknown, vars: TemplateVars, where: string): Record<string, FieldValue> {
    const out: Record<string, FieldValue> = {};
    for (const f of this.#fields as FieldMapping[]) {
      const raw = 'path' in f.source ? f.source.path.get(item) : f.source.template.render(vars);
      if (raw === undefined || raw === null) {
        if (f.optional) continue;
        const src = 'path' in f.source ? f.source.path.source : 'its template';
        throw new DecodeError('ING_MAPPING', `field ${f.name}: ${src} is missing${where}`);
      }
      const v = coerceField(raw, f.type);
      if (typeof v === 'object') throw new DecodeError('ING_MAPPING', `field ${f.name}${where}: ${v.error}`);
      out[f.name] = v;
    }
    return out;
  }

  #allFields(item: unknown, valueField: string, payload: Buffer): Record<string, FieldValue> {
    const all = fieldsOfDocument(item, valueField, payload);
    if (!this.#include && !this.#exclude && Object.keys(this.#rename).length === 0) return all;
    const out: Record<string, FieldValue> = {};
    for (const [name, value] of Object.entries(all)) {
      if (this.#include && !this.#include.test(name)) continue;
      if (this.#exclude?.test(name)) continue;
      out[this.#rename[name] ?? name] = value;
    }
    return out;
  }
}

function sourceOf(expr: string, names: readonly string[]): Source {
  return isPayloadPath(expr)
    ? { path: compileJsonPath(expr) }
    : { template: compileStringTemplate(expr, names) };
}

/** `*` any run of characters, `?` one; the rest literal. One RegExp for a list of globs. */
export function globsToRegExp(globs: readonly string[]): RegExp {
  const parts = globs.map((g) =>
    g
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^(?:${parts.join('|')})$`);
}

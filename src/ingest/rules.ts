import type { RuleConfig } from '../config/schema.js';
import { looksLikeJson } from './decoders/auto.js';
import { DecodeError, type Reading } from './decoders/decoder.js';
import { DECODERS } from './decoders/index.js';
import { fieldsOfDocument, parseJsonPayload } from './decoders/json.js';
import { parseValuePayload } from './decoders/value.js';
import { isPayloadPath } from './mapping/json-path.js';
import { compilePayloadSchema } from './mapping/json-schema.js';
import { ReadingMapper } from './mapping/mapper.js';
import {
  compileStringTemplate,
  compileTopicTemplate,
  type StringTemplate,
  type TemplateVars,
  type TopicTemplate,
} from './topic-template.js';

export interface CompiledRule {
  readonly name: string;
  readonly config: RuleConfig;
  readonly topic: TopicTemplate;
  readonly database: StringTemplate | undefined;
  /** The measurement when it is a template; undefined when it comes from the payload. */
  readonly measurement: StringTemplate | undefined;
  /** Tags from topic templates; payload-path tags are resolved by `extract`. */
  readonly tags: ReadonlyArray<readonly [string, StringTemplate]>;
  readonly field: StringTemplate;
  readonly onError: RuleConfig['onError'];
  /** `binary`: the payload is kept as a blob, not decoded. */
  readonly binary: boolean;
  readonly forward: readonly string[];
  /** Undefined when the topic levels meet the rule's constraints, else why not. */
  checkTopic(vars: TemplateVars): string | undefined;
  /** Payload → readings; throws DecodeError (ING_*) for a payload this rule refuses. */
  extract(payload: Buffer, vars: TemplateVars): Reading[];
}

/**
 * The built-in rules, tried after the user's own. Seed 000: `sensors/<device>/<sensor>` with a plain value
 * is measurement <sensor>, tag device, field value. Seed 001: any other topic with a number (or a JSON
 * object) is measurement <last level> with a `topic` tag, like Telegraf's mqtt_consumer; a payload that is
 * neither is not telemetry (a command, a text status) and is carried by the broker without being stored.
 */
export const DEFAULT_RULES: readonly RuleConfig[] = [
  {
    name: 'default-sensors',
    topic: 'sensors/+device/+sensor',
    format: 'auto',
    measurement: '{sensor}',
    tags: { device: '{device}' },
    field: 'value',
    precision: 'ns',
    onError: 'reject',
  },
  {
    name: 'default-any',
    topic: '#',
    format: 'auto',
    measurement: '{-1}',
    tags: { topic: '{topic}' },
    field: 'value',
    precision: 'ns',
    onError: 'skip',
  },
];

/**
 * Compiles a rule; throws with a message naming the rule on a bad template, path, schema or constraint.
 * `baseDir` resolves a schema file path (the config file's folder).
 */
export function compileRule(rule: RuleConfig, baseDir = process.cwd()): CompiledRule {
  try {
    const topic = compileTopicTemplate(rule.topic);
    const names = topic.names;
    const decode = DECODERS[rule.format === 'binary' ? 'auto' : rule.format];
    const mapper = ReadingMapper.needed(rule) ? new ReadingMapper(rule, names) : undefined;
    if (rule.format === 'influx' && (mapper || rule.schema))
      throw new Error(
        'format influx takes no fields/time/readings/schema or payload paths: each line says it all',
      );
    if (rule.format === 'binary' && (mapper || rule.schema))
      throw new Error('format binary takes no fields/time/readings/schema or payload paths');
    const validate = rule.schema === undefined ? undefined : compilePayloadSchema(rule.schema, baseDir);
    const checkTopic = compileConstraints(rule.constraints ?? {}, names);
    const precision = rule.precision;
    const plain = !mapper && !validate;
    const format = rule.format;
    const field = compileStringTemplate(rule.field, names);
    return {
      name: rule.name,
      config: rule,
      topic,
      database: rule.database === undefined ? undefined : compileStringTemplate(rule.database, names),
      measurement:
        rule.measurement === undefined || isPayloadPath(rule.measurement)
          ? undefined
          : compileStringTemplate(rule.measurement, names),
      tags: Object.entries(rule.tags)
        .filter(([, v]) => !isPayloadPath(v))
        .map(([k, v]) => [k, compileStringTemplate(v, names)] as const),
      field,
      onError: rule.onError,
      binary: rule.format === 'binary',
      forward: rule.forward ?? [],
      checkTopic,
      extract(payload, vars) {
        const valueField = field.render(vars);
        if (plain) return decode(payload, { valueField, precision });
        const doc =
          format === 'value' || (format === 'auto' && !looksLikeJson(payload))
            ? parseValuePayload(payload)
            : parseJsonPayload(payload);
        if (validate) {
          const problems = validate(doc);
          if (problems !== undefined)
            throw new DecodeError(
              'ING_SCHEMA',
              `payload does not match the schema of rule "${rule.name}": ${problems}`,
            );
        }
        if (mapper) return mapper.map(doc, vars, valueField, payload);
        return [{ fields: fieldsOfDocument(doc, valueField, payload) }];
      },
    };
  } catch (err) {
    throw new Error(`rule "${rule.name}": ${(err as Error).message}`, { cause: err });
  }
}

function compileConstraints(
  constraints: NonNullable<RuleConfig['constraints']>,
  names: readonly string[],
): (vars: TemplateVars) => string | undefined {
  const checks: Array<(vars: TemplateVars) => string | undefined> = [];
  for (const [name, c] of Object.entries(constraints)) {
    if (!names.includes(name))
      throw new Error(
        `constraint on "${name}", which is not a named wildcard of the topic (${names.join(', ') || 'none'})`,
      );
    let re: RegExp | undefined;
    if (c.pattern !== undefined) {
      try {
        re = new RegExp(`^(?:${c.pattern})$`, 'u');
      } catch (err) {
        throw new Error(`constraints.${name}.pattern: ${(err as Error).message}`);
      }
    }
    checks.push((vars) => {
      const v = vars.named[name] ?? '';
      const len = [...v].length;
      if (c.length !== undefined && len !== c.length)
        return `${name} "${v}" must be exactly ${c.length} characters (it has ${len})`;
      if (c.minLength !== undefined && len < c.minLength)
        return `${name} "${v}" must be at least ${c.minLength} characters`;
      if (c.maxLength !== undefined && len > c.maxLength)
        return `${name} "${v}" must be at most ${c.maxLength} characters`;
      if (re && !re.test(v)) return `${name} "${v}" does not match /${c.pattern}/`;
      if (c.enum && !c.enum.includes(v)) return `${name} "${v}" is not one of ${c.enum.join(', ')}`;
      return undefined;
    });
  }
  if (checks.length === 0) return () => undefined;
  return (vars) => {
    for (const check of checks) {
      const problem = check(vars);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
}

export interface RuleMatch {
  readonly rule: CompiledRule;
  readonly vars: TemplateVars;
}

/** First matching rule wins. */
export class RuleSet {
  constructor(readonly rules: readonly CompiledRule[]) {}

  static compile(userRules: readonly RuleConfig[], withDefaults: boolean, baseDir?: string): RuleSet {
    const all = withDefaults ? [...userRules, ...DEFAULT_RULES] : userRules;
    return new RuleSet(all.map((r) => compileRule(r, baseDir)));
  }

  /** Why each rule up to the first match did or did not take the topic: for `rules test` and the API. */
  explain(topic: string, clientId: string): Array<{ rule: string; matched: boolean; reason: string }> {
    const levels = topic.split('/');
    const out: Array<{ rule: string; matched: boolean; reason: string }> = [];
    for (const rule of this.rules) {
      const named = rule.topic.matchLevels(topic, levels);
      if (!named) {
        out.push({ rule: rule.name, matched: false, reason: `topic does not match ${rule.topic.source}` });
        continue;
      }
      const problem = rule.checkTopic({ named, topic, levels, clientId });
      const vars = Object.entries(named)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      out.push({
        rule: rule.name,
        matched: true,
        reason: `topic matches ${rule.topic.source}${vars ? ` (${vars})` : ''}${problem ? `, but ${problem}` : ''}`,
      });
      break;
    }
    return out;
  }

  match(topic: string, clientId: string): RuleMatch | undefined {
    const levels = topic.split('/');
    for (const rule of this.rules) {
      const named = rule.topic.matchLevels(topic, levels);
      if (named) return { rule, vars: { named, topic, levels, clientId } };
    }
    return undefined;
  }
}

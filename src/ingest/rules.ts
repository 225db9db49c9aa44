import type { RuleConfig } from '../config/schema.js';
import type { Decoder } from './decoders/decoder.js';
import { DECODERS } from './decoders/index.js';
import {
  compileStringTemplate,
  compileTopicTemplate,
  type StringTemplate,
  type TemplateVars,
  type TopicTemplate,
} from './topic-template.js';

export interface CompiledRule {
  readonly name: string;
  readonly topic: TopicTemplate;
  readonly decode: Decoder;
  readonly database: StringTemplate | undefined;
  readonly measurement: StringTemplate;
  readonly tags: ReadonlyArray<readonly [string, StringTemplate]>;
  readonly field: StringTemplate;
  readonly onError: RuleConfig['onError'];
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
    onError: 'reject',
  },
  {
    name: 'default-any',
    topic: '#',
    format: 'auto',
    measurement: '{-1}',
    tags: { topic: '{topic}' },
    field: 'value',
    onError: 'skip',
  },
];

/** Compiles a rule; throws with a message naming the rule on a bad template. */
export function compileRule(rule: RuleConfig): CompiledRule {
  try {
    const topic = compileTopicTemplate(rule.topic);
    const names = topic.names;
    return {
      name: rule.name,
      topic,
      decode: DECODERS[rule.format],
      database: rule.database === undefined ? undefined : compileStringTemplate(rule.database, names),
      measurement: compileStringTemplate(rule.measurement, names),
      tags: Object.entries(rule.tags).map(([k, v]) => [k, compileStringTemplate(v, names)] as const),
      field: compileStringTemplate(rule.field, names),
      onError: rule.onError,
    };
  } catch (err) {
    throw new Error(`rule "${rule.name}": ${(err as Error).message}`, { cause: err });
  }
}

export interface RuleMatch {
  readonly rule: CompiledRule;
  readonly vars: TemplateVars;
}

/** First matching rule wins. */
export class RuleSet {
  constructor(readonly rules: readonly CompiledRule[]) {}

  static compile(userRules: readonly RuleConfig[], withDefaults: boolean): RuleSet {
    const all = withDefaults ? [...userRules, ...DEFAULT_RULES] : userRules;
    return new RuleSet(all.map(compileRule));
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

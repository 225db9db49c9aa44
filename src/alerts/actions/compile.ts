import { AppError } from '../../core/errors.js';
import { shownUrl } from '../../ingest/forward/http.js';
import { ALERT_STATES, type AlertState } from '../types.js';
import { type AlertActionConfig, alertActionSchema, type WebhookActionConfig } from './config.js';
import { type CompiledTemplate, compileTemplate, TemplateError } from './template.js';

interface CompiledBase {
  readonly rule: string;
  /** Position in the rule's `actions`, from 0. */
  readonly index: number;
  readonly on: ReadonlySet<AlertState>;
  /** `alert rule "x": actions[1] (webhook)`: how errors and logs name this action. */
  readonly where: string;
}

export interface CompiledMqttAction extends CompiledBase {
  readonly type: 'mqtt';
  readonly topic: CompiledTemplate;
  /** A payload for every state in `on`. */
  readonly payloads: Readonly<Partial<Record<AlertState, CompiledTemplate>>>;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

export interface CompiledWebhookAction extends CompiledBase {
  readonly type: 'webhook';
  readonly config: WebhookActionConfig;
  /** The URL without its query string, for logs and the delivery log. */
  readonly target: string;
}

/** An action ready to run: templates parsed, references checked. Its identity keys its delivery order. */
export type CompiledAction = CompiledMqttAction | CompiledWebhookAction;

/**
 * Compiles a rule's actions (parsed by alertActionSchema). Throws CFG_INVALID naming the rule, the
 * action's index and the field: an unknown template reference, a wildcard in a topic, a state that `on`
 * lists without a payload.
 */
export function compileActions(configs: readonly AlertActionConfig[], ruleName: string): CompiledAction[] {
  return configs.map((config, index) => {
    const where = `alert rule "${ruleName}": actions[${index}] (${config.type})`;
    const base = { rule: ruleName, index, on: new Set(config.on), where };
    if (config.type === 'webhook') {
      return { ...base, type: 'webhook', config, target: shownUrl(config.url) };
    }
    const topic = compile(config.topic, `${where}: topic`);
    if (topic.literals.some((l) => /[+#]/.test(l))) {
      throw new AppError('CFG_INVALID', `${where}: topic: "${config.topic}" holds a wildcard (+ or #)`);
    }
    const payloads: Partial<Record<AlertState, CompiledTemplate>> = {};
    if (typeof config.payload === 'string') {
      const one = compile(config.payload, `${where}: payload`);
      for (const s of ALERT_STATES) payloads[s] = one;
    } else {
      for (const s of ALERT_STATES) {
        const text = config.payload[s];
        if (text !== undefined) payloads[s] = compile(text, `${where}: payload.${s}`);
      }
    }
    const missing = config.on.filter((s) => payloads[s] === undefined);
    if (missing.length > 0) {
      throw new AppError(
        'CFG_INVALID',
        `${where}: payload: no payload for ${missing.join(', ')}, which "on" lists`,
      );
    }
    return { ...base, type: 'mqtt', topic, payloads, qos: config.qos, retain: config.retain };
  });
}

/**
 * Validates a rule's raw `actions` (as the rule schema keeps them) and compiles them. Throws CFG_INVALID
 * listing every problem as `alert rule "x": actions[1].topic: message`.
 */
export function parseActions(raw: readonly unknown[], ruleName: string): CompiledAction[] {
  const configs: AlertActionConfig[] = [];
  const problems: string[] = [];
  raw.forEach((item, i) => {
    const r = alertActionSchema.safeParse(item);
    if (r.success) configs.push(r.data);
    else {
      for (const issue of r.error.issues) {
        const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        problems.push(`alert rule "${ruleName}": actions[${i}]${path}: ${issue.message}`);
      }
    }
  });
  if (problems.length > 0) {
    throw new AppError('CFG_INVALID', problems.join('; '), { details: { errors: problems } });
  }
  return compileActions(configs, ruleName);
}

function compile(source: string, where: string): CompiledTemplate {
  try {
    return compileTemplate(source);
  } catch (err) {
    if (err instanceof TemplateError) {
      throw new AppError('CFG_INVALID', `${where}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

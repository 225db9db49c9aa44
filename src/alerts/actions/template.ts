import type { AlertState, AlertTransition } from '../types.js';

/** The values a template can reference, computed once per transition and shared by every action. */
export interface TemplateContext {
  readonly rule: string;
  readonly instance: string;
  readonly state: AlertState;
  readonly previous: AlertState;
  /** The number as JavaScript prints it (shortest round-trip form), or '' when there is none. */
  readonly value: string;
  readonly message: string;
  /** RFC 3339, UTC, millisecond precision. */
  readonly time: string;
  readonly labels: Readonly<Record<string, string>>;
}

type Variable = Exclude<keyof TemplateContext, 'labels'>;

const VARIABLES: readonly Variable[] = ['rule', 'instance', 'state', 'previous', 'value', 'message', 'time'];
const KNOWN = `{{${VARIABLES.join('}}, {{')}}} and {{labels.NAME}}`;

type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'var'; readonly name: Variable }
  | { readonly kind: 'label'; readonly name: string };

/** A template whose references were checked when it was compiled: rendering cannot fail. */
export interface CompiledTemplate {
  readonly source: string;
  /** The constant parts, for checks that can be made before any value is known (e.g. no `#` in a topic). */
  readonly literals: readonly string[];
  render(ctx: TemplateContext): string;
}

/** A template that does not compile: the message names the reference and lists the known ones. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Label names as group-by tags can spell them: anything but braces, whitespace at the ends trimmed. */
const LABEL_NAME = /^[^{}\s](?:[^{}]*[^{}\s])?$/;

/**
 * Compiles `{{rule}} is {{state}} on {{labels.device}}`. References are `{{name}}` with optional spaces
 * inside the braces; anything else in braces, or a `{{` without its `}}`, throws TemplateError.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(pos) });
      break;
    }
    if (open > pos) parts.push({ kind: 'text', text: source.slice(pos, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) {
      throw new TemplateError(`"{{" at column ${open + 1} has no closing "}}"`);
    }
    parts.push(reference(source.slice(open + 2, close).trim()));
    pos = close + 2;
  }
  const literals = parts.flatMap((p) => (p.kind === 'text' ? [p.text] : []));
  // A template without references renders the same text every time.
  if (parts.every((p) => p.kind === 'text')) {
    return { source, literals, render: () => source };
  }
  return {
    source,
    literals,
    render(ctx) {
      let out = '';
      for (const p of parts) {
        if (p.kind === 'text') out += p.text;
        else if (p.kind === 'var') out += ctx[p.name];
        else out += ctx.labels[p.name] ?? '';
      }
      return out;
    },
  };
}

function reference(inner: string): Part {
  if ((VARIABLES as readonly string[]).includes(inner)) return { kind: 'var', name: inner as Variable };
  if (inner.startsWith('labels.')) {
    const name = inner.slice('labels.'.length);
    if (LABEL_NAME.test(name)) return { kind: 'label', name };
  }
  throw new TemplateError(`unknown reference {{${inner}}}; templates can use ${KNOWN}`);
}

/** The message of a template's compile error, or undefined: for config validation. */
export function templateProblem(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}

/** RFC 3339 from epoch microseconds (the transition's `at`). */
export function rfc3339(atMicros: number): string {
  return new Date(Math.floor(atMicros / 1000)).toISOString();
}

export function contextOf(t: AlertTransition): TemplateContext {
  return {
    rule: t.rule,
    instance: t.instance,
    state: t.to,
    previous: t.from,
    value: t.value === null || !Number.isFinite(t.value) ? '' : String(t.value),
    message: t.message,
    time: rfc3339(t.at),
    labels: t.labels,
  };
}

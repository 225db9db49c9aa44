/**
 * Topic templates are MQTT topic filters whose wildcards may carry names: `sensors/+device/+sensor`,
 * `plant/#rest`. A match yields the named segments, usable as `{device}` in rule templates.
 */
export interface TopicTemplate {
  readonly source: string;
  readonly names: readonly string[];
  /** Returns the named values, or undefined when the topic does not match. */
  match(topic: string): Record<string, string> | undefined;
  /** The same, for a topic already split into levels. */
  matchLevels(topic: string, parts: readonly string[]): Record<string, string> | undefined;
}

type Level =
  | { kind: 'literal'; text: string }
  | { kind: 'one'; name?: string }
  | { kind: 'rest'; name?: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class TopicTemplateError extends Error {}

export function compileTopicTemplate(source: string): TopicTemplate {
  const levels: Level[] = source.split('/').map((text, i, all): Level => {
    if (text.startsWith('+')) return named('one', text.slice(1));
    if (text.startsWith('#')) {
      // [MQTT-4.7.1-2] the multi-level wildcard must be the last level.
      if (i !== all.length - 1) throw new TopicTemplateError(`"#" must be the last level in "${source}"`);
      return named('rest', text.slice(1));
    }
    if (text.includes('+') || text.includes('#')) {
      throw new TopicTemplateError(`wildcards must fill a whole level in "${source}"`);
    }
    return { kind: 'literal', text };
  });
  const names = levels.flatMap((l) => (l.kind !== 'literal' && l.name ? [l.name] : []));
  if (new Set(names).size !== names.length)
    throw new TopicTemplateError(`duplicate wildcard name in "${source}"`);

  function named(kind: 'one' | 'rest', name: string): Level {
    if (name === '') return { kind };
    if (!NAME.test(name))
      throw new TopicTemplateError(`"${name}" is not a valid wildcard name in "${source}"`);
    return { kind, name };
  }

  return {
    source,
    names,
    match(topic: string) {
      return this.matchLevels(topic, topic.split('/'));
    },
    matchLevels(topic: string, parts: readonly string[]) {
      // [MQTT-4.7.2-1] filters starting with a wildcard do not match $-topics.
      if (topic.startsWith('$') && levels[0]?.kind !== 'literal') return undefined;
      const out: Record<string, string> = {};
      for (let i = 0; i < levels.length; i++) {
        const level = levels[i] as Level;
        if (level.kind === 'rest') {
          if (level.name) out[level.name] = parts.slice(i).join('/');
          return out;
        }
        const part = parts[i];
        if (part === undefined) return undefined;
        if (level.kind === 'literal') {
          if (part !== level.text) return undefined;
        } else if (level.name) {
          out[level.name] = part;
        }
      }
      return parts.length === levels.length ? out : undefined;
    },
  };
}

/**
 * A string with `{name}` references: named wildcards, `{topic}` (the whole topic), `{clientId}`, and
 * `{0}`, `{1}`, `{-1}` for topic levels by position (negative counts from the end).
 */
export interface StringTemplate {
  render(vars: TemplateVars): string;
}

export interface TemplateVars {
  readonly named: Readonly<Record<string, string>>;
  readonly topic: string;
  readonly levels: readonly string[];
  readonly clientId: string;
}

export function compileStringTemplate(source: string, allowed: readonly string[]): StringTemplate {
  const pieces: Array<(v: TemplateVars) => string> = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const literal = source.slice(last, m.index);
    if (literal) pieces.push(() => literal);
    const ref = m[1] as string;
    if (/^-?\d+$/.test(ref)) {
      const idx = Number(ref);
      pieces.push((v) => (idx < 0 ? v.levels[v.levels.length + idx] : v.levels[idx]) ?? '');
    } else if (ref === 'topic') {
      pieces.push((v) => v.topic);
    } else if (ref === 'clientId') {
      pieces.push((v) => v.clientId);
    } else if (allowed.includes(ref)) {
      pieces.push((v) => v.named[ref] ?? '');
    } else {
      throw new TopicTemplateError(
        `unknown reference {${ref}} in "${source}" (known: ${[...allowed, 'topic', 'clientId', '0', '-1'].join(', ')})`,
      );
    }
    last = re.lastIndex;
  }
  const tail = source.slice(last);
  if (tail) pieces.push(() => tail);
  if (pieces.length === 1 && last === 0) {
    const constant = source;
    return { render: () => constant };
  }
  if (pieces.length === 1) return { render: pieces[0] as (v: TemplateVars) => string };
  return {
    render: (v) => {
      let out = '';
      for (const piece of pieces) out += piece(v);
      return out;
    },
  };
}

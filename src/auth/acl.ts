/**
 * Topic ACLs: a list of MQTT topic filters a user may publish to or subscribe to, with `%u` (the username)
 * and `%c` (the client id) substituted per connection, as Mosquitto's `pattern` lines do.
 */
export interface AclContext {
  readonly username: string;
  readonly clientId: string;
}

export class TopicAcl {
  readonly #patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns;
  }

  get patterns(): readonly string[] {
    return this.#patterns;
  }

  /** May a PUBLISH to this topic name go through? */
  allowsTopic(topic: string, ctx: AclContext): boolean {
    const levels = topic.split('/');
    for (const p of this.#patterns) {
      const filter = substitute(p, ctx);
      if (filter !== undefined && filterMatches(filter.split('/'), levels)) return true;
    }
    return false;
  }

  /** May a SUBSCRIBE to this filter go through? Only if every topic it can match is allowed. */
  allowsFilter(filter: string, ctx: AclContext): boolean {
    // A shared subscription's filter follows `$share/<group>/` [MQTT-4.8.2].
    const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
    const levels = plain.split('/');
    for (const p of this.#patterns) {
      const allowed = substitute(p, ctx);
      if (allowed !== undefined && filterCovers(allowed.split('/'), levels)) return true;
    }
    return false;
  }
}

/**
 * Fills in %u and %c. An identity holding a wildcard or a level separator would widen the pattern
 * (user "+" reaching everyone's topics), so such a pattern grants nothing.
 */
function substitute(pattern: string, ctx: AclContext): string | undefined {
  if (!pattern.includes('%')) return pattern;
  let unsafe = false;
  const out = pattern.replace(/%([uc])/g, (_, k: string) => {
    const v = k === 'u' ? ctx.username : ctx.clientId;
    if (v === '' || /[+#/]/.test(v)) unsafe = true;
    return v;
  });
  return unsafe ? undefined : out;
}

/** Topic-name matching of a filter [MQTT-4.7]. */
export function filterMatches(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with $.
  if (topic[0]?.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i] as string;
    if (f === '#') return true;
    const t = topic[i];
    if (t === undefined) return false;
    if (f !== '+' && f !== t) return false;
  }
  return filter.length === topic.length;
}

/** Whether every topic matched by `inner` is matched by `outer` (both topic filters). */
export function filterCovers(outer: readonly string[], inner: readonly string[]): boolean {
  if (inner[0]?.startsWith('$') && (outer[0] === '+' || outer[0] === '#')) return false;
  for (let i = 0; i < outer.length; i++) {
    const o = outer[i] as string;
    if (o === '#') return true;
    const n = inner[i];
    if (n === undefined || n === '#') return false;
    if (o === '+') continue;
    if (n === '+' || n !== o) return false;
  }
  return outer.length === inner.length;
}

/** Checks a pattern's syntax; returns a reason when it is not a valid topic filter. */
export function aclPatternError(pattern: string): string | undefined {
  if (pattern === '') return 'empty pattern';
  const levels = pattern.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as string;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1))
      return `"#" must be a whole last level in "${pattern}"`;
    if (l.includes('+') && l !== '+') return `"+" must be a whole level in "${pattern}"`;
  }
  return undefined;
}

/**
 * Payload paths as rules write them: `$` is the whole payload (or the current reading), `$.a.b` a member,
 * `$.list[0]` or `$.list.0` an array element, `$["odd key"]` a member whose name has dots or spaces.
 * Deliberately small: no filters or wildcards; a rule that needs more picks an array with `readings`.
 */
export interface JsonPath {
  readonly source: string;
  readonly keys: readonly (string | number)[];
  get(doc: unknown): unknown;
}

export class JsonPathError extends Error {}

export function isPayloadPath(expr: string): boolean {
  return expr === '$' || expr.startsWith('$.') || expr.startsWith('$[');
}

export function compileJsonPath(source: string): JsonPath {
  if (!isPayloadPath(source))
    throw new JsonPathError(`"${source}" is not a payload path (it must start with $. or be $)`);
  const keys: (string | number)[] = [];
  let i = 1;
  while (i < source.length) {
    const c = source[i];
    if (c === '.') {
      let j = i + 1;
      while (j < source.length && source[j] !== '.' && source[j] !== '[') j++;
      const name = source.slice(i + 1, j);
      if (name === '') throw new JsonPathError(`empty member name at position ${i + 1} in "${source}"`);
      keys.push(/^\d+$/.test(name) ? Number(name) : name);
      i = j;
    } else if (c === '[') {
      const close = source.indexOf(']', i);
      if (close < 0) throw new JsonPathError(`unclosed [ at position ${i + 1} in "${source}"`);
      const inner = source.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) keys.push(Number(inner));
      else if (/^"[^"]*"$/.test(inner) || /^'[^']*'$/.test(inner)) keys.push(inner.slice(1, -1));
      else throw new JsonPathError(`[${inner}] in "${source}" must be an index or a quoted name`);
      i = close + 1;
    } else {
      throw new JsonPathError(`unexpected "${c}" at position ${i + 1} in "${source}"`);
    }
  }
  return {
    source,
    keys,
    get(doc: unknown): unknown {
      let node = doc;
      for (const key of keys) {
        if (node === null || typeof node !== 'object') return undefined;
        if (typeof key === 'number') {
          if (!Array.isArray(node)) return undefined;
          node = node[key];
        } else {
          if (Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
          node = (node as Record<string, unknown>)[key];
        }
      }
      return node;
    },
  };
}

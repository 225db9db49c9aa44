import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/errors.js';

describe('docs/errors.md', () => {
  it('documents exactly the codes in the registry, with their HTTP status', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map(
      (m) => [m[1], m[2]?.trim()] as const,
    );
    const documented = new Map(rows);
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const status = documented.get(code);
      if (code === 'CFG_INVALID') expect(status).toBe('—');
      else expect(status, code).toBe(String(spec.status));
    }
  });
});

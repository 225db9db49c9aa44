import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The `meta` key/value table: server state (users, sessions, dashboards through the store's meta API) and the
 * store's own bookkeeping (schema version, compaction watermark, retention cutoffs). Callers run these
 * inside their transaction.
 */

export async function readMeta(conn: DuckDBConnection, key: string): Promise<string | undefined> {
  const value = (
    await conn.runAndReadAll('SELECT value FROM meta WHERE key = $key', { key })
  ).getRows()[0]?.[0];
  return value === undefined || value === null ? undefined : String(value);
}

export async function writeMeta(conn: DuckDBConnection, key: string, value: string): Promise<void> {
  await conn.run(
    'INSERT INTO meta VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    { key, value },
  );
}

/** Returns whether the key existed. */
export async function deleteMetaKey(conn: DuckDBConnection, key: string): Promise<boolean> {
  return (await conn.run('DELETE FROM meta WHERE key = $key', { key })).rowsChanged > 0;
}

/** Every key starting with `prefix`, with its value, sorted by key. */
export async function listMetaPrefix(
  conn: DuckDBConnection,
  prefix: string,
): Promise<Array<[string, string]>> {
  const rows = (
    await conn.runAndReadAll('SELECT key, value FROM meta WHERE starts_with(key, $prefix) ORDER BY key', {
      prefix,
    })
  ).getRows();
  return rows.map(([k, v]) => [String(k), String(v)]);
}

import { rm, stat } from 'node:fs/promises';
import type { DuckDBInstance } from '@duckdb/node-api';
import { AppError, errorMessage } from '../../core/errors.js';
import type { StoreBackup } from '../store.js';

/** The name the copy is attached under, on the backup's own connection only. */
const ALIAS = 'sensorhub_backup_copy';

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sqlIdentifier(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Copies every table, sequence (with its current value: dead-letter ids stay unique) and the schema into
 * a new database file at `target`, on a connection of its own. COPY FROM DATABASE runs inside one explicit
 * transaction, so every table is read from the same snapshot: each commit made before it is in the copy,
 * none made during it is, and the store's writer keeps committing meanwhile (DuckDB's MVCC: the copy only
 * reads the source, it writes the attached file). Connection-local TEMP tables are not copied.
 */
export async function copyDatabase(instance: DuckDBInstance, target: string): Promise<StoreBackup> {
  if (await exists(target)) {
    throw new AppError('STO_BACKUP_FAILED', `${target} already exists; a backup never overwrites a file`);
  }
  const conn = await instance.connect();
  let attached = false;
  try {
    const rows = (await conn.runAndReadAll('SELECT current_database()')).getRows();
    const source = String(rows[0]?.[0]);
    await conn.run(`ATTACH ${sqlString(target)} AS ${ALIAS}`);
    attached = true;
    await conn.run('BEGIN');
    await conn.run(`COPY FROM DATABASE ${sqlIdentifier(source)} TO ${ALIAS}`);
    await conn.run('COMMIT');
    // DETACH checkpoints the copy: afterwards the file alone holds everything (no .wal beside it).
    attached = false;
    await conn.run(`DETACH ${ALIAS}`);
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    if (attached) await conn.run(`DETACH ${ALIAS}`).catch(() => undefined);
    await rm(target, { force: true });
    await rm(`${target}.wal`, { force: true });
    throw new AppError('STO_BACKUP_FAILED', `backup to ${target} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    conn.closeSync();
  }
  return { bytes: (await stat(target)).size };
}

import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import { OVERWRITE_TABLE } from './schema.js';

/**
 * The write connection's appenders. An appender flushes into whatever transaction its connection has
 * open, so a batch appended between BEGIN and COMMIT commits or rolls back with it.
 */
export interface Appenders {
  readonly samples: DuckDBAppender;
  readonly series: DuckDBAppender;
  readonly overwriteKeys: DuckDBAppender;
  readonly deadLetters: DuckDBAppender;
}

export async function openAppenders(conn: DuckDBConnection): Promise<Appenders> {
  const opened: DuckDBAppender[] = [];
  const open = async (table: string, schema?: string, catalog?: string): Promise<DuckDBAppender> => {
    const appender = await conn.createAppender(table, schema, catalog);
    opened.push(appender);
    return appender;
  };
  try {
    return {
      samples: await open('samples'),
      series: await open('series'),
      overwriteKeys: await open(OVERWRITE_TABLE, 'main', 'temp'),
      deadLetters: await open('dead_letters'),
    };
  } catch (err) {
    for (const a of opened) discardAppender(a);
    throw err;
  }
}

export function appendChunks(appender: DuckDBAppender, chunks: readonly DuckDBDataChunk[]): void {
  for (const chunk of chunks) appender.appendDataChunk(chunk);
  appender.flushSync();
}

/**
 * Closes without writing anything still buffered: closeSync flushes, and after a ROLLBACK that flush
 * would land outside any transaction, committing half a batch on its own.
 */
export function discardAppender(appender: DuckDBAppender): void {
  try {
    appender.clear();
    appender.closeSync();
  } catch {
    // An appender that failed mid-batch may refuse even this; it is dropped either way.
  }
}

export function discardAppenders(appenders: Appenders): void {
  for (const a of [appenders.samples, appenders.series, appenders.overwriteKeys, appenders.deadLetters]) {
    discardAppender(a);
  }
}

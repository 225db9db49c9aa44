import type pg from 'pg';

/**
 * `COPY … FROM STDIN` over a node-postgres client, through its documented extension point: an object with
 * `submit(connection)` given to `client.query()` takes over the protocol for one command. The client then
 * hands it the backend's messages (CopyInResponse, CommandComplete, ErrorResponse, ReadyForQuery).
 *
 * The data is already complete in memory (a write batch), so it goes out as CopyData messages right after
 * CopyInResponse, then CopyDone. A backend error (a bad value, a terminated connection) ends the command
 * with ErrorResponse; the promise rejects with it.
 */

/** The parts of pg's (untyped) Connection that COPY needs. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyIn implements pg.Submittable {
  readonly #text: string;
  readonly #chunks: readonly Buffer[];
  readonly #resolve: (rows: number) => void;
  readonly #reject: (err: Error) => void;
  #rows = 0;
  #settled = false;

  constructor(
    text: string,
    chunks: readonly Buffer[],
    resolve: (rows: number) => void,
    reject: (err: Error) => void,
  ) {
    this.#text = text;
    this.#chunks = chunks;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.#text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.#chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(msg.text ?? '');
    if (match !== null) this.#rows = Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.#settle(undefined);
  }

  handleError(err: Error): void {
    this.#settle(err);
  }

  // Messages a COPY FROM never gets; the client calls these only on the query it is running.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}

  #settle(err: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    if (err === undefined) this.#resolve(this.#rows);
    else this.#reject(err);
  }
}

/** Runs one `COPY … FROM STDIN` with `chunks` as its data; resolves with the number of rows copied. */
export function copyIn(client: pg.ClientBase, text: string, chunks: readonly Buffer[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    client.query(new CopyIn(text, chunks, resolve, reject));
  });
}

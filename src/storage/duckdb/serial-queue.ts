/**
 * Runs tasks one at a time in submission order. DuckDB allows one open transaction per connection, so
 * every transaction on a connection goes through that connection's queue.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // The chain must survive a failed task; the caller still sees the failure through `result`.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task submitted so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }
}

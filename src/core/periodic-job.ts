/**
 * A background job on a timer (subclasses give `work`): the first run shortly after start(), then one every interval after the
 * previous run ends (runs never overlap, and a slow run delays the next instead of piling up). runOnce()
 * queues a run behind the one in progress; stop() cancels the next run and waits for the current one.
 * The timer does not keep the process alive.
 */
export abstract class PeriodicJob<T> {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;
  #stopped = true;

  constructor(private readonly timing: { readonly firstRunMs: number; readonly intervalMs: number }) {}

  /** One run of the job. */
  protected abstract work(): Promise<T>;

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.timing.firstRunMs);
  }

  /** Cancels the next run and waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One run now, after the one in progress if any. Rejects only if `work` does. */
  runOnce(): Promise<T> {
    const previous = this.#running ?? Promise.resolve(undefined);
    const run = previous.catch(() => undefined).then(() => this.work());
    this.#running = run;
    void run
      .finally(() => {
        if (this.#running === run) this.#running = undefined;
      })
      .catch(() => undefined);
    return run;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.runOnce()
        .catch(() => undefined)
        .then(() => this.#schedule(this.timing.intervalMs));
    }, delayMs);
    this.#timer.unref();
  }
}

/**
 * Lets one log line through per interval and counts the rest, so a misbehaving device or a full disk
 * cannot flood the log. `allow()` returns undefined when the line should be dropped, else the number of
 * lines dropped since the last one that went through.
 */
export class LogThrottle {
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(): number | undefined {
    const t = this.now();
    if (t - this.#last < this.intervalMs) {
      this.#suppressed++;
      return undefined;
    }
    this.#last = t;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}

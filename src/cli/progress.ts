/** Where progress goes: stderr, whose isTTY decides between a redrawn bar and periodic lines. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ImportState {
  /** Input bytes read (compressed bytes for gzip files), against the total size of the inputs. */
  readonly bytes: number;
  readonly lines: number;
  readonly rejected: number;
}

const BAR_WIDTH = 24;
/** A terminal is redrawn at most this often; a log gets a line this often. */
const TTY_EVERY_MS = 100;
const LOG_EVERY_MS = 5000;

function rate(n: number, ms: number): number {
  return Math.round(n / Math.max(ms / 1000, 0.001));
}

/**
 * Progress of `sensorhub import`: on a terminal a bar redrawn in place (percentage of the input bytes,
 * lines, rejections, throughput, time left); in a log (not a TTY) one plain line every 5 s, since carriage
 * returns there would pile up into one unreadable line.
 */
export class ImportProgress {
  readonly #startedMs: number;
  #lastMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: ProgressOutput,
    private readonly totalBytes: number,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly logEveryMs = LOG_EVERY_MS,
  ) {
    this.#startedMs = nowMs();
    this.#lastMs = this.#startedMs;
  }

  update(state: ImportState): void {
    const now = this.nowMs();
    const every = this.out.isTTY ? TTY_EVERY_MS : this.logEveryMs;
    if (now - this.#lastMs < every) return;
    this.#lastMs = now;
    const elapsed = now - this.#startedMs;
    const stored = state.lines - state.rejected;
    const fraction = this.totalBytes > 0 ? Math.min(1, state.bytes / this.totalBytes) : 0;
    const percent = `${Math.floor(fraction * 100)}%`;
    const speed = `${rate(stored, elapsed)} lines/s`;
    if (this.out.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const left = fraction > 0 ? Math.round((elapsed / fraction - elapsed) / 1000) : undefined;
      this.out.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent.padStart(4)}  ${stored} lines, ` +
          `${state.rejected} rejected, ${speed}${left === undefined ? '' : `, ${left} s left`}\x1b[K`,
      );
    } else {
      this.out.write(`importing: ${percent}, ${stored} lines, ${state.rejected} rejected, ${speed}\n`);
    }
  }

  /** The final line (the bar is replaced by it on a terminal). */
  done(state: ImportState): void {
    const elapsed = this.nowMs() - this.#startedMs;
    const stored = state.lines - state.rejected;
    this.out.write(
      `${this.out.isTTY ? '\r\x1b[K' : ''}imported ${stored} lines, ${state.rejected} rejected, ` +
        `${rate(stored, elapsed)} lines/s in ${(elapsed / 1000).toFixed(1)} s\n`,
    );
  }
}

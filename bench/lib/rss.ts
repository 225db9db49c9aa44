import { readFile } from 'node:fs/promises';

export interface MemorySample {
  /** Highest resident set size seen, in MiB: the larger of the sampled VmRSS and the kernel's VmHWM. */
  readonly peakRssMiB: number;
}

/** Samples /proc/<pid>/status every `everyMs` while a run goes on, keeping the peak. Linux only. */
export class RssSampler {
  private readonly pid: number;
  private readonly everyMs: number;
  private timer: NodeJS.Timeout | undefined;
  private peakKiB = 0;

  constructor(pid: number, everyMs = 200) {
    this.pid = pid;
    this.everyMs = everyMs;
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  /** Takes a last sample (VmHWM covers any spike between samples) and stops. */
  async stop(): Promise<MemorySample> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sample();
    return { peakRssMiB: this.peakKiB / 1024 };
  }

  private async sample(): Promise<void> {
    let status: string;
    try {
      status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return; // The process has exited, or this is not Linux.
    }
    for (const key of ['VmRSS', 'VmHWM']) {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      if (m) this.peakKiB = Math.max(this.peakKiB, Number(m[1]));
    }
  }
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks, 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far, or undefined when /proc is unavailable. */
export async function readCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces, so count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the full line, i.e. 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

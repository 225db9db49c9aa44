/**
 * Log-bucketed latency histogram: ~1% resolution from 1 µs to minutes in a fixed 4 KiB, so recording a
 * million samples costs no memory and no sort (the same idea as HdrHistogram, much smaller).
 */
const BUCKETS_PER_E = 100;
const BUCKET_COUNT = 2600; // e^(2600/100) µs ≈ 2e11 µs: far beyond any timeout here.

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const bucket = Math.min(BUCKET_COUNT - 1, Math.floor(Math.log(us) * BUCKETS_PER_E));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i] ?? 0;
      // Report the bucket's upper edge, so a percentile is never understated; capped by the exact max.
      if (seen >= rank) return Math.min(this.maxMs, Math.exp((i + 1) / BUCKETS_PER_E) / 1000);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanMs: this.count === 0 ? 0 : this.sumMs / this.count,
      p50Ms: this.percentile(50),
      p99Ms: this.percentile(99),
      maxMs: this.maxMs,
    };
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

/** How one delivery ended, before the runner stamps it into a DeliveryRecord. */
export interface Outcome {
  readonly ok: boolean;
  readonly attempts: number;
  readonly target: string;
  readonly status?: number;
  readonly error?: string;
}

/**
 * The runner's two stop signals, as every delivery sees them. `drain` ends waits between attempts (no
 * new retries once stop() begins); `abort` cuts off what is in flight when stop()'s grace period ends.
 */
export interface StopSignals {
  readonly drain: AbortSignal;
  readonly abort: AbortSignal;
}

/** Waits `ms`, unless `signal` fires: then resolves false at once. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Exponential backoff with equal jitter: never sooner than half, and retries of one outage spread out. */
export function backoffDelay(initialMs: number, maxMs: number, retry: number): number {
  const backoff = Math.min(maxMs, initialMs * 2 ** Math.min(retry, 30));
  return backoff / 2 + (Math.random() * backoff) / 2;
}

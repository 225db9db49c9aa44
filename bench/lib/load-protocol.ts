import type { LatencySummary } from './histogram.js';

/**
 * The payload shapes: seed 000's bare number per topic, a 3-field JSON object per message, and the plain
 * load with one malformed payload in every BAD_EVERY messages (about 1,000 per 100,000).
 */
export type Scenario = 'plain' | 'json' | 'plain-bad';

export const SCENARIOS: readonly Scenario[] = ['plain', 'json', 'plain-bad'];

export const FIELDS_PER_MESSAGE: Record<Scenario, number> = { plain: 1, json: 3, 'plain-bad': 1 };

/** In plain-bad, message N of a connection is malformed when N % BAD_EVERY === BAD_EVERY - 1. */
export const BAD_EVERY = 101;

/** The keys of the json scenario's payload (bench-connection.ts builds it). */
export const JSON_FIELDS = ['temperature', 'humidity', 'pressure'] as const;

/** Sent by the bench to the load generator process over IPC. */
export interface LoadConfig {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly scenario: Scenario;
  readonly connections: number;
  /** QoS 1 PUBLISHes kept in flight per connection. */
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** How long to wait for outstanding PUBACKs after the measured window, before giving up on them. */
  readonly drainMs: number;
  readonly clientIdPrefix: string;
}

export interface LoadResult {
  readonly connections: number;
  readonly connectMs: number;
  readonly measuredMs: number;
  /** PUBACKs received inside the measured window. */
  readonly ackedInWindow: number;
  readonly ackedPerSec: number;
  /** PUBACKs in each whole second of the window (the last entry may cover a partial second). */
  readonly ackedEachSecond: number[];
  /** Over the whole run, warm-up and drain included: what the store must hold afterwards. */
  readonly publishedTotal: number;
  readonly ackedTotal: number;
  /** Malformed PUBLISHes sent (plain-bad); they are acknowledged too, and must become dead letters. */
  readonly badTotal: number;
  readonly latency: LatencySummary;
  /** CPU the load generator used during the window, as a fraction of one core; near 1 means it was the limit. */
  readonly cpuFraction: number;
  readonly errors: string[];
}

export type LoadEvent =
  | { readonly type: 'connected'; readonly connectMs: number }
  | { readonly type: 'measuring' }
  | { readonly type: 'measured' }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly message: string };

import { z } from 'zod';
import { ALERT_STATES } from './types.js';

/**
 * The engine's state as saved across a restart (the app keeps snapshot() in the store's meta table as
 * JSON and hands it to restore() at start). Versioned: a state from another version is not restored.
 */
export const PERSISTED_STATE_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const persistedWindowSchema = z.object({
  end: finite,
  endAt: finite,
  started: z.boolean(),
  ages: z.array(finite),
  values: z.array(finite),
});

const persistedInstanceSchema = z.object({
  /** The instance's group-by tag values, in the rule's groupBy order. */
  group: z.array(z.string()),
  state: z.enum(ALERT_STATES),
  since: finite,
  silent: z.boolean(),
  value: finite.nullable(),
  lastPointTime: finite.nullable(),
  error: z.string().nullable(),
  /** Null when the window was too large for the snapshot's point budget: it restarts empty. */
  window: persistedWindowSchema.nullable(),
});

const persistedRuleSchema = z.object({
  name: z.string(),
  /** Instances are restored only into a rule with the same fingerprint (it evaluates alike). */
  fingerprint: z.string(),
  instances: z.array(persistedInstanceSchema),
});

export const persistedStateSchema = z.object({
  version: z.literal(PERSISTED_STATE_VERSION),
  /** When the snapshot was taken (epoch µs). */
  savedAt: finite,
  rules: z.array(persistedRuleSchema),
});

export type PersistedState = z.output<typeof persistedStateSchema>;
export type PersistedRule = z.output<typeof persistedRuleSchema>;
export type PersistedInstance = z.output<typeof persistedInstanceSchema>;

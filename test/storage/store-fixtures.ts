/** Data builders shared by the store contract and the driver-specific tests. */
import { expect } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import type { FieldValue, Point } from '../../src/core/point.js';
import type { DeadLetter, SeriesQuery, TimeSeriesStore } from '../../src/storage/store.js';

export interface StoreFixture {
  readonly store: TimeSeriesStore;
  readonly cleanup: () => Promise<void>;
  /**
   * A store on the same data, for a restart (the suite stops `store` first and starts what this returns).
   * Absent when the data does not outlive the store (DuckDB ':memory:').
   */
  readonly reopen?: () => TimeSeriesStore;
}

export const SECOND = 1_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
/** 2023-11-14T22:00:00Z, on an hour boundary. */
export const T0 = 472_222 * HOUR;

export function point(
  fields: Record<string, FieldValue>,
  time: number,
  tags: Record<string, string> = { host: 'a' },
  measurement = 'cpu',
  database = 'db',
): Point {
  return { database, measurement, tags, fields, time };
}

export function query(overrides: Partial<SeriesQuery> = {}): SeriesQuery {
  return {
    database: 'db',
    measurement: 'cpu',
    field: 'usage',
    tags: {},
    from: T0 - 100 * HOUR,
    to: T0 + 100 * HOUR,
    aggregate: 'raw',
    limit: 10_000,
    ...overrides,
  };
}

export async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

export function letter(overrides: Partial<DeadLetter>): DeadLetter {
  return {
    time: T0,
    source: 'mqtt',
    clientId: 'dev-1',
    topic: 'sensors/1',
    payload: Buffer.from('{"bad":'),
    payloadSize: 7,
    rule: 'json-rule',
    code: 'ING_DECODE',
    message: 'unexpected end of JSON',
    ...overrides,
  };
}

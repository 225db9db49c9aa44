import { AppError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import type { StoreStats } from '../store.js';

/** Messages between WorkerStore (main thread) and store-worker (the DuckDB thread). */
export interface WorkerRequest {
  readonly id: number;
  readonly method: string;
  readonly args: unknown[];
}

export interface SerializedError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly state: StoreState }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError; readonly state: StoreState };

/** Sent with every response, so the main thread can answer stats() and isWritable() synchronously. */
export interface StoreState {
  readonly stats: StoreStats;
  readonly writable: boolean;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AppError) {
    return { code: err.code, message: err.message, ...(err.details ? { details: { ...err.details } } : {}) };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.code !== undefined && e.code in ERROR_CODES) {
    return new AppError(e.code as ErrorCode, e.message, e.details ? { details: e.details } : undefined);
  }
  return new Error(e.message);
}

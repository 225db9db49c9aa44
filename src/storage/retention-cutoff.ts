import { AppError } from '../core/errors.js';
import type { EpochMicros } from '../core/point.js';

/**
 * Every driver's deleteBefore() checks its cutoff here first: a NaN or fractional time would otherwise
 * turn into a SQL literal that deletes nothing (or everything) depending on the driver.
 */
export function validateRetentionCutoff(before: EpochMicros): void {
  if (!Number.isSafeInteger(before)) {
    throw new AppError(
      'QRY_BAD_PARAM',
      `deleteBefore needs an integer epoch time in microseconds, got ${String(before)}`,
    );
  }
}

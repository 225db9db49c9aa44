import { DatabaseError } from 'pg';
import { errorMessage } from '../../core/errors.js';

/**
 * A PostgreSQL error as one line for a user: the server's message with its SQLSTATE (what to search for),
 * and its detail and hint when it gives them. Connection-level failures (refused, reset, terminated) have
 * no SQLSTATE and keep their own message.
 */
export function describePgError(err: unknown): string {
  if (!(err instanceof DatabaseError)) return errorMessage(err);
  let text = `${err.message} (SQLSTATE ${err.code ?? 'unknown'})`;
  if (err.detail) text += `; ${err.detail}`;
  if (err.hint) text += `; hint: ${err.hint}`;
  return text;
}

import { type Env, authorizationHeader as header } from '../../config/http-client.js';
import type { ForwardAuth } from './config.js';

/**
 * The Authorization header of an output, read once at start: a missing variable or file stops the start
 * with a message naming it, instead of every delivery failing with 401 later.
 */
export async function authorizationHeader(
  auth: ForwardAuth | undefined,
  output: string,
  env: Env,
): Promise<string | undefined> {
  if (auth === undefined) return undefined;
  return header(auth, `forward output "${output}": auth`, env);
}

import { type Env, authorizationHeader as header } from '../../config/http-client.js';
import type { WebhookAuth } from './config.js';

export type { Env } from '../../config/http-client.js';

/**
 * The Authorization header of a webhook action. Read for each delivery rather than once, so a rotated
 * secret file is picked up without a restart; `where` names the rule and action in errors.
 */
export function authorizationHeader(auth: WebhookAuth, where: string, env: Env): Promise<string> {
  return header(auth, `${where}: auth`, env);
}

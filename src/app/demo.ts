import type { Authenticator } from '../auth/authenticator.js';
import type { Logger } from '../core/logger.js';
import { Simulator } from '../simulator/simulator.js';

const DEMO_USER = 'demo-devices';

/**
 * `start --demo`: a few simulated devices in this process, connected over real MQTT like any device,
 * with an in-memory credential so no password has to be shared with them.
 */
export async function startDemo(opts: {
  auth: Authenticator;
  mqttPort: number;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  // Least privilege even for the demo: it may publish what its devices send, and nothing else.
  const password = opts.auth.addEphemeralUser(
    DEMO_USER,
    ['sensors/+/temperature', 'sensors/+/humidity', '/pot'],
    [],
  );
  const sims = [
    new Simulator({
      url: `mqtt://127.0.0.1:${opts.mqttPort}`,
      username: DEMO_USER,
      password,
      devices: 3,
      intervalMs: 1000,
      profile: 'sensors',
      qos: 1,
      clientIdPrefix: 'demo-sensor',
      logger: opts.logger,
    }),
    new Simulator({
      url: `mqtt://127.0.0.1:${opts.mqttPort}`,
      username: DEMO_USER,
      password,
      devices: 1,
      intervalMs: 500,
      profile: 'pot',
      qos: 1,
      clientIdPrefix: 'demo-pot',
      logger: opts.logger,
    }),
  ];
  for (const sim of sims) await sim.start();
  opts.logger.info(
    'demo devices publishing: sensors/device-1..3/temperature|humidity and /pot (try GET /api/v1/series)',
  );
  return {
    stop: async () => {
      for (const sim of sims) await sim.stop();
    },
  };
}

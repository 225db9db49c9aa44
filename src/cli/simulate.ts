import { parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.js';
import { createLogger } from '../core/logger.js';
import { PROFILES, type ProfileName } from '../simulator/profiles/index.js';
import { Simulator } from '../simulator/simulator.js';

const HELP = `Usage: sensorhub simulate --url mqtt://HOST:PORT [options]

Simulated devices publishing over real MQTT, like the devices in the examples.
  --url URL            broker URL (mqtt://, mqtts://, ws://)          required
  --username U         MQTT username (default: admin)
  --password P         MQTT password (default: env SENSORHUB_SIM_PASSWORD or SENSORHUB_ADMIN_PASSWORD)
  --devices N          number of devices, one connection each            default 3
  --interval D         time between messages per device (500ms, 1s, …)  default 1s
  --profile NAME       ${Object.keys(PROFILES).join(' | ')}                              default sensors
  --qos 0|1|2          default 1
  --count N            stop each device after N messages
`;

export async function simulateCommand(argv: string[]): Promise<number> {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        devices: { type: 'string', default: '3' },
        interval: { type: 'string', default: '1s' },
        profile: { type: 'string', default: 'sensors' },
        qos: { type: 'string', default: '1' },
        count: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`sensorhub simulate: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const errors: string[] = [];
  const url = v.url as string | undefined;
  if (!url) errors.push('--url is required');
  const devices = Number(v.devices);
  if (!Number.isInteger(devices) || devices < 1) errors.push('--devices must be a positive integer');
  const intervalMs = parseDuration(String(v.interval));
  if (intervalMs === undefined || intervalMs <= 0)
    errors.push('--interval must be a duration like 500ms or 1s');
  const profile = String(v.profile);
  if (!(profile in PROFILES)) errors.push(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  const qos = Number(v.qos);
  if (qos !== 0 && qos !== 1 && qos !== 2) errors.push('--qos must be 0, 1 or 2');
  const count = v.count === undefined ? undefined : Number(v.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    errors.push('--count must be a positive integer');
  if (errors.length > 0) {
    process.stderr.write(`sensorhub simulate: ${errors.join('; ')}\n`);
    return 2;
  }

  const logger = createLogger('info');
  const sim = new Simulator({
    url: url as string,
    username: (v.username as string | undefined) ?? 'admin',
    password:
      (v.password as string | undefined) ??
      process.env.SENSORHUB_SIM_PASSWORD ??
      process.env.SENSORHUB_ADMIN_PASSWORD,
    devices,
    intervalMs: intervalMs as number,
    profile: profile as ProfileName,
    qos: qos as 0 | 1 | 2,
    logger,
    ...(count === undefined ? {} : { count }),
  });
  await sim.start();
  logger.info({ devices, profile, url }, 'simulating; Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // With --count, every device stops by itself after its last message.
    if (count !== undefined) void sim.finished().then(resolve);
  });
  await sim.stop();
  logger.flush();
  return 0;
}

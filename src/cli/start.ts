import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startServer } from '../app/app.js';
import { loadConfig } from '../config/load.js';
import { OPTIONS } from '../config/options.js';
import { systemClock } from '../core/clock.js';
import { isAppError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';

function help(): string {
  const rows = OPTIONS.map((o) => {
    const flag = o.flag ? `--${o.flag}${o.kind === 'boolean' ? '' : ' VALUE'}` : '';
    return `  ${o.key.padEnd(30)} ${flag.padEnd(26)} ${(o.env ?? '').padEnd(32)} default ${JSON.stringify(o.default)}\n      ${o.help}`;
  });
  return `Usage: sensorhub start [options]

Options (config file key, flag, env var, default). Precedence: flag > env > config file > default.
  --config FILE (SENSORHUB_CONFIG)   YAML config file; see docs/configuration.md
${rows.join('\n')}

Secrets come only from the environment: SENSORHUB_ADMIN_PASSWORD or SENSORHUB_ADMIN_PASSWORD_FILE, and in
external broker mode SENSORHUB_BROKER_PASSWORD or SENSORHUB_BROKER_PASSWORD_FILE.
`;
}

/** A secret from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes secrets). */
/** A secret from `NAME` or the file named by `NAME_FILE` (trimmed). */
export async function secretFromEnv(env: NodeJS.ProcessEnv, name: string): Promise<string | undefined> {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  const text = (await readFile(file, 'utf8')).trim();
  if (text === '') throw new Error(`${name}_FILE ${file} is empty`);
  return text;
}

export async function startCommand(argv: string[]): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const o of OPTIONS)
    if (o.flag) options[o.flag] = { type: o.kind === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
      .values as typeof values;
  } catch (err) {
    process.stderr.write(`sensorhub start: ${(err as Error).message}\n\n${help()}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help());
    return 0;
  }

  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({ file: values.config as string | undefined, env: process.env, flags: values });
  } catch (err) {
    if (isAppError(err)) {
      process.stderr.write(`sensorhub: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const logger = createLogger(config.logLevel);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, {
      logger,
      clock: systemClock,
      adminPassword: await secretFromEnv(process.env, 'SENSORHUB_ADMIN_PASSWORD'),
      brokerPassword: await secretFromEnv(process.env, 'SENSORHUB_BROKER_PASSWORD'),
      storagePassword: await secretFromEnv(process.env, 'SENSORHUB_STORAGE_PASSWORD'),
      announce: (text) => process.stderr.write(`${text}\n`),
    });
  } catch (err) {
    logger.flush();
    if (isAppError(err) && err.code === 'CFG_INVALID') {
      process.stderr.write(`sensorhub: ${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, 'sensorhub could not start');
    logger.flush();
    throw err;
  }

  let exitCode = 0;
  await new Promise<void>((resolve) => {
    let signals = 0;
    const shutdown = (why: Record<string, unknown>, message: string) => {
      logger.info(why, message);
      server.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        resolve();
      });
    };
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      shutdown({ signal }, 'shutting down: committing pending data');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // As Mosquitto and nginx do: SIGHUP reloads what can change without a restart (the ingest rules).
    const onHangup = () => {
      void server.reloadRules();
      void server.reloadDashboards();
    };
    process.on('SIGHUP', onHangup);
    // Exiting lets a supervisor (systemd Restart=on-failure, Kubernetes) start a healthy process.
    void server.failed.then(() => {
      exitCode = 1;
      shutdown({}, 'stopping after a fatal error');
    });
  });
  logger.info('sensorhub stopped');
  logger.flush();
  return exitCode;
}

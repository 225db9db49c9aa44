#!/usr/bin/env node
import { backupCommand, restoreCommand } from './backup.js';
import { certCommand } from './cert.js';
import { deadLettersCommand } from './dead-letters.js';
import { deviceCommand } from './device.js';
import { rulesCommand } from './rules.js';
import { simulateCommand } from './simulate.js';
import { startCommand } from './start.js';
import { storageCommand } from './storage.js';
import { tokenCommand } from './token.js';
import { exportCommand, importCommand } from './transfer.js';
import { userCommand } from './user.js';

const USAGE = `sensorhub — MQTT broker, ingest, time-series store and query API in one program

Usage:
  sensorhub start [--config FILE] [--data-dir DIR] [--mqtt-port N] [--http-port N] [--allow-anonymous] [--demo]
                  [--tls-cert FILE --tls-key FILE] [--mqtts-port N]
  sensorhub simulate --url mqtt://HOST:PORT [--username U] [--devices N] [--interval 1s] [--profile sensors|pot]
  sensorhub cert dev [--out DIR] [--host NAME]...   (a self-signed certificate for local TLS)
  sensorhub user list | add NAME | remove NAME | passwd NAME   (users, roles and topic ACLs)
  sensorhub device list | add NAME | remove NAME              (devices: credentials and presence)
  sensorhub rules test TOPIC PAYLOAD | check                  (what a message becomes under the rules)
  sensorhub dead-letters list | replay | delete [FILTER]      (rejected messages; replay after a fix)
  sensorhub storage roles                                     (least-privilege PostgreSQL roles)
  sensorhub export --db DB [--format lp|csv|parquet] | import FILE... --db DB   (line protocol, CSV, Parquet)
  sensorhub backup --out FILE|DIR | restore --from FILE|DIR --data-dir DIR   (live backup, offline restore)
  sensorhub token list | create --write DB [--read DB] | revoke ID   (API tokens for InfluxDB-style writes)
  sensorhub help [COMMAND]

Run "sensorhub start --help" for every option with its env var and default.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  start: startCommand,
  simulate: simulateCommand,
  cert: certCommand,
  user: userCommand,
  device: deviceCommand,
  token: tokenCommand,
  rules: rulesCommand,
  'dead-letters': deadLettersCommand,
  storage: storageCommand,
  export: exportCommand,
  import: importCommand,
  backup: backupCommand,
  restore: restoreCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const sub = rest[0] ? COMMANDS[rest[0]] : undefined;
    if (sub) return sub(['--help']);
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write('sensorhub 0.1.0\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`sensorhub: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sensorhub: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

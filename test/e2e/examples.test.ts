import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileActions } from '../../src/alerts/actions/runner.js';
import { compileAlertRules } from '../../src/alerts/model.js';
import { loadConfig } from '../../src/config/load.js';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { silentLogger } from '../../src/core/logger.js';
import { RulesSource } from '../../src/ingest/rules-source.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const EXAMPLES = resolve('examples');
const CLI = `${process.execPath} ${resolve('dist/src/cli/main.js')}`;

describe('examples', () => {
  const configs = readdirSync(EXAMPLES)
    .map((dir) => join(EXAMPLES, dir, 'sensorhub.yaml'))
    .filter((f) => existsSync(f));

  it.each(configs)(
    '%s is a valid config whose rules (rules files, schemas, alerts) compile',
    async (file) => {
      const config = await loadConfig({ file, env: {}, flags: {} });
      const source = await RulesSource.fromConfig(config, silentLogger);
      expect(source.rules.rules.length).toBeGreaterThan(0);
      for (const rule of compileAlertRules(config.alerts.rules)) compileActions(rule.actions, rule.name);
    },
  );
});

describe.skipIf(!existsSync('/usr/bin/mosquitto_pub'))('examples/echo-ingestion (seed 004)', () => {
  let dir: string;
  let srv: TestServer;
  const pub = 'echopub-password-1';
  const sub = 'echosub-password-1';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-echo-'));
    await writeFile(join(dir, 'pub.pw'), `${pub}\n`);
    await writeFile(join(dir, 'sub.pw'), `${sub}\n`);
    await chmod(join(dir, 'pub.pw'), 0o600);
    const provision = () =>
      run(
        join(EXAMPLES, 'echo-ingestion/provision-users.sh'),
        [join(dir, 'data'), join(dir, 'pub.pw'), join(dir, 'sub.pw')],
        {
          env: { PATH: process.env.PATH ?? '', SENSORHUB_BIN: CLI },
        },
      );
    await provision();
    // Again, as an init container does at every pod start: existing users just get their passwords.
    await provision();
    srv = await startTestServer({
      file: join(EXAMPLES, 'echo-ingestion/sensorhub.yaml'),
      dataDir: join(dir, 'data'),
    });
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('echopub publishes events, echosub receives them, and they are stored', async () => {
    const u = new URL(srv.mqttUrl);
    const listener = spawn('mosquitto_sub', [
      ...[
        '-h',
        u.hostname,
        '-p',
        u.port,
        '-u',
        'echosub',
        '-P',
        sub,
        '-t',
        'echo/#',
        '-v',
        '-C',
        '1',
        '-W',
        '10',
      ],
    ]);
    let out = '';
    let err = '';
    listener.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    listener.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const closed = new Promise((r) => listener.once('close', r));
    await new Promise((r) => setTimeout(r, 500));
    const payload = '{"confidence":0.92,"species_id":17,"battery_v":3.71}';
    await run('mosquitto_pub', [
      ...['-h', u.hostname, '-p', u.port, '-u', 'echopub', '-P', pub, '-q', '1'],
      ...['-t', 'echo/sensor-7/events', '-m', payload],
    ]);
    await closed;
    expect(out.trim(), err).toBe(`echo/sensor-7/events ${payload}`);
    const res = await srv.api('/api/v1/query?db=echo&measurement=event&field=confidence&agg=last');
    const body = (await res.json()) as QueryResponseDto;
    expect(body.series[0]).toMatchObject({ tags: { device: 'sensor-7' }, value: [0.92] });
    expect((await srv.api('/readyz', { auth: false })).status).toBe(200);
  });

  it('neither user can do the other one’s job', async () => {
    const u = new URL(srv.mqttUrl);
    const denied = await run('mosquitto_pub', [
      ...['-V', 'mqttv5', '-h', u.hostname, '-p', u.port, '-u', 'echosub', '-P', sub, '-q', '1'],
      ...['-t', 'echo/sensor-7/events', '-m', '{"confidence":1}'],
    ]).then(
      (r) => r.stderr,
      (e: { stderr: string }) => e.stderr,
    );
    expect(denied).toMatch(/not authori[sz]ed/i);
    const subDenied = await run('mosquitto_sub', [
      ...['-h', u.hostname, '-p', u.port, '-u', 'echopub', '-P', pub, '-t', 'echo/#', '-C', '1', '-W', '2'],
    ]).then(
      (r) => r.stderr,
      (e: { stderr: string }) => e.stderr,
    );
    expect(subDenied).toMatch(/denied|refused|not authori[sz]ed/i);
  });
});

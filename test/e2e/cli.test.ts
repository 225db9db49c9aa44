import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sensorhub CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage and every start option with its env var', async () => {
    const help = await cli(['start', '--help']);
    expect(help.code).toBe(0);
    for (const text of [
      '--mqtt-port',
      'SENSORHUB_MQTT_PORT',
      'SENSORHUB_ALLOW_ANONYMOUS',
      '--data-dir',
      '1883',
      '8086',
    ]) {
      expect(help.stdout).toContain(text);
    }
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('reports every config error as path: message and exits 2 without starting', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'mqtt:\n  port: 70000\nhttp:\n  port: -1\n');
    const res = await cli(['start', '--config', file, '--data-dir', join(dir, 'data')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/mqtt\.port .*: /);
    expect(res.stderr).toMatch(/http\.port .*: /);
    const badBool = await cli(['start', '--data-dir', join(dir, 'data')], { SENSORHUB_DEMO: 'maybe' });
    expect(badBool.stderr).toMatch(/demo \(env SENSORHUB_DEMO, flag --demo\): expected true or false/);
  });

  it('reports a bad rule template as a config error', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(
      file,
      'ingest:\n  rules:\n    - name: bess\n      topic: /batteries/+id/status\n      measurement: "{battery}"\n',
    );
    const res = await cli(
      ['start', '--config', file, '--data-dir', join(dir, 'data2'), '--mqtt-port', '0', '--http-port', '0'],
      {
        SENSORHUB_ADMIN_PASSWORD: 'x',
      },
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/ingest\.rules\.0: rule "bess": unknown reference \{battery\}/);
  });

  describe('simulate', () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer();
    });
    afterAll(async () => {
      await srv?.stop();
    });

    it('publishes the pot profile over real MQTT and stops after --count', async () => {
      const res = await cli(
        [
          'simulate',
          '--url',
          srv.mqttUrl,
          '--devices',
          '2',
          '--interval',
          '20ms',
          '--profile',
          'pot',
          '--count',
          '5',
        ],
        { SENSORHUB_ADMIN_PASSWORD: srv.password },
      );
      expect(res.code, res.stderr).toBe(0);
      const body = (await (
        await srv.api('/api/v1/query?measurement=pot&agg=count')
      ).json()) as QueryResponseDto;
      expect(body.series[0]?.tags).toEqual({ topic: '/pot' });
      expect(body.series[0]?.value[0]).toBe(10);
    });

    it('names bad simulate arguments', async () => {
      const res = await cli(['simulate', '--devices', 'zero', '--profile', 'toaster']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/--url is required/);
      expect(res.stderr).toMatch(/--devices must be a positive integer/);
      expect(res.stderr).toMatch(/--profile must be one of sensors, pot/);
    });
  });
});

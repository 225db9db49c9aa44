import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { basicAuth, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

function httpsGet(url: string, ca: Buffer, auth: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: auth } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS everywhere', () => {
  let dir: string;
  let ca: Buffer;
  let srv: TestServer;
  let mqttsPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-tls-'));
    await run(process.execPath, ['dist/src/cli/main.js', 'cert', 'dev', '--out', dir]);
    ca = await readFile(join(dir, 'sensorhub-dev.crt'));
    srv = await startTestServer({
      flags: {
        'tls-cert': join(dir, 'sensorhub-dev.crt'),
        'tls-key': join(dir, 'sensorhub-dev.key'),
        'mqtts-port': '0',
      },
    });
    mqttsPort = srv.server.mqttsPort as number;
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a key only its owner can read', async () => {
    const { stdout } = await run('stat', ['-c', '%a', join(dir, 'sensorhub-dev.key')]);
    expect(stdout.trim()).toBe('600');
  });

  it.skipIf(!existsSync('/usr/bin/mosquitto_pub'))(
    'accepts mosquitto_pub --cafile on the TLS port',
    async () => {
      await run('mosquitto_pub', [
        ...['--cafile', join(dir, 'sensorhub-dev.crt'), '-h', 'localhost', '-p', String(mqttsPort)],
        ...[
          '-q',
          '1',
          '-u',
          'admin',
          '-P',
          srv.password,
          '-t',
          'sensors/tls-device/temperature',
          '-m',
          '19.25',
        ],
      ]);
      const body = await httpsGet(
        `https://localhost:${srv.server.httpPort}/api/v1/query?measurement=temperature&agg=last&tag.device=tls-device`,
        ca,
        basicAuth('admin', srv.password),
      );
      expect(body.status).toBe(200);
      expect((JSON.parse(body.body) as QueryResponseDto).series[0]?.value).toEqual([19.25]);
    },
  );

  it('serves MQTT over TLS and over WSS to MQTT.js, with the certificate checked', async () => {
    const tlsClient = await mqtt.connectAsync(`mqtts://localhost:${mqttsPort}`, {
      ca,
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
    });
    await tlsClient.publishAsync('sensors/mqtts-device/v', '1', { qos: 1 });
    await tlsClient.endAsync();
    const wss = await mqtt.connectAsync(`wss://localhost:${srv.server.httpPort}/mqtt`, {
      ca,
      username: 'admin',
      password: srv.password,
    });
    await wss.publishAsync('sensors/wss-device/v', '2', { qos: 1 });
    await wss.endAsync();
    const res = await httpsGet(
      `https://localhost:${srv.server.httpPort}/api/v1/query?measurement=v&agg=last`,
      ca,
      basicAuth('admin', srv.password),
    );
    const devices = (JSON.parse(res.body) as QueryResponseDto).series.map((s) => s.tags.device).sort();
    expect(devices).toEqual(['mqtts-device', 'wss-device']);
  });

  it('refuses clients that do not trust the certificate, and plain TCP on the TLS port, and stays up', async () => {
    const untrusting = mqtt.connect(`mqtts://localhost:${mqttsPort}`, {
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    const err = await new Promise<Error>((resolve) => untrusting.once('error', resolve));
    expect(err.message).toMatch(/self.signed|certificate/i);
    untrusting.end(true);

    const plain = mqtt.connect(`mqtt://localhost:${mqttsPort}`, {
      username: 'admin',
      password: srv.password,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    const outcome = await new Promise<string>((resolve) => {
      plain.once('connect', () => resolve('connected'));
      plain.once('error', (e) => resolve(`error: ${e.message}`));
      plain.once('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('connected');
    plain.end(true);

    // Plain HTTP to the HTTPS port gets no answer, not a plaintext one.
    await expect(fetch(`http://localhost:${srv.server.httpPort}/readyz`)).rejects.toThrow();

    const health = await httpsGet(`https://localhost:${srv.server.httpPort}/readyz`, ca, '');
    expect(health.status).toBe(200);
  });

  it('rejects a key without a certificate as a config error', async () => {
    await expect(startTestServer({ flags: { 'tls-key': join(dir, 'sensorhub-dev.key') } })).rejects.toThrow(
      /set both tls.cert and tls.key/,
    );
    await expect(
      startTestServer({
        flags: { 'tls-cert': join(dir, 'missing.crt'), 'tls-key': join(dir, 'sensorhub-dev.key') },
      }),
    ).rejects.toThrow(/tls.cert: cannot read/);
  });
});

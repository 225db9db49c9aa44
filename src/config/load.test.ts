import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { loadConfig } from './load.js';

describe('loadConfig', () => {
  it('uses the documented defaults', async () => {
    const c = await loadConfig({ env: {}, flags: {} });
    expect(c.mqtt.port).toBe(1883);
    expect(c.http.port).toBe(8086);
    expect(c.dataDir).toBe('./data');
    expect(c.mqtt.allowAnonymous).toBe(false);
    expect(c.ingest.maxPayloadSize).toBe(256 * 1024);
    expect(Object.isFrozen(c.mqtt)).toBe(true);
  });

  it('layers file < env < flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sh-cfg-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'mqtt:\n  port: 1000\nhttp:\n  port: 2000\ndataDir: /from/file\n');
    const c = await loadConfig({
      file,
      env: { SENSORHUB_MQTT_PORT: '3000', SENSORHUB_ALLOW_ANONYMOUS: 'true' },
      flags: { 'mqtt-port': '0' },
    });
    expect(c.mqtt.port).toBe(0);
    expect(c.http.port).toBe(2000);
    expect(c.dataDir).toBe('/from/file');
    expect(c.mqtt.allowAnonymous).toBe(true);
  });

  it('reports every error as path: message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sh-cfg-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'mqtt:\n  port: 99999\n  colour: blue\ningest:\n  maxPayloadSize: lots\n');
    const err = await loadConfig({ file, env: { SENSORHUB_HTTP_PORT: 'abc' }, flags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('CFG_INVALID');
    expect(err.message).toMatch(/mqtt\.port \(env SENSORHUB_MQTT_PORT, flag --mqtt-port\): /);
    expect(err.message).toMatch(/http\.port .*: /);
    expect(err.message).toMatch(/ingest\.maxPayloadSize .*"lots" is not a size/);
    expect(err.message).toMatch(/colour/);
  });

  it('validates rules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sh-cfg-'));
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      'ingest:\n  rules:\n    - name: bess\n      topic: /batteries/+id/status\n      format: json\n      measurement: battery\n      tags: { id: "{id}" }\n    - name: broken\n      format: xml\n',
    );
    const err = await loadConfig({ file, env: {}, flags: {} }).catch((e) => e);
    expect(err.message).toMatch(/ingest\.rules\.1\.topic/);
    expect(err.message).toMatch(/ingest\.rules\.1\.format/);
  });

  it('names an unreadable file', async () => {
    await expect(loadConfig({ file: '/nonexistent/x.yaml', env: {}, flags: {} })).rejects.toThrow(
      /cannot read config file \/nonexistent\/x.yaml/,
    );
  });
});

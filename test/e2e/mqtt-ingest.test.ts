import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const hasMosquittoClients = existsSync('/usr/bin/mosquitto_pub');

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.stop();
});

async function query(params: string): Promise<QueryResponseDto> {
  const res = await srv.api(`/api/v1/query?${params}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as QueryResponseDto;
}

describe('MQTT → ingest → store → query, with no config', () => {
  it.skipIf(!hasMosquittoClients)(
    'stores a mosquitto_pub reading on sensors/<device>/<sensor> (seed 000)',
    async () => {
      const url = new URL(srv.mqttUrl);
      await run('mosquitto_pub', [
        ...['-h', url.hostname, '-p', url.port, '-q', '1', '-u', 'admin', '-P', srv.password],
        ...['-t', 'sensors/bathroom/temperature', '-m', '21.5'],
      ]);
      // The PUBACK came after the commit, so the point is queryable at once.
      const body = await query('measurement=temperature&field=value&agg=last&tag.device=bathroom');
      expect(body.series).toHaveLength(1);
      expect(body.series[0]?.tags).toEqual({ device: 'bathroom' });
      expect(body.series[0]?.value).toEqual([21.5]);
    },
  );

  it('stores a plain number on any other topic under its last level with a topic tag (seed 001 /pot)', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    await client.publishAsync('/pot', '2048', { qos: 1 });
    await client.publishAsync('home/kitchen/env', '{"temp":19.5,"hum":{"rel":45},"door":false,"label":"x"}', {
      qos: 1,
    });
    await client.endAsync();
    const pot = await query('measurement=pot&agg=last');
    expect(pot.series[0]?.tags).toEqual({ topic: '/pot' });
    expect(pot.series[0]?.value).toEqual([2048]);
    const series = (await (await srv.api('/api/v1/series?measurement=env')).json()) as {
      series: Array<{ tags: Record<string, string>; fields: Record<string, string> }>;
    };
    expect(series.series).toEqual([
      expect.objectContaining({
        tags: { topic: 'home/kitchen/env' },
        fields: { temp: 'float', hum_rel: 'float', door: 'boolean' },
      }),
    ]);
    const door = await query('measurement=env&field=door&agg=last');
    expect(door.series[0]?.value).toEqual([false]);
  });

  it('carries non-telemetry messages on other topics like a plain broker, without storing them', async () => {
    const sub = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    await sub.subscribeAsync('lights/+/set', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
    const pub = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    await pub.publishAsync('lights/porch/set', 'ON', { qos: 1 });
    expect(await got).toBe('ON');
    await Promise.all([sub.endAsync(), pub.endAsync()]);
    const res = await srv.api('/api/v1/dead-letters?topic=lights/porch/set');
    expect(((await res.json()) as { deadLetters: unknown[] }).deadLetters).toEqual([]);
  });

  it('accepts MQTT over WebSocket at /mqtt', async () => {
    const client = await mqtt.connectAsync(srv.wsUrl, { username: 'admin', password: srv.password });
    await client.publishAsync('sensors/ws-device/co2', '415', { qos: 1 });
    await client.endAsync();
    expect((await query('measurement=co2&agg=last&tag.device=ws-device')).series[0]?.value).toEqual([415]);
  });

  it('buckets and fills over time', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    for (const v of [1, 2, 3, 4])
      await client.publishAsync('sensors/bucket-dev/level', String(v), { qos: 1 });
    await client.endAsync();
    const mean = await query(
      'measurement=level&agg=mean&tag.device=bucket-dev&from=-1m&interval=1m&fill=null',
    );
    const values = mean.series[0]?.value ?? [];
    expect(values.filter((v) => v !== null)).toEqual([2.5]);
    expect(values.length).toBeGreaterThanOrEqual(1);
    const count = await query('measurement=level&agg=count&tag.device=bucket-dev');
    expect(count.series[0]?.value).toEqual([4]);
    const raw = await query('measurement=level&tag.device=bucket-dev');
    expect(raw.series[0]?.value).toEqual([1, 2, 3, 4]);
    expect(raw.series[0]?.time.every((t) => Math.abs(t - Date.now()) < 60_000)).toBe(true);
  });

  it('works for a Python paho-mqtt publisher too', async () => {
    const url = new URL(srv.mqttUrl);
    const script = `
import sys, paho.mqtt.client as mqtt
try:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-test")
except AttributeError:
    c = mqtt.Client(client_id="paho-test")
c.username_pw_set("admin", sys.argv[3])
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_start()
info = c.publish("sensors/paho-device/pressure", "1013.25", qos=1)
info.wait_for_publish(5)
c.loop_stop(); c.disconnect()
`;
    // Debian's python3 with python3-paho-mqtt (installed by .ci/run), not whatever python3 is first on PATH.
    await run('/usr/bin/python3', ['-c', script, url.hostname, url.port, srv.password]);
    const body = await eventually(async () => {
      const r = await query('measurement=pressure&agg=last&tag.device=paho-device');
      return r.series.length > 0 ? r : undefined;
    });
    expect(body.series[0]?.value).toEqual([1013.25]);
  });
});

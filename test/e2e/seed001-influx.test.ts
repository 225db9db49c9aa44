import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

/**
 * Seed 001's own listener (paho-mqtt + the `influxdb` client, as the seed's blog post has it), changed
 * only in host and port, against sensorhub; then the seed's Grafana query through the InfluxDB client.
 * The seed used anonymous MQTT and no InfluxDB credentials, so this server runs with --allow-anonymous
 * (the opt-in a user of that code makes; otherwise the listener needs a username and password).
 */
const LISTENER = `
import paho.mqtt.client as mqtt
from influxdb import InfluxDBClient
import datetime
import logging


def persists(msg):
    current_time = datetime.datetime.utcnow().isoformat()
    json_body = [
        {
            "measurement": "pot",
            "tags": {},
            "time": current_time,
            "fields": {
                "value": int(msg.payload)
            }
        }
    ]
    logging.info(json_body)
    influx_client.write_points(json_body)


logging.basicConfig(level=logging.INFO)
influx_client = InfluxDBClient('docker', 8086, database='iot')
client = mqtt.Client()

client.on_connect = lambda self, mosq, obj, rc: self.subscribe("/pot")
client.on_message = lambda client, userdata, msg: persists(msg)

client.connect("docker", 1883, 60)

client.loop_forever()
`;

const HAVE = existsSync('/usr/bin/mosquitto_pub') && existsSync(PYTHON);

describe.skipIf(!HAVE)(
  'seed 001: the Python listener and the Grafana query, unchanged but for host and port',
  () => {
    let dir: string;
    let srv: TestServer;
    let listener: ChildProcess;
    let listenerLog = '';

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sensorhub-seed001-'));
      srv = await startTestServer({ flags: { 'allow-anonymous': true } });
      const { port: mqttPort } = new URL(srv.mqttUrl);
      const httpPort = new URL(srv.httpUrl).port;
      const script = LISTENER.replace(
        "InfluxDBClient('docker', 8086,",
        `InfluxDBClient('127.0.0.1', ${httpPort},`,
      ).replace('client.connect("docker", 1883, 60)', `client.connect("127.0.0.1", ${mqttPort}, 60)`);
      await writeFile(join(dir, 'listener.py'), script);
      listener = spawn(PYTHON, [join(dir, 'listener.py')], { stdio: ['ignore', 'pipe', 'pipe'] });
      listener.stderr?.on('data', (d: Buffer) => {
        listenerLog += d.toString();
      });
      // The listener subscribes on connect; wait until sensorhub has it as a client.
      await eventually(async () => {
        const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
        const m = /sensorhub_mqtt_clients_connected (\d+)/.exec(metrics);
        return m && Number(m[1]) >= 1 ? true : undefined;
      }, 10_000);
      await new Promise((r) => setTimeout(r, 300));
    });

    afterAll(async () => {
      listener?.kill('SIGKILL');
      await srv?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('stores what the ESP32 publishes, and the dashboard query returns the series', async () => {
      const { port } = new URL(srv.mqttUrl);
      for (const v of ['10', '55', '97']) {
        await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', '/pot', '-m', v]);
        await new Promise((r) => setTimeout(r, 1100));
      }
      await eventually(async () => (listenerLog.match(/'value': 97/) ? true : undefined), 10_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}; listener log:\n${listenerLog}`);
        },
      );
      const query = `
from influxdb import InfluxDBClient
import json, sys
c = InfluxDBClient('127.0.0.1', int(sys.argv[1]), database='iot')
rs = c.query('SELECT last("value") FROM "pot" WHERE time >= now() - 5m GROUP BY time(1s) fill(previous)')
print(json.dumps(list(rs.get_points())))
`;
      const { stdout } = await run(PYTHON, ['-c', query, new URL(srv.httpUrl).port]);
      const points = JSON.parse(stdout) as Array<{ time: string; last: number | null }>;
      // One row per second over the last 5 minutes, the value carried forward (fill(previous)).
      expect(points.length).toBeGreaterThanOrEqual(300);
      const values = points.map((p) => p.last).filter((v): v is number => v !== null);
      expect(values).toContain(10);
      expect(values).toContain(55);
      expect(values[values.length - 1]).toBe(97);
      const firstValue = points.findIndex((p) => p.last !== null);
      expect(points.slice(firstValue).every((p) => p.last !== null)).toBe(true);
      expect(points[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
  },
);

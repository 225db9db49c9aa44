import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterDto, QueryResponseDto } from '../../src/contract/api.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const EXAMPLES = resolve('examples');
const HAVE_CLIENTS = existsSync('/usr/bin/mosquitto_pub');

/**
 * Each seed's exact topics and payloads, published by a real client, read back through the query API:
 * seed 000 (mosquitto_pub, plain values), 001 (paho, /pot), 002 (MQTT.js v5, schema-checked KPIs, with a
 * rule fix and a dead-letter replay), 003 (mosquitto_pub, BESS battery JSON).
 */
describe.skipIf(!HAVE_CLIENTS)('seed payloads end to end', () => {
  let dir: string;
  let srv: TestServer;
  let host: string;
  let port: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-seeds-'));
    // The KPI example's rules and schema, in a folder the test may edit (to "fix" the rule later).
    await copyFile(join(EXAMPLES, 'kpi-collection/rules.yaml'), join(dir, 'rules.yaml'));
    await copyFile(join(EXAMPLES, 'kpi-collection/kpi_msg_schema.json'), join(dir, 'kpi_msg_schema.json'));
    // The BESS example's rule, inline in a config file, after the KPI rules file; the built-in rules cover
    // seeds 000 and 001.
    const bess = await readFile(join(EXAMPLES, 'bess/sensorhub.yaml'), 'utf8');
    const bessRules = bess.slice(bess.indexOf('  rules:'));
    await writeFile(
      join(dir, 'sensorhub.yaml'),
      `ingest:\n  rulesFile: ${join(dir, 'rules.yaml')}\n${bessRules}`,
    );
    srv = await startTestServer({ file: join(dir, 'sensorhub.yaml') });
    ({ hostname: host, port } = new URL(srv.mqttUrl));
  });

  afterAll(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function query(params: string): Promise<QueryResponseDto> {
    const res = await srv.api(`/api/v1/query?from=-1d&${params}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as QueryResponseDto;
  }

  async function until(params: string, count: number): Promise<QueryResponseDto> {
    return eventually(async () => {
      const r = await query(params);
      const n = r.series.reduce((sum, s) => sum + s.value.length, 0);
      return n >= count ? r : undefined;
    });
  }

  const mosquittoPub = (topic: string, payload: string) =>
    run('mosquitto_pub', [
      '-h',
      host,
      '-p',
      port,
      '-u',
      'admin',
      '-P',
      srv.password,
      '-q',
      '1',
      '-t',
      topic,
      '-m',
      payload,
    ]);

  it('seed 000: plain numbers on sensors/<device>/<sensor> (mosquitto_pub)', async () => {
    await mosquittoPub('sensors/bathroom/temperature', '21.5');
    await mosquittoPub('sensors/bathroom/humidity', '64.2');
    const t = await until('measurement=temperature&tag.device=bathroom', 1);
    expect(t.series[0]).toMatchObject({
      measurement: 'temperature',
      tags: { device: 'bathroom' },
      field: 'value',
      value: [21.5],
    });
    expect((await until('measurement=humidity&tag.device=bathroom', 1)).series[0]?.value).toEqual([64.2]);
  });

  it('seed 001: integers on /pot (Python paho-mqtt)', async () => {
    const script = `
import sys, paho.mqtt.client as mqtt
try:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="esp32-pot")
except AttributeError:
    c = mqtt.Client(client_id="esp32-pot")
c.username_pw_set("admin", sys.argv[3])
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_start()
for v in ("1023", "2048", "4095"):
    c.publish("/pot", v, qos=1).wait_for_publish(5)
c.loop_stop(); c.disconnect()
`;
    await run('/usr/bin/python3', ['-c', script, host, port, srv.password]);
    const r = await until('measurement=pot&tag.topic=/pot', 3);
    expect(r.series[0]).toMatchObject({
      measurement: 'pot',
      tags: { topic: '/pot' },
      value: [1023, 2048, 4095],
    });
  });

  it('seed 003: battery status JSON on /batteries/<id>/status becomes tags and fields (mosquitto_pub)', async () => {
    await mosquittoPub(
      '/batteries/1/status',
      '{"id":1,"soc":85.2,"soh":97.5,"voltage":51.2,"current":-12.3,"temperature":28.1,"state":"discharging"}',
    );
    const soc = await until('db=bess&measurement=battery_status&field=soc', 1);
    expect(soc.series[0]).toMatchObject({ tags: { battery: '1', state: 'discharging' }, value: [85.2] });
    expect((await query('db=bess&measurement=battery_status&field=current')).series[0]?.value).toEqual([
      -12.3,
    ]);
    // `id` is excluded: the topic already says which battery it is.
    const fields = (await (await srv.api('/api/v1/series?db=bess&measurement=battery_status')).json()) as {
      series: Array<{ fields: Record<string, string> }>;
    };
    expect(Object.keys(fields.series[0]?.fields ?? {}).sort()).toEqual([
      'current',
      'soc',
      'soh',
      'temperature',
      'voltage',
    ]);
  });

  it('seed 002: schema-valid KPIs are stored with their own timestamp; invalid ones are rejected, fixed and replayed', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      protocolVersion: 5,
      clientId: 'temp-pub01',
      username: 'admin',
      password: srv.password,
    });
    try {
      const at = '2025-11-22T10:00:00.250Z';
      await client.publishAsync(
        '/kpi/engineTemp/temp-pub01',
        JSON.stringify({ timestamp: at, value: 87.5, unit: '°C' }),
        { qos: 1 },
      );
      const r = await until('db=kpis&measurement=kpi&from=2025-11-22T00:00:00Z&to=2025-11-23T00:00:00Z', 1);
      expect(r.series[0]).toMatchObject({
        tags: { kpi: 'engineTemp', client: 'temp-pub01', unit: '°C' },
        value: [87.5],
      });
      expect(r.series[0]?.time).toEqual([Date.parse(at)]);

      // A publisher that sends the value as a string (a common firmware bug): the schema says number.
      // MQTT 5 tells the publisher at once (PUBACK 0x99, with the reason).
      const badPayloads = [1, 2, 3].map((i) =>
        JSON.stringify({ timestamp: `2025-11-22T10:00:0${i}Z`, value: `${80 + i}.5`, unit: '°C' }),
      );
      for (const payload of badPayloads) {
        const err = await client.publishAsync('/kpi/engineTemp/temp-pub01', payload, { qos: 1 }).then(
          () => undefined,
          (e: Error & { code?: number }) => e,
        );
        expect(err?.code).toBe(0x99);
      }
      // A client id that is not 10 characters long is refused by the topic constraint.
      await client
        .publishAsync('/kpi/engineTemp/short', JSON.stringify({ timestamp: at, value: 1, unit: '°C' }), {
          qos: 1,
        })
        .catch(() => {});

      const letters = await eventually(async () => {
        const res = await srv.api('/api/v1/dead-letters?rule=kpi&code=ING_SCHEMA');
        const body = (await res.json()) as { total: number; deadLetters: DeadLetterDto[] };
        return body.total === 3 && body.deadLetters.length === 3 ? body : undefined;
      });
      expect(letters.deadLetters[0]?.message).toContain('/value: must be number');
      expect(letters.deadLetters[0]?.topic).toBe('/kpi/engineTemp/temp-pub01');
      const constraint = (await (await srv.api('/api/v1/dead-letters?code=ING_TOPIC_CONSTRAINT')).json()) as {
        deadLetters: DeadLetterDto[];
      };
      expect(constraint.deadLetters[0]?.message).toContain('client "short" must be exactly 10 characters');

      // Replaying before the fix changes nothing: they are still rejected, and kept.
      const before = (await (
        await srv.api('/api/v1/dead-letters/replay', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'ING_SCHEMA' }),
        })
      ).json()) as { matched: number; stored: number; rejected: number };
      expect(before).toMatchObject({ matched: 3, stored: 0, rejected: 3 });

      // The fix: accept numeric strings in the schema and coerce the field to a number; then reload.
      const schemaFile = join(dir, 'kpi_msg_schema.json');
      const schema = JSON.parse(await readFile(schemaFile, 'utf8')) as {
        properties: Record<string, unknown>;
      };
      schema.properties.value = {
        anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' }],
      };
      await writeFile(schemaFile, JSON.stringify(schema));
      const rulesFile = join(dir, 'rules.yaml');
      const rules = await readFile(rulesFile, 'utf8');
      await writeFile(
        rulesFile,
        rules.replace('      value: $.value', '      value: { value: $.value, type: float }'),
      );
      const reload = await srv.api('/api/v1/rules/reload', { method: 'POST' });
      expect(reload.status, await reload.clone().text()).toBe(200);

      const replay = (await (
        await srv.api('/api/v1/dead-letters/replay', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'ING_SCHEMA' }),
        })
      ).json()) as { matched: number; stored: number; rejected: number };
      expect(replay).toMatchObject({ matched: 3, stored: 3, rejected: 0 });

      const all = await until('db=kpis&measurement=kpi&from=2025-11-22T00:00:00Z&to=2025-11-23T00:00:00Z', 4);
      expect(all.series[0]?.value).toEqual([87.5, 81.5, 82.5, 83.5]);
      const left = (await (await srv.api('/api/v1/dead-letters?rule=kpi')).json()) as { total: number };
      expect(left.total).toBe(1);
    } finally {
      await client.endAsync();
    }
  });

  it('seed 002: camera images on /images/<kpi>/<client> go to the blob store; the point links to them', async () => {
    // A real 1x1 PNG, sent with the MQTT 5 content-type property, and one without it (sniffed).
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      protocolVersion: 5,
      clientId: 'cam-rpi-01',
      username: 'admin',
      password: srv.password,
    });
    try {
      await client.publishAsync('/images/engineTemp/cam-rpi-01', png, {
        qos: 1,
        properties: { contentType: 'image/png' },
      });
    } finally {
      await client.endAsync();
    }
    const r = await until('db=kpis&measurement=kpi_image&field=url', 1);
    expect(r.series[0]?.tags).toEqual({ kpi: 'engineTemp', client: 'cam-rpi-01' });
    const url = r.series[0]?.value[0] as string;
    expect(url).toMatch(/^\/api\/v1\/blobs\/kpis\/kpi_image\/.+\.png$/);
    const size = await query('db=kpis&measurement=kpi_image&field=size');
    expect(size.series[0]?.value).toEqual([png.length]);
    const blob = await srv.api(url);
    expect(blob.status).toBe(200);
    expect(blob.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await blob.arrayBuffer()).equals(png)).toBe(true);
    // Blobs need the same credentials as the rest of the API.
    expect((await srv.api(url, { auth: false })).status).toBe(401);
  });

  it('a broken rules file is refused on reload and the running rules stay', async () => {
    const rulesFile = join(dir, 'rules.yaml');
    const good = await readFile(rulesFile, 'utf8');
    await writeFile(
      rulesFile,
      `${good}\n  - name: broken\n    topic: a/#x/b\n    measurement: m\n    fields: { v: "$..v" }\n`,
    );
    try {
      const res = await srv.api('/api/v1/rules/reload', { method: 'POST' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; errors: string[] };
      expect(body.code).toBe('CFG_INVALID');
      expect(body.errors.join('\n')).toMatch(/rules\.2: rule "broken": "#" must be the last level/);
      await mosquittoPub('sensors/bathroom/temperature', '22.5');
      await until('measurement=temperature&tag.device=bathroom', 2);
    } finally {
      await writeFile(rulesFile, good);
    }
  });
});

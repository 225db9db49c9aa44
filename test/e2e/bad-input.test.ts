import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterDto, QueryResponseDto } from '../../src/contract/api.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ env: { SENSORHUB_MAX_PAYLOAD_SIZE: '1KiB' } });
});
afterAll(async () => {
  await srv?.stop();
});

async function deadLetters(query: string): Promise<DeadLetterDto[]> {
  const res = await srv.api(`/api/v1/dead-letters?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deadLetters: DeadLetterDto[] }).deadLetters;
}

/** A raw MQTT 3.1.1 connection, to send exactly the packets a test needs (e.g. a DUP re-delivery). */
async function rawClient(
  url: string,
  password: string,
): Promise<{ socket: Socket; packets: mqttPacket.Packet[] }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'raw-dup',
      keepalive: 30,
      username: 'admin',
      password: Buffer.from(password),
    }),
  );
  await eventually(async () => (packets.some((p) => p.cmd === 'connack') ? true : undefined));
  return { socket, packets };
}

describe('bad input', () => {
  it('answers an MQTT 5 publisher with 0x99 and a reason, keeps a dead letter, and stays up', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
      clientId: 'esp32-broken',
    });
    const ack = await new Promise<{ reasonCode?: number; properties?: { reasonString?: string } }>(
      (resolve) => {
        client.publish('sensors/broken/temperature', 'twenty-one', { qos: 1 }, (err, packet) => {
          resolve((packet ?? err) as never);
        });
      },
    );
    expect(ack.reasonCode).toBe(0x99);
    expect(ack.properties?.reasonString).toMatch(/ING_DECODE.*"twenty-one" is not a number/);
    // The connection survives and good data still flows.
    await client.publishAsync('sensors/broken/temperature', '21', { qos: 1 });
    await client.endAsync();

    const letters = await eventually(async () => {
      const l = await deadLetters('topic=sensors/broken/temperature');
      return l.length > 0 ? l : undefined;
    });
    expect(letters[0]).toMatchObject({
      clientId: 'esp32-broken',
      topic: 'sensors/broken/temperature',
      payload: 'twenty-one',
      payloadEncoding: 'utf8',
      rule: 'default-sensors',
      code: 'ING_DECODE',
      source: 'mqtt',
    });
    const res = await srv.api('/api/v1/query?measurement=temperature&tag.device=broken');
    expect(((await res.json()) as QueryResponseDto).series[0]?.value).toEqual([21]);
    const metrics = await (await srv.api('/metrics', { auth: false })).text();
    expect(metrics).toMatch(/sensorhub_ingest_rejected_total\{reason="ING_DECODE"\} [1-9]/);
  });

  it('dead-letters a bad payload from an MQTT 3.1.1 publisher (which cannot be told) and keeps it connected', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      clientId: 'v311',
    });
    await client.publishAsync('sensors/v311/hum', '{"broken json', { qos: 1 });
    await client.publishAsync('sensors/v311/hum', '\u0000\u0001\u00ff', { qos: 0 });
    await client.publishAsync('sensors/v311/hum', '55', { qos: 1 });
    expect(client.connected).toBe(true);
    await client.endAsync();
    const letters = await eventually(async () => {
      const l = await deadLetters('topic=sensors/v311/hum');
      return l.length >= 2 ? l : undefined;
    });
    expect(letters.map((l) => l.code).sort()).toEqual(['ING_DECODE', 'ING_DECODE']);
  });

  it('refuses payloads over ingest.maxPayloadSize with ING_TOO_LARGE', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
    });
    const big = `{"v":1,"pad":"${'x'.repeat(2000)}"}`;
    const ack = await new Promise<{ reasonCode?: number }>((resolve) =>
      client.publish('sensors/big/v', big, { qos: 1 }, (_e, p) => resolve(p as never)),
    );
    expect(ack.reasonCode).toBe(0x99);
    await client.endAsync();
    const letters = await eventually(async () => {
      const l = await deadLetters('code=ING_TOO_LARGE');
      return l.length > 0 ? l : undefined;
    });
    expect(letters[0]?.payloadSize).toBe(big.length);
  });

  it('a field written with another type is refused (STO_FIELD_TYPE_CONFLICT), others still commit', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
    });
    await client.publishAsync('sensors/typed/state', '1', { qos: 1 });
    const ack = await new Promise<{ reasonCode?: number }>((resolve) =>
      client.publish('sensors/typed/state', 'true', { qos: 1 }, (_e, p) => resolve(p as never)),
    );
    expect(ack.reasonCode).toBe(0x99);
    await client.endAsync();
    const letters = await eventually(async () => {
      const l = await deadLetters('code=STO_FIELD_TYPE_CONFLICT');
      return l.length > 0 ? l : undefined;
    });
    expect(letters[0]?.topic).toBe('sensors/typed/state');
  });

  it('a QoS 1 re-delivery (DUP) is the same point, not a second one', async () => {
    const { socket, packets } = await rawClient(srv.mqttUrl, srv.password);
    const publish = (dup: boolean) =>
      socket.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: 'sensors/dup-device/energy',
          payload: Buffer.from('12.5'),
          qos: 1,
          dup,
          retain: false,
          messageId: 42,
        }),
      );
    publish(false);
    await eventually(async () => (packets.filter((p) => p.cmd === 'puback').length === 1 ? true : undefined));
    publish(true);
    await eventually(async () => (packets.filter((p) => p.cmd === 'puback').length === 2 ? true : undefined));
    socket.end();
    const res = await srv.api('/api/v1/query?measurement=energy&agg=count&tag.device=dup-device');
    expect(((await res.json()) as QueryResponseDto).series[0]?.value).toEqual([1]);
  });

  it('survives garbage bytes on the MQTT port and on the WebSocket path', async () => {
    const u = new URL(srv.mqttUrl);
    const socket = connect(Number(u.port), u.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01]));
    socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
    });
    expect((await srv.api('/readyz', { auth: false })).status).toBe(200);
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('names a bad query parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['agg=mean', /measurement is required/],
      ['measurement=x&agg=median', /agg "median"/],
      ['measurement=x&from=yesterday', /from "yesterday"/],
      ['measurement=x&agg=mean&interval=fast', /interval "fast"/],
      ['measurement=x&agg=mean&interval=1s&fill=sometimes', /fill "sometimes"/],
      ['measurement=x&agg=mean&interval=1ms&from=-30d&fill=null', /query.maxPoints/],
    ];
    for (const [q, re] of cases) {
      const res = await srv.api(`/api/v1/query?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toMatch(/^QRY_/);
      expect(body.error, q).toMatch(re);
    }
  });

  it('names a database that does not exist', async () => {
    const res = await srv.api('/api/v1/query?db=typo&measurement=temperature');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      code: 'QRY_DATABASE_NOT_FOUND',
      error: 'database "typo" does not exist',
    });
  });

  it('closes a connection that sends a packet over mqtt.maxPacketSize (MQTT 5: DISCONNECT 0x95)', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const disconnect = new Promise<number | undefined>((resolve) => {
      client.on('disconnect', (packet) => resolve(packet.reasonCode));
      client.on('close', () => resolve(undefined));
    });
    client.publish('sensors/huge/v', Buffer.alloc(2 * 1024 * 1024, 0x31), { qos: 1 });
    expect(await disconnect).toBe(0x95);
    client.end(true);
    expect((await srv.api('/readyz', { auth: false })).status).toBe(200);
  });
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto } from '../../src/contract/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Backs the MQTT 5 support matrix in docs/mqtt.md with real MQTT.js clients. */
describe('MQTT 5 features', () => {
  let srv: TestServer;
  const v5 = () =>
    mqtt.connectAsync(srv.mqttUrl, {
      username: 'admin',
      password: srv.password,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('forwards user properties, response topic and correlation data (request/response), with subscription ids', async () => {
    const sub = await v5();
    await sub.subscribeAsync('rpc/request/#', { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const got = new Promise<mqtt.IPublishPacket>((resolve) =>
      sub.on('message', (_t, _p, packet) => resolve(packet)),
    );
    const pub = await v5();
    await pub.publishAsync('rpc/request/reboot', 'now', {
      qos: 1,
      properties: {
        userProperties: { origin: 'dashboard' },
        responseTopic: 'rpc/response/dashboard',
        correlationData: Buffer.from('req-7'),
        contentType: 'text/plain',
      },
    });
    const packet = await got;
    expect(packet.properties?.userProperties).toEqual({ origin: 'dashboard' });
    expect(packet.properties?.responseTopic).toBe('rpc/response/dashboard');
    expect(packet.properties?.correlationData?.toString()).toBe('req-7');
    expect(packet.properties?.contentType).toBe('text/plain');
    expect(packet.properties?.subscriptionIdentifier).toBe(42);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it('accepts inbound topic aliases, and the aliased publishes are stored', async () => {
    const pub = await v5();
    await pub.publishAsync('sensors/alias-device/temperature', '20', {
      qos: 1,
      properties: { topicAlias: 3 },
    });
    await pub.publishAsync('', '21', { qos: 1, properties: { topicAlias: 3 } });
    await pub.endAsync();
    const res = (await (
      await srv.api('/api/v1/query?measurement=temperature&tag.device=alias-device')
    ).json()) as QueryResponseDto;
    expect(res.series[0]?.value).toEqual([20, 21]);
  });

  it('refuses shared subscriptions with 0x9E (not supported by the embedded broker)', async () => {
    const c = await v5();
    const codes = await new Promise<number[]>((resolve) =>
      c.subscribe('$share/group/sensors/#', (err, granted) => {
        const suback = (err as (Error & { packet?: { granted?: number[] } }) | null)?.packet?.granted;
        resolve(suback ?? (granted ?? []).map((g) => g.qos));
      }),
    );
    expect(codes).toEqual([0x9e]);
    await c.endAsync();
  });

  it('drops a retained message once its message expiry interval has passed', async () => {
    const pub = await v5();
    await pub.publishAsync('status/door', 'open', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    await pub.publishAsync('status/window', 'closed', { qos: 1, retain: true });
    await pub.endAsync();
    await new Promise((r) => setTimeout(r, 1500));
    const sub = await v5();
    const received: string[] = [];
    const windowArrived = new Promise<void>((resolve) =>
      sub.on('message', (topic) => {
        received.push(topic);
        if (topic === 'status/window') resolve();
      }),
    );
    await sub.subscribeAsync('status/#', { qos: 1 });
    await windowArrived;
    await new Promise((r) => setTimeout(r, 200));
    // The retained message without expiry is delivered; the expired one is not.
    expect(received).toEqual(['status/window']);
    await sub.endAsync();
  });
});

import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/lib/processes.js';
import { silentLogger } from '../../src/core/logger.js';
import { Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { hasMosquitto, MOSQUITTO_BIN, type RunningMosquitto, startMosquitto } from './mosquitto.js';

if (!hasMosquitto) {
  console.warn(
    `simulator integration test skipped: ${MOSQUITTO_BIN} is not installed (apt-get install mosquitto)`,
  );
}

interface Received {
  topic: string;
  payload: string;
}

/** Collects messages until `n` have arrived (or fails after `timeoutMs`). */
function collect(subscriber: MqttClient, n: number, timeoutMs = 5000): Promise<Received[]> {
  const received: Received[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscriber.removeListener('message', onMessage);
      reject(new Error(`received ${received.length} of ${n} messages`));
    }, timeoutMs);
    function onMessage(topic: string, payload: Buffer) {
      received.push({ topic, payload: payload.toString() });
      if (received.length < n) return;
      clearTimeout(timer);
      subscriber.removeListener('message', onMessage);
      resolve(received);
    }
    subscriber.on('message', onMessage);
  });
}

describe.skipIf(!hasMosquitto)('Simulator against a real Mosquitto', () => {
  let broker: RunningMosquitto;
  let subscriber: MqttClient;
  let url: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    url = `mqtt://127.0.0.1:${broker.port}`;
    subscriber = await connectAsync(url, { clientId: 'test-subscriber' });
    await subscriber.subscribeAsync(['sensors/#', '/pot'], { qos: 1 });
  });

  afterAll(async () => {
    await subscriber?.endAsync();
    await broker?.stop();
  });

  const base = (profile: SimulatorOptions['profile']): SimulatorOptions => ({
    url,
    devices: 3,
    intervalMs: 50,
    profile,
    qos: 1,
    clientIdPrefix: `sim-${profile}`,
    logger: silentLogger,
  });

  it('sensors: plain numbers on sensors/device-N/temperature and /humidity', async () => {
    const arriving = collect(subscriber, 3 * 4);
    const sim = new Simulator({ ...base('sensors'), count: 4 });
    await sim.start();
    await sim.finished();
    const received = await arriving;
    await sim.stop();

    expect(sim.stats).toEqual({ published: 12, acked: 12, errors: 0 });
    const topics = new Set(received.map((m) => m.topic));
    expect(topics).toEqual(
      new Set([1, 2, 3].flatMap((i) => [`sensors/device-${i}/temperature`, `sensors/device-${i}/humidity`])),
    );
    for (const m of received) {
      expect(m.payload).toMatch(/^\d+\.\d+$/);
      const value = Number(m.payload);
      if (m.topic.endsWith('/temperature')) expect(value).toBeGreaterThan(10);
      if (m.topic.endsWith('/temperature')) expect(value).toBeLessThan(35);
      if (m.topic.endsWith('/humidity')) expect(value).toBeGreaterThanOrEqual(20);
      if (m.topic.endsWith('/humidity')) expect(value).toBeLessThanOrEqual(99);
    }
  });

  it('pot: every device publishes an integer 0-4095 to /pot', async () => {
    const arriving = collect(subscriber, 3 * 3);
    const sim = new Simulator({ ...base('pot'), count: 3, protocolVersion: 5 });
    await sim.start();
    await sim.finished();
    const received = await arriving;
    await sim.stop();

    expect(sim.stats).toEqual({ published: 9, acked: 9, errors: 0 });
    for (const m of received) {
      expect(m.topic).toBe('/pot');
      expect(m.payload).toMatch(/^\d+$/);
      expect(Number(m.payload)).toBeLessThanOrEqual(4095);
    }
  });

  it('publishes every interval until stopped when no count is given', async () => {
    const sim = new Simulator({ ...base('pot'), qos: 0 });
    await sim.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sim.stop();
    const published = sim.stats.published;
    // 3 devices for ~300 ms at 50 ms: about 18; timers are not exact, so leave slack.
    expect(published).toBeGreaterThanOrEqual(9);
    expect(published).toBeLessThanOrEqual(30);
    await sim.finished();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sim.stats.published).toBe(published);
  });
});

describe('Simulator start failures', () => {
  it('rejects when the broker is unreachable and leaves nothing running', async () => {
    const port = await freePort();
    const sim = new Simulator({
      url: `mqtt://127.0.0.1:${port}`,
      devices: 2,
      intervalMs: 50,
      profile: 'sensors',
      qos: 1,
      logger: silentLogger,
    });
    await expect(sim.start()).rejects.toThrow(/could not connect/);
    await sim.stop();
    expect(sim.stats.published).toBe(0);
  });

  it('reports invalid options with their path', async () => {
    const sim = new Simulator({
      url: 'mqtt://127.0.0.1:1',
      devices: 0,
      intervalMs: 0,
      profile: 'sensors',
      qos: 1,
      logger: silentLogger,
    });
    await expect(sim.start()).rejects.toThrow(/devices: .*intervalMs: /);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterDto } from '../../src/contract/api.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

interface Received {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

/**
 * Forwarding wired through the whole server: an MQTT publish is stored, then delivered to a real HTTP
 * endpoint; an endpoint that refuses for good turns the delivery into a dead letter.
 */
describe('forwarding accepted messages to HTTP endpoints', () => {
  let dir: string;
  let endpoint: Server;
  let srv: TestServer;
  const received: Received[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-forward-'));
    endpoint = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.statusCode = req.url === '/refuse' ? 400 : 204;
        res.end(req.url === '/refuse' ? 'unknown device' : undefined);
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
    await writeFile(join(dir, 'token'), 'echo-token-1\n');
    await writeFile(
      join(dir, 'sensorhub.yaml'),
      `ingest:
  outputs:
    - name: echo-api
      url: ${base}/readings
      format: json
      batchMaxWait: 50ms
      auth: { bearer: { tokenFile: ${join(dir, 'token')} } }
    - name: strict
      url: ${base}/refuse
      format: line
      batchMaxWait: 50ms
  rules:
    - name: echo-nodes
      topic: echo/+node/+sensor
      format: json
      measurement: "{sensor}"
      tags: { node: "{node}" }
      forward: [echo-api]
    - name: strict-nodes
      topic: strict/+node
      measurement: strict
      tags: { node: "{node}" }
      forward: [strict]
`,
    );
    srv = await startTestServer({ file: join(dir, 'sensorhub.yaml') });
  });

  afterAll(async () => {
    await srv?.stop();
    await new Promise((r) => endpoint?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the points, then delivers them as JSON with the bearer token', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    try {
      await client.publishAsync('echo/node-7/env', '{"temperature":21.5,"humidity":40}', { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const delivery = await eventually(async () => received.find((r) => r.url === '/readings'));
    expect(delivery.authorization).toBe('Bearer echo-token-1');
    const body = JSON.parse(delivery.body) as {
      points: Array<{ measurement: string; tags: Record<string, string>; fields: Record<string, number> }>;
    };
    expect(body.points).toHaveLength(1);
    expect(body.points[0]).toMatchObject({
      measurement: 'env',
      tags: { node: 'node-7' },
      fields: { temperature: 21.5, humidity: 40 },
    });
    const q = (await (await srv.api('/api/v1/query?measurement=env&field=temperature&from=-1m')).json()) as {
      series: Array<{ value: number[] }>;
    };
    expect(q.series[0]?.value).toEqual([21.5]);
  });

  it('turns a delivery the endpoint refuses for good into a dead letter with its answer', async () => {
    const client = await mqtt.connectAsync(srv.mqttUrl, { username: 'admin', password: srv.password });
    try {
      await client.publishAsync('strict/n1', '42', { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const letter = await eventually(async () => {
      const r = (await (await srv.api('/api/v1/dead-letters?code=FWD_FAILED')).json()) as {
        deadLetters: DeadLetterDto[];
      };
      return r.deadLetters[0];
    });
    expect(letter.message).toContain('400');
    expect(letter.message).toContain('unknown device');
    expect(received.find((r) => r.url === '/refuse')?.body).toMatch(/^strict,node=n1 value=42 \d+/);
  });

  it('refuses a rule that names an output that does not exist', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'ingest:\n  rules:\n    - name: r\n      topic: a/+b\n      measurement: m\n      forward: [nowhere]\n',
    );
    await expect(startTestServer({ file: join(dir, 'bad.yaml') })).rejects.toThrow(
      /ingest\.rules\.0\.forward\.0: no output named "nowhere"/,
    );
  });
});

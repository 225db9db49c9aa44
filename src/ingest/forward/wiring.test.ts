import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { MetricsRegistry } from '../../core/metrics.js';
import type { Point } from '../../core/point.js';
import { forwardOutputSchema } from './config.js';
import { Forwarder, type ForwardFailureCode, type ForwardItem } from './forwarder.js';
import { forwardAccepted, forwardDeadLetter } from './wiring.js';

const T = 1_795_327_586_680_123;
const point: Point = {
  database: 'sensorhub',
  measurement: 'env',
  tags: { topic: 'echo/node-7/env' },
  fields: { temperature: 21.5 },
  time: T,
};

let dataDir: string;
let server: Server;
let port: number;
const received: Array<{ path: string; headers: IncomingHttpHeaders; body: Buffer }> = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-fwdw-'));
  received.length = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (req.url === '/reject') res.writeHead(422).end('{"error":"unknown sensor"}');
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('forwardAccepted', () => {
  it('queues the points for json/line outputs and the message itself for raw ones', async () => {
    const dead: Array<{ item: ForwardItem; output: string; code: ForwardFailureCode; message: string }> = [];
    const f = new Forwarder({
      outputs: [
        forwardOutputSchema.parse({
          name: 'api',
          url: `http://127.0.0.1:${port}/points`,
          batchMaxWait: '10ms',
        }),
        forwardOutputSchema.parse({ name: 'mirror', url: `http://127.0.0.1:${port}/raw`, format: 'raw' }),
        forwardOutputSchema.parse({
          name: 'strict',
          url: `http://127.0.0.1:${port}/reject`,
          batchMaxWait: '10ms',
        }),
      ],
      dataDir,
      logger: silentLogger,
      metrics: new MetricsRegistry(),
      onDeadLetter: (item, output, code, message) => dead.push({ item, output, code, message }),
    });
    await f.start();
    try {
      // A view into a larger buffer, as the broker hands payloads over: forwarding must copy it.
      const socketBuffer = Buffer.from('xx{"temperature":21.5}yy');
      const payload = socketBuffer.subarray(2, socketBuffer.length - 2);
      await forwardAccepted(
        f,
        ['api', 'mirror', 'strict'],
        { topic: 'echo/node-7/env', clientId: 'node-7', payload, receivedAt: T },
        [point],
      );
      socketBuffer.fill(0);
      await until(() => received.length === 3 && dead.length === 1, 'three requests and one refusal');
      const byPath = new Map(received.map((r) => [r.path, r]));
      expect(JSON.parse(byPath.get('/points')?.body.toString() ?? '')).toEqual({
        points: [{ ...point, time: '2026-11-22T06:06:26.680123Z' }],
      });
      expect(byPath.get('/raw')?.body.toString()).toBe('{"temperature":21.5}');
      expect(byPath.get('/raw')?.headers['x-sensorhub-client-id']).toBe('node-7');

      const d = dead[0] as (typeof dead)[number];
      expect(d.output).toBe('strict');
      expect(d.code).toBe('FWD_FAILED');
      const letter = forwardDeadLetter(d.item, d.output, d.code, d.message, 4096);
      expect(letter).toMatchObject({
        time: T,
        source: 'forward',
        clientId: 'node-7',
        topic: 'echo/node-7/env',
        rule: 'forward:strict',
        code: 'FWD_FAILED',
        message: `refused for good: POST http://127.0.0.1:${port}/reject answered HTTP 422: {"error":"unknown sensor"}`,
      });
      expect(JSON.parse(letter.payload.toString())).toEqual({
        points: [{ ...point, time: '2026-11-22T06:06:26.680123Z' }],
      });
      expect(forwardDeadLetter(d.item, d.output, d.code, d.message, 10).payload.toString()).toBe(
        '{"points":',
      );
      expect(forwardDeadLetter(d.item, d.output, d.code, d.message, 10).payloadSize).toBe(letter.payloadSize);
    } finally {
      await f.stop();
    }
  });

  it('dead-letters at once a point a line output cannot carry', async () => {
    const dead: Array<{ code: ForwardFailureCode; message: string }> = [];
    const f = new Forwarder({
      outputs: [
        forwardOutputSchema.parse({ name: 'influx', url: `http://127.0.0.1:${port}/`, format: 'line' }),
      ],
      dataDir,
      logger: silentLogger,
      metrics: new MetricsRegistry(),
      onDeadLetter: (_item, _output, code, message) => dead.push({ code, message }),
    });
    await f.start();
    try {
      await forwardAccepted(
        f,
        ['influx'],
        { topic: 't', clientId: 'c', payload: Buffer.from('1'), receivedAt: T },
        [{ ...point, tags: { room: 'a\nb' } }],
      );
      expect(dead).toEqual([
        {
          code: 'FWD_FAILED',
          message:
            'forward output "influx": cannot be written as line protocol: tag room "a\\nb" contains a line break',
        },
      ]);
      expect(f.status()[0]?.queuedItems).toBe(0);
    } finally {
      await f.stop();
    }
  });
});

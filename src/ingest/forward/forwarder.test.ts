import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { MetricsRegistry } from '../../core/metrics.js';
import type { Point } from '../../core/point.js';
import { parseLineProtocol } from '../line-protocol/parse.js';
import { type ForwardOutputConfig, forwardOutputSchema } from './config.js';
import { Forwarder, type ForwardFailureCode, type ForwardItem } from './forwarder.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
}

type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A real HTTP endpoint on a free port that records every request and answers as `reply` says. */
class Endpoint {
  readonly received: Received[] = [];
  reply: (req: Received, n: number) => Reply = () => ({ status: 204 });
  readonly #hanging: ServerResponse[] = [];
  #server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          at: Date.now(),
        };
        this.received.push(r);
        const reply = this.reply(r, this.received.length);
        if (reply === 'hang') {
          this.#hanging.push(res);
          return;
        }
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/write`;
  }

  jsonPoints(): Array<{ measurement: string; fields: Record<string, unknown>; time: string }> {
    return this.received.flatMap((r) => (JSON.parse(r.body.toString()) as { points: [] }).points);
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

interface DeadLetterCall {
  readonly item: ForwardItem;
  readonly output: string;
  readonly code: ForwardFailureCode;
  readonly message: string;
}

let dataDir: string;
let endpoints: Endpoint[];
let forwarders: Forwarder[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sensorhub-fwd-'));
  endpoints = [];
  forwarders = [];
});
afterEach(async () => {
  for (const f of forwarders) await f.stop();
  for (const e of endpoints) await e.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function endpoint(reply?: Endpoint['reply'], port?: number): Promise<Endpoint> {
  const e = new Endpoint();
  if (reply) e.reply = reply;
  endpoints.push(e);
  return e.listen(port);
}

function output(over: Record<string, unknown>): ForwardOutputConfig {
  return forwardOutputSchema.parse({
    name: 'out',
    batchMaxWait: '50ms',
    backoffInitial: '20ms',
    backoffMax: '100ms',
    timeout: '2s',
    ...over,
  });
}

function forwarder(
  outputs: ForwardOutputConfig[],
  extra: { env?: Record<string, string>; stopTimeoutMs?: number; metrics?: MetricsRegistry } = {},
): { f: Forwarder; dead: DeadLetterCall[]; metrics: MetricsRegistry } {
  const dead: DeadLetterCall[] = [];
  const metrics = extra.metrics ?? new MetricsRegistry();
  const f = new Forwarder({
    outputs,
    dataDir,
    logger: silentLogger,
    metrics,
    onDeadLetter: (item, out, code, message) => dead.push({ item, output: out, code, message }),
    env: extra.env ?? {},
    stopTimeoutMs: extra.stopTimeoutMs ?? 1000,
  });
  forwarders.push(f);
  return { f, dead, metrics };
}

/** Stops a forwarder and forgets it, so afterEach does not stop it again. */
async function stopped(f: Forwarder): Promise<void> {
  await f.stop();
  forwarders = forwarders.filter((x) => x !== f);
}

const T = 1_795_327_586_680_123;
const pt = (i: number): Point => ({
  database: 'sensorhub',
  measurement: 'temperature',
  tags: { device: `d${i % 3}` },
  fields: { value: i },
  time: T + i,
});
const item = (i: number): ForwardItem => ({
  kind: 'points',
  points: [pt(i)],
  topic: `sensors/d${i}/t`,
  clientId: 'c',
});

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const values = (e: Endpoint) => e.jsonPoints().map((p) => p.fields.value);

describe('Forwarder', () => {
  it('batches points up to batchMaxItems and sends them as JSON', async () => {
    const e = await endpoint();
    const { f, metrics } = forwarder([output({ url: e.url, batchMaxItems: 3 })]);
    await f.start();
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => f.enqueue('out', item(i))));
    await until(() => values(e).length === 7, 'all points');
    expect(e.received.map((r) => (JSON.parse(r.body.toString()) as { points: [] }).points.length)).toEqual([
      3, 3, 1,
    ]);
    expect(values(e)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(e.received[0]?.method).toBe('POST');
    expect(e.received[0]?.path).toBe('/write');
    expect(e.received[0]?.headers['content-type']).toBe('application/json');
    expect(e.jsonPoints()[0]).toEqual({
      database: 'sensorhub',
      measurement: 'temperature',
      tags: { device: 'd0' },
      fields: { value: 0 },
      time: '2026-11-22T06:06:26.680123Z',
    });
    await until(() => f.status()[0]?.queuedItems === 0, 'queue empty');
    expect(f.status()[0]).toMatchObject({
      output: 'out',
      delivered: 7,
      failed: 0,
      queuedBytes: 0,
      lastError: null,
    });
    expect(metrics.render()).toContain('sensorhub_forward_delivered_total{output="out"} 7');
    expect(metrics.render()).toContain('sensorhub_forward_queue_bytes{output="out"} 0');
  });

  it('waits up to batchMaxWait for a batch to fill', async () => {
    const e = await endpoint();
    const { f } = forwarder([output({ url: e.url, batchMaxItems: 100, batchMaxWait: '300ms' })]);
    await f.start();
    const started = Date.now();
    await f.enqueue('out', item(1));
    await new Promise((r) => setTimeout(r, 100));
    await f.enqueue('out', item(2));
    await until(() => e.received.length === 1, 'one request');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(values(e)).toEqual([1, 2]);
  });

  it('sends line protocol with PUT and the configured headers', async () => {
    const e = await endpoint();
    const { f } = forwarder([
      output({ url: `${e.url}?db=x`, format: 'line', method: 'PUT', headers: { 'X-Source': 'sensorhub' } }),
    ]);
    await f.start();
    await f.enqueue('out', {
      kind: 'points',
      points: [pt(1), { ...pt(2), fields: { on: true, label: 'a b' } }],
    });
    await until(() => e.received.length === 1, 'request');
    const r = e.received[0] as Received;
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/write?db=x');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-source']).toBe('sensorhub');
    expect(r.body.toString()).toBe(
      `temperature,device=d1 value=1 ${T + 1}000\ntemperature,device=d2 on=true,label="a b" ${T + 2}000\n`,
    );
    expect(parseLineProtocol(r.body.toString()).points.map((p) => p.time)).toEqual([T + 1, T + 2]);
  });

  it('sends raw messages one per request, payload unchanged', async () => {
    const e = await endpoint();
    const { f } = forwarder([output({ url: e.url, format: 'raw' })]);
    await f.start();
    const payloads = [Buffer.from('{"t":21.5}'), Buffer.from([0, 255, 1])];
    for (const [i, payload] of payloads.entries()) {
      await f.enqueue('out', { kind: 'raw', topic: `echo/node-${i}`, clientId: 'esp', time: T, payload });
    }
    await until(() => e.received.length === 2, 'two requests');
    expect(e.received.map((r) => r.body)).toEqual(payloads);
    expect(e.received[1]?.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'x-sensorhub-topic': 'echo/node-1',
      'x-sensorhub-client-id': 'esp',
      'x-sensorhub-time': '2026-11-22T06:06:26.680123Z',
    });
    await expect(f.enqueue('out', item(1))).rejects.toThrow(/takes raw items, not points/);
  });

  it('retries 503 with backoff and delivers everything once, in order', async () => {
    const e = await endpoint((_, n) => (n <= 3 ? { status: 503, body: 'busy' } : { status: 200 }));
    const { f, dead } = forwarder([output({ url: e.url, batchMaxItems: 4 })]);
    await f.start();
    for (let i = 0; i < 10; i++) await f.enqueue('out', item(i));
    await until(() => f.status()[0]?.delivered === 10, 'all delivered');
    // The first batch was sent 4 times (3 refusals), each later batch once.
    const bodies = e.received.map((r) => r.body.toString());
    expect(bodies.slice(0, 4).every((b) => b === bodies[0])).toBe(true);
    const accepted = e.received
      .slice(3)
      .flatMap(
        (r) => (JSON.parse(r.body.toString()) as { points: Array<{ fields: { value: number } }> }).points,
      );
    expect(accepted.map((p) => p.fields.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(dead).toEqual([]);
    const gaps = e.received.slice(1, 4).map((r, i) => r.at - (e.received[i] as Received).at);
    // Backoff 20, 40, 80 ms with equal jitter: at least half of each.
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(f.status()[0]?.lastError?.message).toBe(
      `POST http://127.0.0.1:${e.port}/write answered HTTP 503: busy`,
    );
  });

  it('turns a 400 into dead letters with the status and the start of the body, and moves on', async () => {
    const long = `invalid point: ${'x'.repeat(400)}`;
    const e = await endpoint((_, n) => (n === 1 ? { status: 400, body: long } : { status: 204 }));
    const { f, dead, metrics } = forwarder([output({ url: e.url, batchMaxItems: 2 })]);
    await f.start();
    for (let i = 0; i < 3; i++) await f.enqueue('out', item(i));
    await until(
      () => f.status()[0]?.delivered === 1 && dead.length === 2,
      'first batch failed, second delivered',
    );
    expect(e.received).toHaveLength(2);
    expect(dead.map((d) => [d.code, d.output, (d.item as { topic: string }).topic])).toEqual([
      ['FWD_FAILED', 'out', 'sensors/d0/t'],
      ['FWD_FAILED', 'out', 'sensors/d1/t'],
    ]);
    const message = dead[0]?.message ?? '';
    expect(message).toContain('HTTP 400');
    expect(message).toContain(long.slice(0, 200));
    expect(message).not.toContain(long.slice(0, 201));
    expect(f.status()[0]).toMatchObject({ delivered: 1, failed: 2 });
    expect(metrics.render()).toContain('sensorhub_forward_failed_total{output="out"} 2');
  });

  it('honours Retry-After', async () => {
    const e = await endpoint((_, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 },
    );
    const { f } = forwarder([output({ url: e.url })]);
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => e.received.length === 1, 'first attempt');
    await until(() => f.status()[0]?.nextRetryAt !== null, 'retry scheduled');
    const next = Date.parse(f.status()[0]?.nextRetryAt as string);
    expect(next - (e.received[0] as Received).at).toBeGreaterThanOrEqual(900);
    await until(() => e.received.length === 2, 'second attempt', 3000);
    // backoffInitial is 20 ms: only Retry-After explains the wait.
    expect((e.received[1] as Received).at - (e.received[0] as Received).at).toBeGreaterThanOrEqual(950);
    await until(() => f.status()[0]?.delivered === 1, 'delivered');
    expect(f.status()[0]?.nextRetryAt).toBeNull();
  });

  it('gives up on a request after timeout and retries it', async () => {
    const e = await endpoint((_, n) => (n === 1 ? 'hang' : { status: 204 }));
    const { f } = forwarder([output({ url: e.url, timeout: '200ms' })]);
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => f.status()[0]?.delivered === 1, 'delivered after the timeout');
    expect(e.received).toHaveLength(2);
    expect(f.status()[0]?.lastError?.message).toBe(
      `POST http://127.0.0.1:${e.port}/write: no complete response within 200 ms`,
    );
  });

  it('delivers once an endpoint that was down at start comes up', async () => {
    const probe = await endpoint();
    const port = probe.port;
    await probe.close();
    endpoints = [];
    const { f } = forwarder([output({ url: `http://127.0.0.1:${port}/write` })]);
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => f.status()[0]?.lastError !== null, 'a failed attempt');
    expect(f.status()[0]?.lastError?.message).toMatch(/ECONNREFUSED/);
    const e = await endpoint(undefined, port);
    await until(() => f.status()[0]?.delivered === 1, 'delivered');
    expect(values(e)).toEqual([1]);
  });

  it('dead-letters a batch still failing retryFor after it was queued', async () => {
    const e = await endpoint(() => ({ status: 502 }));
    const { f, dead } = forwarder([output({ url: e.url, retryFor: '300ms' })]);
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => dead.length === 1, 'dead letter', 3000);
    expect(dead[0]?.code).toBe('FWD_FAILED');
    expect(dead[0]?.message).toMatch(
      /^still failing \d+ s after it was queued \(retryFor is 300 ms\): .*HTTP 502/,
    );
    expect(e.received.length).toBeGreaterThan(2);
    expect(f.status()[0]?.queuedItems).toBe(0);
  });

  it('keeps the queue across a restart and delivers it then', async () => {
    const down = await endpoint(() => ({ status: 503 }));
    const first = forwarder([output({ url: down.url, backoffInitial: '1s', backoffMax: '1s' })], {
      stopTimeoutMs: 200,
    });
    await first.f.start();
    for (let i = 0; i < 5; i++) await first.f.enqueue('out', item(i));
    await until(() => down.received.length >= 1, 'a refused attempt');
    await stopped(first.f);
    expect(first.dead).toEqual([]);

    const up = await endpoint();
    const second = forwarder([output({ url: up.url })]);
    await second.f.start();
    expect(second.f.status()[0]?.queuedItems).toBe(5);
    await until(() => second.f.status()[0]?.delivered === 5, 'delivered after restart');
    expect(values(up)).toEqual([0, 1, 2, 3, 4]);
    await until(() => second.f.status()[0]?.queuedItems === 0, 'acknowledged');
    await stopped(second.f);
    // Delivered segments are deleted; only the empty one being appended to remains.
    const files = (await readdir(join(dataDir, 'forward', 'out'))).filter((n) => n.endsWith('.seg'));
    expect(files).toHaveLength(1);
  });

  it('on stop, sends what is queued without waiting for the batch to fill', async () => {
    const e = await endpoint();
    const { f } = forwarder([output({ url: e.url, batchMaxItems: 100, batchMaxWait: '10s' })]);
    await f.start();
    await f.enqueue('out', item(1));
    const started = Date.now();
    await stopped(f);
    // batchMaxWait is 10 s.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(values(e)).toEqual([1]);
  });

  it('stops by its deadline even when the endpoint hangs, keeping the item for next time', async () => {
    const e = await endpoint(() => 'hang');
    const { f } = forwarder([output({ url: e.url, timeout: '30s' })], { stopTimeoutMs: 300 });
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => e.received.length === 1, 'request in flight');
    const started = Date.now();
    await stopped(f);
    // Its request would only time out after 30 s.
    expect(Date.now() - started).toBeLessThan(2000);
    const again = forwarder([output({ url: e.url })]);
    await again.f.start();
    expect(again.f.status()[0]?.queuedItems).toBe(1);
  });

  it('dead-letters with FWD_QUEUE_FULL when the queue is full, without failing the enqueue', async () => {
    const e = await endpoint(() => ({ status: 503 }));
    const { f, dead } = forwarder([
      output({ url: e.url, queueMaxBytes: 2048, backoffInitial: '5s', backoffMax: '5s' }),
    ]);
    await f.start();
    for (let i = 0; i < 40; i++) await f.enqueue('out', item(i));
    const s = f.status()[0];
    expect(s?.queuedBytes).toBeLessThanOrEqual(2048);
    expect(dead.length).toBeGreaterThan(0);
    expect((s?.queuedItems ?? 0) + dead.length).toBe(40);
    expect(dead[0]?.code).toBe('FWD_QUEUE_FULL');
    expect(dead[0]?.message).toMatch(
      /^forward output "out" is not keeping up: the queue holds \d+ bytes of undelivered items; queueMaxBytes is 2048/,
    );
    // The refused ones are the newest: the queue keeps the oldest in order.
    const refused = dead.map((d) => (d.item.kind === 'points' ? d.item.points[0]?.fields.value : undefined));
    expect(refused).toEqual(Array.from({ length: dead.length }, (_, i) => 40 - dead.length + i));
  });

  it('recovers from a torn record at the end of a segment', async () => {
    const down = await endpoint(() => ({ status: 503 }));
    const first = forwarder([output({ url: down.url, backoffInitial: '1s', backoffMax: '1s' })], {
      stopTimeoutMs: 100,
    });
    await first.f.start();
    for (let i = 0; i < 3; i++) await first.f.enqueue('out', item(i));
    await stopped(first.f);
    const dir = join(dataDir, 'forward', 'out');
    let segment = '';
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.seg'))) {
      if ((await stat(join(dir, name))).size > 8) segment = join(dir, name);
    }
    // As if the process had been killed in the middle of writing the third record.
    await truncate(segment, (await stat(segment)).size - 7);

    const up = await endpoint();
    const second = forwarder([output({ url: up.url })]);
    await second.f.start();
    await until(() => second.f.status()[0]?.delivered === 2, 'the two whole records');
    expect(values(up)).toEqual([0, 1]);
    await second.f.enqueue('out', item(9));
    await until(() => values(up).length === 3, 'a new item after the recovery');
    expect(values(up)).toEqual([0, 1, 9]);
  });

  it('re-encodes what was queued under another format after a config change', async () => {
    const down = await endpoint(() => ({ status: 503 }));
    const first = forwarder([output({ url: down.url, backoffInitial: '1s', backoffMax: '1s' })], {
      stopTimeoutMs: 100,
    });
    await first.f.start();
    for (let i = 0; i < 2; i++) await first.f.enqueue('out', item(i));
    await stopped(first.f);

    const up = await endpoint();
    const second = forwarder([output({ url: up.url, format: 'line' })]);
    await second.f.start();
    await until(() => second.f.status()[0]?.delivered === 2, 'delivered as line protocol');
    expect(up.received.map((r) => r.body.toString()).join('')).toBe(
      `temperature,device=d0 value=0 ${T}000\ntemperature,device=d1 value=1 ${T + 1}000\n`,
    );
    await stopped(second.f);

    // json → raw cannot be converted: those become dead letters, with the reason.
    const third = forwarder([output({ url: down.url, backoffInitial: '1s', backoffMax: '1s' })], {
      stopTimeoutMs: 100,
    });
    await third.f.start();
    await third.f.enqueue('out', item(5));
    await stopped(third.f);
    const fourth = forwarder([output({ url: up.url, format: 'raw' })]);
    await fourth.f.start();
    await until(() => fourth.dead.length === 1, 'dead letter');
    expect(fourth.dead[0]?.message).toBe(
      'forward output "out": it was queued as json, and the output\'s format is now raw',
    );
    expect(fourth.dead[0]?.item).toEqual(item(5));
  });

  it('sends basic auth from an environment variable and a bearer token from a file', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const c = await endpoint();
    const tokenFile = join(dataDir, 'token');
    await writeFile(tokenFile, 's3cret-token\n');
    const { f } = forwarder(
      [
        output({ name: 'a', url: a.url, auth: { basic: { username: 'echopub', passwordEnv: 'ECHO_PW' } } }),
        output({ name: 'b', url: b.url, auth: { bearer: { tokenFile } } }),
        output({ name: 'c', url: c.url, auth: { bearer: { tokenEnv: 'INFLUX_TOKEN', scheme: 'Token' } } }),
      ],
      { env: { ECHO_PW: 'pä:ss', INFLUX_TOKEN: 'abc==' } },
    );
    await f.start();
    await f.enqueue('a', item(1));
    await f.enqueue('b', item(1));
    await f.enqueue('c', item(1));
    await until(() => a.received.length + b.received.length + c.received.length === 3, 'three requests');
    expect(c.received[0]?.headers.authorization).toBe('Token abc==');
    expect(a.received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('echopub:pä:ss').toString('base64')}`,
    );
    expect(b.received[0]?.headers.authorization).toBe('Bearer s3cret-token');
    // The secret never shows in the status.
    expect(JSON.stringify(f.status())).not.toContain('s3cret');
  });

  it('refuses to start when a secret is missing, naming it', async () => {
    const { f } = forwarder([
      output({ url: 'http://127.0.0.1:1/', auth: { basic: { username: 'u', passwordEnv: 'NOT_SET_HERE' } } }),
    ]);
    await expect(f.start()).rejects.toMatchObject({
      code: 'CFG_INVALID',
      message:
        'forward output "out": auth.basic.passwordEnv: the environment variable NOT_SET_HERE is not set',
    });
    const g = forwarder([
      output({ url: 'http://127.0.0.1:1/', auth: { bearer: { tokenFile: join(dataDir, 'nope') } } }),
    ]);
    await expect(g.f.start()).rejects.toThrow(/auth.bearer.tokenFile: cannot read .*nope: ENOENT/);
  });

  it('keeps a hanging endpoint from delaying another output', async () => {
    const slow = await endpoint(() => 'hang');
    const fast = await endpoint();
    const { f } = forwarder(
      [output({ name: 'slow', url: slow.url, timeout: '30s' }), output({ name: 'fast', url: fast.url })],
      { stopTimeoutMs: 200 },
    );
    await f.start();
    await f.enqueue('slow', item(1));
    await until(() => slow.received.length === 1, 'slow request in flight');
    const started = Date.now();
    for (let i = 0; i < 5; i++) await f.enqueue('fast', item(i));
    await until(() => values(fast).length === 5, 'fast output delivered');
    // The slow output's request only times out after 30 s.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not follow a redirect (it would turn the POST into a body-less GET)', async () => {
    const e = await endpoint(() => ({
      status: 301,
      headers: { location: 'https://elsewhere.example/write' },
    }));
    const { f, dead } = forwarder([output({ url: e.url })]);
    await f.start();
    await f.enqueue('out', item(1));
    await until(() => dead.length === 1, 'dead letter');
    expect(e.received).toHaveLength(1);
    expect(dead[0]?.message).toBe(
      `refused for good: POST http://127.0.0.1:${e.port}/write answered HTTP 301, a redirect to https://elsewhere.example/write; forwarding does not follow redirects: set the output's url to where it should go`,
    );
  });

  it('fails the start with the directory when a queue cannot be opened', async () => {
    await writeFile(join(dataDir, 'forward'), 'a file where the queue directory should be');
    const { f } = forwarder([output({ url: 'http://127.0.0.1:1/' })]);
    await expect(f.start()).rejects.toThrow(
      /^forward output "out": cannot open its queue in .*forward\/out: E/,
    );
  });

  it('refuses items for an unknown output', async () => {
    const { f } = forwarder([]);
    await f.start();
    await expect(f.enqueue('nope', item(1))).rejects.toThrow('no forwarding output named "nope"');
  });
});

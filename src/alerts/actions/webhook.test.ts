import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { MetricsRegistry } from '../../core/metrics.js';
import type { AlertState, AlertTransition } from '../types.js';
import { alertActionSchema } from './config.js';
import { ActionRunner, type CompiledAction, compileActions } from './runner.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

type Reply = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

/** A real HTTP endpoint on a free port that records every request and answers as `reply` says. */
class Endpoint {
  readonly received: Received[] = [];
  /** When each request (by arrival order) was answered. */
  readonly answeredAt: number[] = [];
  reply: (req: Received, n: number) => Reply = () => ({ status: 200 });
  readonly #hanging: ServerResponse[] = [];
  #server: Server | undefined;
  #port = 0;

  async listen(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.received.push(r);
        const n = this.received.length;
        const reply = this.reply(r, n);
        if (reply === 'hang') {
          this.#hanging.push(res);
          return;
        }
        setTimeout(() => {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
          this.answeredAt[n - 1] = Date.now();
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/alert'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

const AT = Date.UTC(2026, 10, 22, 6, 6, 23) * 1000;

function transition(to: AlertState, over: Partial<AlertTransition> = {}): AlertTransition {
  return {
    rule: 'pot-high',
    instance: 'device=esp32',
    labels: { severity: 'warning', device: 'esp32' },
    from: to === 'normal' ? 'firing' : 'pending',
    to,
    value: 3120.5,
    at: AT,
    message: 'avg(value) over 10s = 3120.5 > 3000',
    ...over,
  };
}

function webhook(over: Record<string, unknown>, rule = 'pot-high'): CompiledAction[] {
  return compileActions(
    [alertActionSchema.parse({ type: 'webhook', backoffInitial: '10ms', backoffMax: '2s', ...over })],
    rule,
  );
}

let dir: string;
let endpoints: Endpoint[];
let runners: ActionRunner[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorhub-alert-actions-'));
  endpoints = [];
  runners = [];
});
afterEach(async () => {
  for (const r of runners) await r.stop();
  for (const e of endpoints) await e.close();
  await rm(dir, { recursive: true, force: true });
});

async function endpoint(reply?: Endpoint['reply']): Promise<Endpoint> {
  const e = new Endpoint();
  if (reply) e.reply = reply;
  endpoints.push(e);
  return e.listen();
}

function runner(opts: Partial<ConstructorParameters<typeof ActionRunner>[0]> = {}): {
  runner: ActionRunner;
  metrics: MetricsRegistry;
} {
  const metrics = new MetricsRegistry();
  const r = new ActionRunner({
    publish: () => Promise.reject(new Error('no MQTT in these tests')),
    logger: silentLogger,
    metrics,
    env: {},
    ...opts,
  });
  runners.push(r);
  return { runner: r, metrics };
}

describe('ActionRunner: webhooks', () => {
  it('POSTs a Grafana-style JSON body with basic auth from the environment', async () => {
    const e = await endpoint();
    const { runner: r } = runner({ env: { HOOK_PASSWORD: 'pa:ss wörd' } });
    const a = webhook({
      url: e.url('/alert?key=secret'),
      auth: { basic: { username: 'user', passwordEnv: 'HOOK_PASSWORD' } },
      headers: { 'X-Source': 'sensorhub' },
    });
    r.run(a, transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(1);
    const req = e.received[0] as Received;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/alert?key=secret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-source']).toBe('sensorhub');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('user:pa:ss wörd').toString('base64')}`);
    expect(JSON.parse(req.body)).toEqual({
      receiver: 'sensorhub',
      status: 'firing',
      state: 'alerting',
      sensorhubState: 'firing',
      previousState: 'pending',
      title: '[Alerting] pot-high (device=esp32)',
      rule: 'pot-high',
      ruleName: 'pot-high',
      instance: 'device=esp32',
      labels: { severity: 'warning', device: 'esp32' },
      value: 3120.5,
      evalMatches: [{ value: 3120.5, metric: 'pot-high', tags: { severity: 'warning', device: 'esp32' } }],
      message: 'avg(value) over 10s = 3120.5 > 3000',
      time: '2026-11-22T06:06:23.000Z',
      ruleUrl: null,
    });
    const [record] = r.deliveries();
    expect(record).toMatchObject({
      rule: 'pot-high',
      instance: 'device=esp32',
      action: { index: 0, type: 'webhook' },
      target: e.url('/alert'),
      state: 'firing',
      ok: true,
      attempts: 1,
      status: 200,
    });
    expect(record?.error).toBeUndefined();
  });

  it('maps states to Grafana’s: normal is ok/resolved, nodata is no_data but still firing', async () => {
    const e = await endpoint();
    const { runner: r } = runner();
    const a = webhook({ url: e.url() });
    r.run(a, transition('normal', { value: null }));
    r.run(a, transition('nodata', { from: 'normal', value: null }));
    r.run(a, transition('pending', { from: 'normal' }));
    await r.idle();
    const bodies = e.received.map((q) => JSON.parse(q.body) as Record<string, unknown>);
    // pending is not in the default "on".
    expect(bodies.map((b) => [b.status, b.state, b.sensorhubState, b.title])).toEqual([
      ['resolved', 'ok', 'normal', '[OK] pot-high (device=esp32)'],
      ['firing', 'no_data', 'nodata', '[No Data] pot-high (device=esp32)'],
    ]);
    expect(bodies[0]).toMatchObject({ value: null, evalMatches: [] });
  });

  it('sends a bearer token read from a file, trimmed, and re-read for each delivery', async () => {
    const e = await endpoint();
    const file = join(dir, 'token');
    await writeFile(file, 'tok-1\n');
    const { runner: r } = runner();
    const a = webhook({ url: e.url(), auth: { bearer: { tokenFile: file } } });
    r.run(a, transition('firing'));
    await r.idle();
    await writeFile(file, 'tok-2');
    r.run(a, transition('normal'));
    await r.idle();
    expect(e.received.map((q) => q.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('fails a delivery whose secret is missing, naming the rule, the action and the variable', async () => {
    const e = await endpoint();
    const { runner: r } = runner();
    const a = webhook({ url: e.url(), auth: { basic: { username: 'u', passwordEnv: 'NOPE' } } });
    await expect(r.checkSecrets(a)).rejects.toThrow(AppError);
    await expect(r.checkSecrets(a)).rejects.toThrow(
      'alert rule "pot-high": actions[0] (webhook): auth.basic.passwordEnv: the environment variable NOPE is not set',
    );
    r.run(a, transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(0);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 0,
      error:
        'alert rule "pot-high": actions[0] (webhook): auth.basic.passwordEnv: the environment variable NOPE is not set',
    });
    const missingFile = webhook({ url: e.url(), auth: { bearer: { tokenFile: join(dir, 'absent') } } });
    await expect(r.checkSecrets(missingFile)).rejects.toThrow(
      /auth\.bearer\.tokenFile: cannot read .*absent/,
    );
  });

  it('retries after 503s with growing waits, then delivers', async () => {
    const e = await endpoint((_req, n) => (n <= 2 ? { status: 503, body: 'busy' } : { status: 204 }));
    const { runner: r, metrics } = runner();
    r.run(webhook({ url: e.url() }), transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(3);
    const [a, b, c] = e.received.map((q) => q.at) as [number, number, number];
    // Backoff 10 ms then 20 ms, with equal jitter: at least half of each.
    expect(b - a).toBeGreaterThanOrEqual(4);
    expect(c - b).toBeGreaterThanOrEqual(9);
    expect(r.deliveries()[0]).toMatchObject({ ok: true, attempts: 3, status: 204 });
    expect(metrics.render()).toContain('sensorhub_alert_actions_total{result="ok",type="webhook"} 1');
  });

  it('waits what Retry-After asks on 429 and 503', async () => {
    const e = await endpoint((_req, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const { runner: r } = runner();
    r.run(webhook({ url: e.url() }), transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(2);
    const [a, b] = e.received.map((q) => q.at) as [number, number];
    // backoffInitial is 10 ms: only Retry-After explains the wait.
    expect(b - a).toBeGreaterThanOrEqual(950);
    expect(r.deliveries()[0]).toMatchObject({ ok: true, attempts: 2, status: 200 });
  });

  it('gives up when Retry-After is longer than backoffMax, and says so', async () => {
    const e = await endpoint(() => ({ status: 503, headers: { 'retry-after': '120' }, body: 'maintenance' }));
    const { runner: r } = runner();
    r.run(webhook({ url: e.url() }), transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(1);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 1,
      status: 503,
      error: `gave up: the endpoint asked to retry after 120 s, longer than backoffMax (2000 ms): POST ${e.url()} answered HTTP 503: maintenance`,
    });
  });

  it('gives up on a 4xx after one attempt, with the status and the body', async () => {
    const e = await endpoint(() => ({ status: 401, body: 'bad credentials' }));
    const { runner: r, metrics } = runner();
    r.run(webhook({ url: e.url('/alert?token=x') }), transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(1);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 1,
      status: 401,
      target: e.url('/alert'),
      error: `refused, not retried: POST ${e.url('/alert')} answered HTTP 401: bad credentials`,
    });
    expect(metrics.render()).toContain('sensorhub_alert_actions_total{result="failed",type="webhook"} 1');
  });

  it('does not follow redirects, and says what to change', async () => {
    const e = await endpoint(() => ({ status: 301, headers: { location: 'https://elsewhere/' } }));
    const { runner: r } = runner();
    r.run(webhook({ url: e.url() }), transition('firing'));
    await r.idle();
    expect(r.deliveries()[0]?.error).toBe(
      `refused, not retried: POST ${e.url()} answered HTTP 301, a redirect to https://elsewhere/; alert webhooks do not follow redirects: set the action's url to where it should go`,
    );
  });

  it('times out a request that gets no answer, retries, then gives up after retries + 1 attempts', async () => {
    const e = await endpoint(() => 'hang');
    const { runner: r } = runner();
    r.run(webhook({ url: e.url(), timeout: '100ms', retries: 1 }), transition('firing'));
    await r.idle();
    expect(e.received).toHaveLength(2);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 2,
      error: `gave up after 2 attempts: POST ${e.url()}: no complete response within 100 ms`,
    });
    expect(r.deliveries()[0]?.status).toBeUndefined();
  });

  it('reports a refused connection', async () => {
    const e = await endpoint();
    const url = e.url();
    await e.close();
    endpoints = [];
    const { runner: r } = runner();
    r.run(webhook({ url, retries: 0 }), transition('firing'));
    await r.idle();
    expect(r.deliveries()[0]).toMatchObject({ ok: false, attempts: 1 });
    expect(r.deliveries()[0]?.error).toMatch(/^gave up after 1 attempts: POST .*: connect ECONNREFUSED/);
  });

  it('keeps one action’s deliveries in order, even when the first needs retries', async () => {
    const e = await endpoint((_req, n) =>
      n === 1 ? { status: 503 } : { status: 200, delayMs: n === 2 ? 30 : 0 },
    );
    const { runner: r } = runner();
    const a = webhook({ url: e.url() });
    r.run(a, transition('firing', { message: 'first' }));
    r.run(a, transition('normal', { message: 'second' }));
    r.run(a, transition('firing', { message: 'third' }));
    await r.idle();
    const messages = e.received.map((q) => (JSON.parse(q.body) as { message: string }).message);
    expect(messages).toEqual(['first', 'first', 'second', 'third']);
    // Each request arrives only after the one before it was answered.
    for (let i = 1; i < e.received.length; i++) {
      expect(e.received[i]?.at).toBeGreaterThanOrEqual(e.answeredAt[i - 1] as number);
    }
    expect(r.deliveries().map((d) => [d.state, d.attempts])).toEqual([
      ['firing', 1],
      ['normal', 1],
      ['firing', 2],
    ]);
  });

  it('stop() waits for a delivery in flight, then cuts it off after its grace period', async () => {
    const e = await endpoint(() => 'hang');
    const { runner: r } = runner({ stopTimeoutMs: 150 });
    const a = webhook({ url: e.url(), timeout: '10s' });
    r.run(a, transition('firing'));
    r.run(a, transition('normal'));
    while (e.received.length === 0) await new Promise((res) => setTimeout(res, 5));
    const started = Date.now();
    await r.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.deliveries().map((d) => [d.state, d.ok, d.error])).toEqual([
      ['normal', false, 'not sent: sensorhub stopped first'],
      [
        'firing',
        false,
        'sensorhub stopped while the request was in flight; the endpoint may or may not have it',
      ],
    ]);
  });

  it('stop() ends retry waits at once', async () => {
    const e = await endpoint(() => ({ status: 503 }));
    const { runner: r } = runner();
    r.run(webhook({ url: e.url(), backoffInitial: '10s', backoffMax: '10s' }), transition('firing'));
    while (e.received.length === 0) await new Promise((res) => setTimeout(res, 5));
    await new Promise((res) => setTimeout(res, 20));
    const started = Date.now();
    await r.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 1,
      status: 503,
      error: `sensorhub stopped before attempt 2: POST ${e.url()} answered HTTP 503 (empty body)`,
    });
  });
});

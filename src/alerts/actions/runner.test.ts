import { afterEach, describe, expect, it } from 'vitest';
import { clockOf } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { MetricsRegistry } from '../../core/metrics.js';
import type { AlertState, AlertTransition } from '../types.js';
import { alertActionSchema } from './config.js';
import { ActionRunner, type CompiledAction, compileActions, type Publish } from './runner.js';

interface Call {
  readonly topic: string;
  readonly payload: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

/** The runner's dependency: records what it is asked to publish, and fails or stalls when told to. */
class Recorder {
  readonly calls: Call[] = [];
  /** Throws for the first `failures` calls. */
  failures = 0;
  /** Each publish settles after this many ms. */
  delayMs = 0;
  readonly events: string[] = [];

  readonly publish: Publish = async (topic, payload, qos, retain) => {
    const call = { topic, payload: payload.toString('utf8'), qos, retain };
    this.calls.push(call);
    this.events.push(`start ${call.payload}`);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.events.push(`end ${call.payload}`);
    if (this.calls.length <= this.failures) throw new Error('broker unreachable');
  };
}

const AT = Date.UTC(2026, 10, 22, 6, 6, 23) * 1000;

function transition(to: AlertState, over: Partial<AlertTransition> = {}): AlertTransition {
  return {
    rule: 'pot-high',
    instance: '',
    labels: {},
    from: to === 'normal' ? 'firing' : 'normal',
    to,
    value: to === 'normal' ? 12 : 91,
    at: AT,
    message: 'avg(value) over 10s = 91 > 80',
    ...over,
  };
}

function actions(raw: unknown[], rule = 'pot-high'): CompiledAction[] {
  return compileActions(
    raw.map((r) => alertActionSchema.parse(r)),
    rule,
  );
}

const SEED_001 = { type: 'mqtt', topic: '/alert', payload: { firing: '1', normal: '0' }, retain: true };

let runners: ActionRunner[] = [];
afterEach(async () => {
  for (const r of runners) await r.stop();
  runners = [];
});

function runner(
  recorder: Recorder,
  opts: Partial<ConstructorParameters<typeof ActionRunner>[0]> = {},
): { runner: ActionRunner; metrics: MetricsRegistry; now: { ms: number } } {
  const metrics = new MetricsRegistry();
  const now = { ms: AT / 1000 + 40 };
  const r = new ActionRunner({
    publish: recorder.publish,
    logger: silentLogger,
    metrics,
    clock: clockOf(() => now.ms),
    mqttRetry: { backoffMs: 5 },
    ...opts,
  });
  runners.push(r);
  return { runner: r, metrics, now };
}

describe('ActionRunner: MQTT actions', () => {
  it('publishes seed 001’s retained 1 and 0 on /alert, and nothing for states "on" leaves out', async () => {
    const rec = new Recorder();
    const { runner: r } = runner(rec);
    const seed = actions([SEED_001]);
    r.run(seed, transition('pending', { from: 'normal' }));
    r.run(seed, transition('firing', { from: 'pending' }));
    r.run(seed, transition('normal'));
    await r.idle();
    expect(rec.calls).toEqual([
      { topic: '/alert', payload: '1', qos: 1, retain: true },
      { topic: '/alert', payload: '0', qos: 1, retain: true },
    ]);
    expect(r.deliveries()).toEqual([
      {
        time: '2026-11-22T06:06:23.040Z',
        rule: 'pot-high',
        instance: '',
        action: { index: 0, type: 'mqtt' },
        target: '/alert',
        state: 'normal',
        ok: true,
        attempts: 1,
        durationMs: 0,
      },
      expect.objectContaining({ state: 'firing', ok: true, target: '/alert' }),
    ]);
  });

  it('returns from run() before publishing, and never throws', async () => {
    const rec = new Recorder();
    const { runner: r } = runner(rec);
    const throwing: Publish = () => {
      throw new Error('synchronous failure');
    };
    const { runner: r2 } = runner(rec, { publish: throwing, mqttRetry: { attempts: 1 } });
    r.run(actions([SEED_001]), transition('firing'));
    expect(rec.calls).toHaveLength(0);
    expect(() => r2.run(actions([SEED_001]), transition('firing'))).not.toThrow();
    await Promise.all([r.idle(), r2.idle()]);
    expect(rec.calls).toHaveLength(1);
    expect(r2.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 1,
      error: 'could not publish after 1 attempts: synchronous failure',
    });
  });

  it('renders topic and payload templates', async () => {
    const rec = new Recorder();
    const { runner: r } = runner(rec);
    const a = actions([
      {
        type: 'mqtt',
        on: ['firing', 'normal', 'nodata'],
        topic: 'alerts/{{rule}}/{{labels.device}}',
        payload: '{"state":"{{state}}","was":"{{previous}}","value":"{{value}}","at":"{{time}}"}',
        qos: 0,
      },
    ]);
    r.run(a, transition('firing', { labels: { device: 'esp32' }, instance: 'device=esp32' }));
    r.run(a, transition('nodata', { labels: { device: 'esp32' }, value: null }));
    await r.idle();
    expect(rec.calls).toEqual([
      {
        topic: 'alerts/pot-high/esp32',
        payload: '{"state":"firing","was":"normal","value":"91","at":"2026-11-22T06:06:23.000Z"}',
        qos: 0,
        retain: false,
      },
      {
        topic: 'alerts/pot-high/esp32',
        payload: '{"state":"nodata","was":"normal","value":"","at":"2026-11-22T06:06:23.000Z"}',
        qos: 0,
        retain: false,
      },
    ]);
  });

  it('records a topic that renders badly as a failed delivery, without publishing', async () => {
    const rec = new Recorder();
    const { runner: r, metrics } = runner(rec);
    const a = actions([{ type: 'mqtt', topic: 'alerts/{{labels.device}}', payload: '1', on: ['firing'] }]);
    r.run(a, transition('firing', { labels: { device: 'a/#' }, instance: 'device=a/#' }));
    await r.idle();
    expect(rec.calls).toHaveLength(0);
    expect(r.deliveries()).toEqual([
      expect.objectContaining({
        instance: 'device=a/#',
        target: 'alerts/a/#',
        ok: false,
        attempts: 0,
        error:
          'the topic template "alerts/{{labels.device}}" rendered a topic that cannot be published to: "alerts/a/#" holds a wildcard (+ or #), which a published topic cannot',
      }),
    ]);
    expect(metrics.render()).toContain('sensorhub_alert_actions_total{result="failed",type="mqtt"} 1');
  });

  it('retries a failing publish with backoff, then gives up and says why', async () => {
    const rec = new Recorder();
    rec.failures = 2;
    const { runner: r } = runner(rec);
    r.run(actions([SEED_001]), transition('firing'));
    await r.idle();
    expect(rec.calls).toHaveLength(3);
    expect(r.deliveries()[0]).toMatchObject({ ok: true, attempts: 3 });

    const down = new Recorder();
    down.failures = 100;
    const { runner: r2 } = runner(down);
    r2.run(actions([SEED_001]), transition('firing'));
    await r2.idle();
    expect(down.calls).toHaveLength(3);
    expect(r2.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 3,
      error: 'could not publish after 3 attempts: broker unreachable',
    });
  });

  it('counts a publish that never settles as failed after its timeout', async () => {
    const stuck: Publish = () => new Promise<void>(() => {});
    const { runner: r } = runner(new Recorder(), {
      publish: stuck,
      mqttRetry: { attempts: 2, backoffMs: 1, timeoutMs: 30 },
    });
    r.run(actions([SEED_001]), transition('firing'));
    await r.idle();
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 2,
      error: 'could not publish after 2 attempts: the broker did not take the message within 30 ms',
    });
  });

  it('keeps one action’s deliveries in order: a later transition waits for the earlier publish', async () => {
    const rec = new Recorder();
    rec.delayMs = 20;
    const { runner: r } = runner(rec);
    const seed = actions([SEED_001]);
    r.run(seed, transition('firing'));
    r.run(seed, transition('normal'));
    r.run(seed, transition('firing'));
    await r.idle();
    expect(rec.events).toEqual(['start 1', 'end 1', 'start 0', 'end 0', 'start 1', 'end 1']);
  });

  it('runs different actions side by side', async () => {
    const rec = new Recorder();
    rec.delayMs = 20;
    const { runner: r } = runner(rec);
    const two = actions([SEED_001, { ...SEED_001, topic: '/alert2' }]);
    r.run(two, transition('firing'));
    await r.idle();
    expect(rec.events).toEqual(['start 1', 'start 1', 'end 1', 'end 1']);
  });

  it('drops the oldest waiting delivery beyond maxQueuedPerAction, and records it', async () => {
    const rec = new Recorder();
    rec.delayMs = 10;
    const { runner: r } = runner(rec, { maxQueuedPerAction: 2 });
    const seed = actions([SEED_001]);
    for (const [i, s] of (['firing', 'normal', 'firing', 'normal'] as const).entries()) {
      r.run(seed, transition(s, { message: `m${i}` }));
    }
    await r.idle();
    // The first is in flight at once; of the three waiting, the oldest gives way.
    expect(rec.calls.map((c) => c.payload)).toEqual(['1', '1', '0']);
    const dropped = r.deliveries().filter((d) => !d.ok);
    expect(dropped).toEqual([
      expect.objectContaining({
        state: 'normal',
        attempts: 0,
        error:
          'dropped: 2 deliveries were waiting for this action (its target is slow or down); newer transitions go first',
      }),
    ]);
  });

  it('measures transition→delivered latency with the injected clock', async () => {
    const rec = new Recorder();
    const { runner: r, metrics } = runner(rec);
    r.run(actions([SEED_001]), transition('firing'));
    await r.idle();
    const text = metrics.render();
    expect(text).toContain('sensorhub_alert_actions_total{result="ok",type="mqtt"} 1');
    expect(text).toContain('sensorhub_alert_actions_total{result="failed",type="webhook"} 0');
    // The clock reads 40 ms after the transition.
    expect(text).toContain('sensorhub_alert_action_latency_seconds_bucket{le="0.01"} 0');
    expect(text).toContain('sensorhub_alert_action_latency_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('sensorhub_alert_action_latency_seconds_sum 0.04');
    expect(text).toContain('sensorhub_alert_action_latency_seconds_count 1');
  });

  it('keeps a bounded log, newest first, filtered by rule', async () => {
    const rec = new Recorder();
    const { runner: r } = runner(rec, { deliveryLogSize: 3 });
    const a = actions([SEED_001], 'a');
    const b = actions([SEED_001], 'b');
    r.run(a, transition('firing', { rule: 'a', message: '1' }));
    r.run(b, transition('firing', { rule: 'b' }));
    r.run(a, transition('normal', { rule: 'a' }));
    await r.idle();
    r.run(b, transition('normal', { rule: 'b' }));
    await r.idle();
    expect(r.deliveries().map((d) => `${d.rule}:${d.state}`)).toEqual(['b:normal', 'a:normal', 'b:firing']);
    expect(r.deliveries({ rule: 'a' }).map((d) => d.state)).toEqual(['normal']);
    expect(r.deliveries({ limit: 1 })).toHaveLength(1);
  });

  it('after stop(), records new transitions as not attempted', async () => {
    const rec = new Recorder();
    const { runner: r } = runner(rec);
    await r.stop();
    r.run(actions([SEED_001]), transition('firing'));
    await r.idle();
    expect(rec.calls).toHaveLength(0);
    expect(r.deliveries()[0]).toMatchObject({
      ok: false,
      attempts: 0,
      error: 'not attempted: sensorhub is stopping',
    });
  });
});

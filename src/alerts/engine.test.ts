import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../core/logger.js';
import type { FieldValue, Point } from '../core/point.js';
import { AlertEngine } from './engine.js';
import { type AlertRuleInput, alertRuleSchema, type CompiledAlertRule, compileAlertRule } from './model.js';
import type { AlertTransition } from './types.js';

const S = 1_000_000; // µs per second

/** A fake clock: tests move `now` and call tick() themselves. */
class FakeClock {
  now = 1_700_000_000 * S;
  nowMicros = (): number => this.now;
  advance(seconds: number): number {
    this.now += Math.round(seconds * S);
    return this.now;
  }
}

function rule(input: Partial<AlertRuleInput> & { name?: string } = {}): CompiledAlertRule {
  return compileAlertRule(
    alertRuleSchema.parse({
      name: 'pot-high',
      source: { measurement: 'pot', tags: { topic: '/pot' } },
      reducer: 'avg',
      window: '10s',
      condition: { op: '>', threshold: 3000 },
      ...input,
    }),
  );
}

function setup(rules: CompiledAlertRule[], onTransition?: (t: AlertTransition) => void) {
  const clock = new FakeClock();
  const transitions: AlertTransition[] = [];
  const engine = new AlertEngine({
    clock,
    logger: silentLogger,
    onTransition: onTransition ?? ((t) => transitions.push(t)),
  });
  engine.setRules(rules);
  /** One point now (or at `time`), measurement pot, tag topic=/pot plus `tags`. */
  const send = (
    value: FieldValue,
    tags: Record<string, string> = {},
    time = clock.now,
    measurement = 'pot',
  ) => {
    const p: Point = {
      database: 'sensorhub',
      measurement,
      tags: { topic: '/pot', ...tags },
      fields: { value },
      time,
    };
    engine.observe([p]);
  };
  const states = () => transitions.map((t) => `${t.instance || '-'}:${t.from}>${t.to}`);
  return { clock, engine, transitions, send, states };
}

describe('AlertEngine', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('seed 001: the 10 s average of /pot above 3000 fires, and recovers below it', () => {
    const { clock, engine, send, transitions } = setup([rule({ labels: { severity: 'warning' } })]);
    for (const v of [2000, 2500, 2800]) {
      send(v);
      clock.advance(1);
    }
    expect(transitions).toEqual([]);
    send(6800); // avg (2000 + 2500 + 2800 + 6800) / 4 = 3525
    expect(transitions).toEqual([
      {
        rule: 'pot-high',
        instance: '',
        labels: { severity: 'warning' },
        from: 'normal',
        to: 'firing',
        value: 3525,
        at: clock.now,
        message: 'avg(value) over 10s = 3525 > 3000',
      },
    ]);
    clock.advance(1);
    send(1000); // 3020 > 3000, still firing
    clock.advance(1);
    send(1000); // 2683.33
    expect(transitions[1]).toMatchObject({
      from: 'firing',
      to: 'normal',
      message: 'avg(value) over 10s = 2683.33, not > 3000',
    });
    expect(engine.instances('pot-high')).toEqual([
      expect.objectContaining({
        rule: 'pot-high',
        instance: '',
        state: 'normal',
        since: clock.now,
        windowPoints: 6,
      }),
    ]);
  });

  it('without hysteresis a value oscillating around the threshold flaps every time; with recovery it fires once', () => {
    const flapping = setup([rule({ reducer: 'last' })]);
    const steady = setup([rule({ reducer: 'last', recovery: 2500 })]);
    for (let i = 0; i < 20; i++) {
      for (const s of [flapping, steady]) {
        s.send(i % 2 === 0 ? 3010 : 2990);
        s.clock.advance(0.5);
      }
    }
    expect(flapping.transitions).toHaveLength(20);
    expect(steady.states()).toEqual(['-:normal>firing']);
    expect(steady.transitions[0]?.message).toBe('last(value) over 10s = 3010 > 3000');
    steady.send(2400);
    expect(steady.transitions[1]?.message).toBe('last(value) over 10s = 2400, recovered (recovery < 2500)');
  });

  it('`for` holds the instance pending until the condition held long enough, on ticks without new data', () => {
    const { clock, engine, send, states, transitions } = setup([rule({ reducer: 'max', for: '5s' })]);
    send(3500);
    expect(states()).toEqual(['-:normal>pending']);
    expect(transitions[0]?.message).toBe('max(value) over 10s = 3500 > 3000; fires if it holds for 5s');
    clock.advance(4);
    engine.tick();
    expect(states()).toHaveLength(1);
    clock.advance(1);
    engine.tick();
    expect(states()).toEqual(['-:normal>pending', '-:pending>firing']);
    // A pending that stops holding goes back to normal.
    const b = setup([rule({ reducer: 'last', for: '5s' })]);
    b.send(3500);
    b.clock.advance(2);
    b.send(100);
    expect(b.states()).toEqual(['-:normal>pending', '-:pending>normal']);
  });

  it('keepFiringFor holds the instance recovering, then normal on a tick', () => {
    const { clock, engine, send, states } = setup([
      rule({ reducer: 'last', window: '1m', keepFiringFor: '10s' }),
    ]);
    send(3500);
    send(100);
    expect(states()).toEqual(['-:normal>firing', '-:firing>recovering']);
    clock.advance(5);
    send(3600); // holds again: back to firing
    send(200);
    expect(states().slice(2)).toEqual(['-:recovering>firing', '-:firing>recovering']);
    clock.advance(9);
    engine.tick();
    expect(states()).toHaveLength(4);
    clock.advance(1);
    engine.tick();
    expect(states().slice(4)).toEqual(['-:recovering>normal']);
  });

  it('an empty window holds the state: time alone does not complete pending or recovering', () => {
    const { clock, engine, send, states } = setup([rule({ reducer: 'last', keepFiringFor: '10s' })]);
    send(3500);
    send(100);
    clock.advance(10); // the 10 s window is empty now
    engine.tick();
    expect(states()).toEqual(['-:normal>firing', '-:firing>recovering']);
    send(100);
    expect(states().slice(2)).toEqual(['-:recovering>normal']);
  });

  it('the window slides on ticks: an old peak falls out without new points', () => {
    const { clock, engine, send, states } = setup([rule({ reducer: 'max', recovery: 2000 })]);
    send(3500);
    clock.advance(6);
    send(1000);
    expect(states()).toEqual(['-:normal>firing']);
    clock.advance(3);
    engine.tick(); // the peak is 9 s old: still inside
    expect(states()).toHaveLength(1);
    clock.advance(1);
    engine.tick(); // 10 s: out; max is 1000 now
    expect(states()).toEqual(['-:normal>firing', '-:firing>normal']);
    expect(engine.instances()[0]?.value).toBe(1000);
  });

  it('no data after silence, and a fresh evaluation when data returns', () => {
    const { clock, engine, send, states, transitions } = setup([
      rule({ reducer: 'last', noData: { after: '30s' } }),
    ]);
    send(3500);
    clock.advance(29);
    engine.tick();
    expect(states()).toEqual(['-:normal>firing']);
    clock.advance(1);
    engine.tick();
    expect(states()).toEqual(['-:normal>firing', '-:firing>nodata']);
    expect(transitions[1]).toMatchObject({ value: null, message: 'no data for 30s' });
    clock.advance(60);
    engine.tick(); // once only
    expect(states()).toHaveLength(2);
    send(100);
    expect(states()).toEqual(['-:normal>firing', '-:firing>nodata', '-:nodata>normal']);
    expect(engine.instances()[0]).toMatchObject({ state: 'normal', noData: false });
  });

  it('a rule without groupBy reports no data even if nothing ever came', () => {
    const { clock, engine, states } = setup([rule({ noData: { after: '30s', state: 'firing' } })]);
    clock.advance(30);
    engine.tick();
    expect(states()).toEqual(['-:normal>firing']);
  });

  it('groupBy makes one instance per device, with the device in its name and labels', () => {
    const { send, states, engine, transitions } = setup([
      rule({ reducer: 'last', groupBy: ['device'], labels: { severity: 'page' } }),
    ]);
    send(3500, { device: 'esp-a' });
    send(100, { device: 'esp-b' });
    send(3600, { device: 'esp-b' });
    send(100, { device: 'esp-a' });
    expect(states()).toEqual([
      'device=esp-a:normal>firing',
      'device=esp-b:normal>firing',
      'device=esp-a:firing>normal',
    ]);
    expect(transitions[0]?.labels).toEqual({ severity: 'page', device: 'esp-a' });
    expect(engine.instances().map((i) => [i.instance, i.state])).toEqual([
      ['device=esp-a', 'normal'],
      ['device=esp-b', 'firing'],
    ]);
    // Several group-by tags: the name is sorted by key; a point without one groups under "".
    const multi = setup([rule({ reducer: 'last', groupBy: ['site', 'device'] })]);
    multi.send(3500, { device: 'd1', site: 's1' });
    multi.send(3500, { device: 'd1' });
    expect(multi.engine.instances().map((i) => i.instance)).toEqual(['device=d1,site=', 'device=d1,site=s1']);
  });

  it('routes by database, measurement, field and tag filters', () => {
    const { clock, engine, send, states } = setup([
      rule({ reducer: 'last' }),
      rule({ name: 'temp', source: { measurement: 'temp', database: 'plant' }, reducer: 'last' }),
    ]);
    send(3500, {}, clock.now, 'other'); // other measurement
    send(3500, { topic: '/other' }); // the tag filter does not match
    engine.observe([
      {
        database: 'other',
        measurement: 'pot',
        tags: { topic: '/pot' },
        fields: { value: 3500 },
        time: clock.now,
      },
      {
        database: 'sensorhub',
        measurement: 'pot',
        tags: { topic: '/pot' },
        fields: { other: 1 },
        time: clock.now,
      },
    ]);
    expect(states()).toEqual([]);
    engine.observe([
      { database: 'plant', measurement: 'temp', tags: {}, fields: { value: 4000 }, time: clock.now },
      {
        database: 'sensorhub',
        measurement: 'pot',
        tags: { topic: '/pot' },
        fields: { value: 3001 },
        time: clock.now,
      },
    ]);
    expect(states()).toEqual(['-:normal>firing', '-:normal>firing']);
  });

  it('rules grouped alike share series lookups, also after setRules reorders them', () => {
    const a = rule({ name: 'a', reducer: 'last', groupBy: ['device'] });
    const b = rule({
      name: 'b',
      source: { measurement: 'pot', field: 'other' },
      reducer: 'last',
      groupBy: ['device'],
    });
    const site = rule({ name: 'site', reducer: 'last', groupBy: ['site'] });
    const { clock, engine, transitions } = setup([a, b, site]);
    const point = (device: string, fields: Record<string, number>): Point => ({
      database: 'sensorhub',
      measurement: 'pot',
      tags: { topic: '/pot', device, site: 's1' },
      fields,
      time: clock.now,
    });
    engine.observe([point('d1', { value: 3500 }), point('d2', { other: 3500 })]);
    expect(engine.instances().map((i) => `${i.rule}/${i.instance}:${i.state}`)).toEqual([
      'a/device=d1:firing',
      'b/device=d2:firing',
      'site/site=s1:firing',
    ]);
    engine.setRules([site, b, a]); // same definitions, new order: the shared slots are rebuilt
    transitions.length = 0;
    engine.observe([point('d1', { value: 1, other: 3500 }), point('d2', { value: 3500, other: 1 })]);
    expect(transitions.map((t) => `${t.rule}/${t.instance}:${t.from}>${t.to}`)).toEqual([
      'site/site=s1:firing>normal',
      'site/site=s1:normal>firing',
      'b/device=d1:normal>firing',
      'b/device=d2:firing>normal',
      'a/device=d1:firing>normal',
      'a/device=d2:normal>firing',
    ]);
    expect(engine.stats().instances).toBe(5);
  });

  it('presence offline gives a device’s instances the no-data treatment at once', () => {
    const { engine, send, states, transitions } = setup([
      rule({ name: 'a', reducer: 'last', groupBy: ['device'], noData: { after: '5m' } }),
      rule({ name: 'b', reducer: 'last', groupBy: ['device'] }), // no noData: untouched
      rule({
        name: 'c',
        reducer: 'last',
        source: { measurement: 'pot', tags: { device: 'esp-a' } },
        noData: { after: '5m' },
      }),
    ]);
    send(3500, { device: 'esp-a' });
    send(100, { device: 'esp-b' });
    transitions.length = 0;
    expect(engine.markOffline({ device: 'esp-a' })).toBe(2);
    expect(transitions.map((t) => `${t.rule}/${t.instance || '-'}:${t.from}>${t.to}`)).toEqual([
      'a/device=esp-a:firing>nodata',
      'c/-:firing>nodata',
    ]);
    expect(transitions[0]?.message).toBe('device=esp-a went offline');
    expect(engine.markOffline({ device: 'esp-a' })).toBe(0); // already silent
    expect(engine.markOffline({ site: 'x' })).toBe(0); // no rule selects by site
    // Back online with data: evaluated afresh.
    send(100, { device: 'esp-a' });
    expect(states().slice(2)).toEqual([
      'device=esp-a:nodata>normal',
      'device=esp-a:firing>normal', // rule b: no noData, so it was still firing
      '-:nodata>normal',
    ]);
  });

  it('a string field puts the instance in error; a good value is evaluated afresh', () => {
    const { send, states, transitions, engine } = setup([rule({ reducer: 'avg' })]);
    send(3500);
    send('overload');
    send('overload again');
    expect(states()).toEqual(['-:normal>firing', '-:firing>error']);
    expect(transitions[1]).toMatchObject({
      value: null,
      message: 'field "value" is a string ("overload"); avg needs numbers or booleans',
    });
    expect(engine.instances()[0]).toMatchObject({ state: 'error', error: expect.stringContaining('string') });
    send(3500);
    expect(states()).toEqual(['-:normal>firing', '-:firing>error', '-:error>firing']);
    expect(engine.instances()[0]?.error).toBeNull();
  });

  it('booleans count as 1/0, and count counts points of any type', () => {
    const bools = setup([rule({ reducer: 'avg', condition: { op: '>=', threshold: 0.5 } })]);
    bools.send(true);
    bools.send(false);
    expect(bools.states()).toEqual(['-:normal>firing']);
    const counts = setup([rule({ reducer: 'count', condition: { op: '>', threshold: 2 } })]);
    counts.send('a');
    counts.send(true);
    counts.send(1);
    expect(counts.states()).toEqual(['-:normal>firing']);
  });

  it('ignores points older than the window; counts late points inside it; caps future times at now', () => {
    const { clock, engine, send, states } = setup([
      rule({ reducer: 'sum', condition: { op: '>', threshold: 100 } }),
    ]);
    send(50);
    send(1000, {}, clock.now - 11 * S); // older than the window
    expect(engine.stats().latePoints).toBe(1);
    send(60, {}, clock.now - 5 * S); // late but inside: 110
    expect(states()).toEqual(['-:normal>firing']);
    // A point from an hour ahead counts as now: it does not push the other points out.
    send(1, {}, clock.now + 3600 * S);
    expect(engine.instances()[0]?.value).toBe(111);
  });

  it('snapshot/restore keeps states, since-times and windows, without transitions', () => {
    const rules = [
      rule({ reducer: 'avg', window: '1m', groupBy: ['device'], for: '40s' }),
      rule({ name: 'quiet', reducer: 'last', noData: { after: '30s' } }),
    ];
    const a = setup(rules);
    a.send(3500, { device: 'd1' });
    const pendingSince = a.clock.now;
    a.send(100, { device: 'd2' });
    a.clock.advance(31);
    a.engine.tick(); // quiet → nodata; d1 is still pending
    const before = a.engine.instances();
    const saved = JSON.parse(JSON.stringify(a.engine.snapshot()));

    const b = setup(rules);
    b.clock.now = a.clock.now + 2 * S;
    const summary = b.engine.restore(saved);
    expect(summary).toEqual({ instances: 3, skipped: [] });
    expect(b.transitions).toEqual([]);
    const after = b.engine.instances();
    expect(
      after.map((i) => [i.rule, i.instance, i.state, i.since, i.noData, i.value, i.windowPoints]),
    ).toEqual(before.map((i) => [i.rule, i.instance, i.state, i.since, i.noData, i.value, i.windowPoints]));
    expect(after.find((i) => i.instance === 'device=d1')).toMatchObject({
      state: 'pending',
      since: pendingSince,
    });
    expect(after.find((i) => i.rule === 'quiet')).toMatchObject({ state: 'nodata', noData: true });
    // The restored pending instance fires on time, from the saved point still in its window.
    b.clock.now = pendingSince + 40 * S;
    b.engine.tick();
    expect(b.states()).toEqual(['device=d1:pending>firing']);
    expect(b.transitions[0]?.value).toBe(3500);
    // New points reach the restored instances (no duplicates are created).
    b.send(100, { device: 'd1' });
    expect(b.states()).toEqual([
      'device=d1:pending>firing',
      'device=d1:firing>normal',
      '-:nodata>normal', // "quiet" watches /pot too: data again
    ]);
    expect(b.engine.stats().instances).toBe(3);
  });

  it('restore skips changed and unknown rules, and survives an unreadable state', () => {
    const a = setup([rule({ reducer: 'last' }), rule({ name: 'gone', reducer: 'last' })]);
    a.send(3500);
    const saved = a.engine.snapshot();
    const b = setup([rule({ reducer: 'last', condition: { op: '>', threshold: 10 } })]);
    expect(b.engine.restore(saved)).toEqual({
      instances: 0,
      skipped: [
        { rule: 'pot-high', reason: 'the rule changed since the state was saved' },
        { rule: 'gone', reason: 'no such rule now' },
      ],
    });
    expect(b.engine.restore({ version: 99 })).toMatchObject({
      instances: 0,
      invalid: expect.stringMatching(/^version: /),
    });
    expect(b.engine.restore('garbage')).toMatchObject({ instances: 0 });
  });

  it('snapshot saves windows up to its point budget; larger ones restart empty', () => {
    const clock = new FakeClock();
    const engine = new AlertEngine({
      clock,
      logger: silentLogger,
      onTransition: () => {},
      maxSavedWindowPoints: 3,
    });
    engine.setRules([rule({ groupBy: ['device'] })]);
    const points: Point[] = [];
    for (const device of ['a', 'b']) {
      for (let i = 0; i < 3; i++)
        points.push({
          database: 'sensorhub',
          measurement: 'pot',
          tags: { topic: '/pot', device },
          fields: { value: i },
          time: clock.now - i,
        });
    }
    engine.observe(points);
    const windows = engine.snapshot().rules[0]?.instances.map((i) => i.window?.values.length ?? null);
    expect(windows).toEqual([3, null]);
  });

  it('setRules keeps unchanged rules’ instances, restarts changed ones and drops removed ones', () => {
    const { engine, send, transitions } = setup([
      rule({ reducer: 'last', groupBy: ['device'] }),
      rule({ name: 'changes', reducer: 'last' }),
      rule({ name: 'removed', reducer: 'last' }),
    ]);
    send(3500, { device: 'd1' });
    const since = engine.instances('pot-high')[0]?.since;
    engine.setRules([
      rule({ reducer: 'last', groupBy: ['device'], labels: { team: 'ops' } }), // labels only: kept
      rule({ name: 'changes', reducer: 'last', condition: { op: '>', threshold: 10 } }),
    ]);
    expect(engine.instances().map((i) => [i.rule, i.instance, i.state, i.since])).toEqual([
      ['pot-high', 'device=d1', 'firing', since],
      ['changes', '', 'normal', expect.any(Number)],
    ]);
    expect(engine.instances('pot-high')[0]?.labels).toEqual({ team: 'ops', device: 'd1' });
    expect(engine.instances('removed')).toEqual([]);
    send(100, { device: 'd1' });
    expect(transitions.filter((t) => t.rule === 'pot-high').at(-1)).toMatchObject({
      rule: 'pot-high',
      labels: { team: 'ops', device: 'd1' },
      to: 'normal',
    });
    expect(() => engine.setRules([rule(), rule()])).toThrow(/the name is used twice/);
    expect(engine.rules().map((r) => r.name)).toEqual(['pot-high', 'changes']);
  });

  it('an onTransition that throws does not stop evaluation', () => {
    let calls = 0;
    const { send } = setup([rule({ reducer: 'last' })], () => {
      calls++;
      throw new Error('queue full');
    });
    send(3500);
    send(100);
    expect(calls).toBe(2);
  });

  it('stops creating instances at maxInstancesPerRule', () => {
    const clock = new FakeClock();
    const engine = new AlertEngine({
      clock,
      logger: silentLogger,
      onTransition: () => {},
      maxInstancesPerRule: 2,
    });
    engine.setRules([rule({ groupBy: ['device'] })]);
    for (const device of ['a', 'b', 'c'])
      engine.observe([
        {
          database: 'sensorhub',
          measurement: 'pot',
          tags: { topic: '/pot', device },
          fields: { value: 1 },
          time: clock.now,
        },
      ]);
    expect(engine.stats()).toMatchObject({
      instances: 2,
      droppedPoints: 1,
      states: { normal: 2, firing: 0 },
    });
  });

  it('start() ticks on its own timer; stop() ends it', () => {
    vi.useFakeTimers();
    const { clock, engine, send, states } = setup([rule({ reducer: 'last', noData: { after: '2s' } })]);
    send(100);
    engine.start();
    clock.advance(2);
    vi.advanceTimersByTime(1000);
    expect(states()).toEqual(['-:normal>nodata']);
    engine.stop();
    send(100);
    clock.advance(5);
    vi.advanceTimersByTime(5000);
    expect(states()).toEqual(['-:normal>nodata', '-:nodata>normal']);
  });
});

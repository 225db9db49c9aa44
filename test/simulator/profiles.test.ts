import { describe, expect, it } from 'vitest';
import {
  isProfileName,
  PROFILES,
  type ProfileName,
  profileNames,
} from '../../src/simulator/profiles/index.js';
import { createRng } from '../../src/simulator/rng.js';

function run(name: ProfileName, device: number, ticks: number, seed = 7) {
  const rng = createRng(seed);
  const out: Array<{ topic: string; payload: string }> = [];
  for (let tick = 0; tick < ticks; tick++)
    out.push(...PROFILES[name].messages(device, tick, rng, NOW + tick * 1000));
  return out;
}

const NOW = Date.UTC(2025, 10, 22, 10);

function maxStep(values: number[]): number {
  let max = 0;
  for (let i = 1; i < values.length; i++) {
    max = Math.max(max, Math.abs((values[i] as number) - (values[i - 1] as number)));
  }
  return max;
}

describe('profile table', () => {
  it('is keyed by each profile name', () => {
    expect(profileNames).toEqual(['sensors', 'pot', 'pot-sweep', 'kpi', 'bess']);
    for (const name of profileNames) expect(PROFILES[name].name).toBe(name);
    expect(isProfileName('pot')).toBe(true);
    expect(isProfileName('toString')).toBe(false);
  });

  it('replays the same payloads for the same seed, and different ones for another seed', () => {
    for (const name of profileNames) {
      expect(run(name, 1, 50)).toEqual(run(name, 1, 50));
      expect(run(name, 1, 50, 8)).not.toEqual(run(name, 1, 50));
    }
  });
});

describe('sensors profile', () => {
  it('publishes plain numbers on sensors/<device>/temperature and /humidity in realistic ranges', () => {
    const messages = run('sensors', 3, 5000);
    const temperature = messages.filter((m) => m.topic === 'sensors/device-3/temperature');
    const humidity = messages.filter((m) => m.topic === 'sensors/device-3/humidity');
    expect(temperature).toHaveLength(5000);
    expect(humidity).toHaveLength(5000);
    for (const m of temperature) expect(m.payload).toMatch(/^\d{2}\.\d{2}$/);
    for (const m of humidity) expect(m.payload).toMatch(/^\d{2}\.\d$/);
    const t = temperature.map((m) => Number(m.payload));
    const h = humidity.map((m) => Number(m.payload));
    expect(Math.min(...t)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...t)).toBeLessThanOrEqual(28);
    expect(Math.min(...h)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...h)).toBeLessThanOrEqual(99);
    // A smooth walk: no jumps between consecutive readings.
    expect(maxStep(t)).toBeLessThan(0.2);
    expect(maxStep(h)).toBeLessThan(1.5);
    // ...that still moves.
    expect(Math.max(...t) - Math.min(...t)).toBeGreaterThan(1);
  });

  it('gives each device its own curve', () => {
    const a = run('sensors', 1, 100).map((m) => m.payload);
    const b = run('sensors', 2, 100).map((m) => m.payload);
    expect(a).not.toEqual(b);
  });
});

describe('pot profile', () => {
  it('publishes integers 0-4095 to /pot, with its leading slash, for every device', () => {
    for (const device of [1, 2, 3]) {
      const messages = run('pot', device, 2000);
      expect(new Set(messages.map((m) => m.topic))).toEqual(new Set(['/pot']));
      for (const m of messages) expect(m.payload).toMatch(/^\d+$/);
      const values = messages.map((m) => Number(m.payload));
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(4095);
      // Someone turns the knob across most of its range, not in jumps.
      expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(2000);
      expect(maxStep(values)).toBeLessThan(700);
    }
  });
});

describe('kpi profile (seed 002)', () => {
  it('publishes schema-valid KPI messages on /kpi/engineTemp/<10-character client id>', () => {
    const messages = run('kpi', 0, 200);
    for (const m of messages) {
      expect(m.topic).toBe('/kpi/engineTemp/temp-pub01');
      const body = JSON.parse(m.payload) as { timestamp: string; value: number; unit: string };
      expect(Object.keys(body).sort()).toEqual(['timestamp', 'unit', 'value']);
      expect(body.unit).toBe('°C');
      expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
      expect(body.value).toBeGreaterThan(10);
      expect(body.value).toBeLessThan(100);
    }
    expect(JSON.parse((messages[199] as { payload: string }).payload).value).toBeGreaterThan(80);
  });
});

describe('bess profile (seed 003)', () => {
  it('publishes consistent battery status JSON on /batteries/<id>/status', () => {
    const messages = run('bess', 2, 600);
    const states = new Set<string>();
    for (const m of messages) {
      expect(m.topic).toBe('/batteries/3/status');
      const b = JSON.parse(m.payload) as Record<string, number | string>;
      expect(b.soc as number).toBeGreaterThanOrEqual(5);
      expect(b.soc as number).toBeLessThanOrEqual(100);
      expect(b.voltage as number).toBeGreaterThan(45);
      expect(b.voltage as number).toBeLessThan(55);
      const expected =
        Math.abs(b.current as number) < 1 ? 'idle' : (b.current as number) > 0 ? 'charging' : 'discharging';
      expect(b.state).toBe(expected);
      states.add(b.state as string);
    }
    expect(states.size).toBeGreaterThan(1);
  });
});

describe('pot-sweep profile (seed 001, for alerts)', () => {
  it('turns the knob end to end and back every 60 readings', () => {
    const values = run('pot-sweep', 0, 120).map((m) => Number(m.payload));
    expect(Math.min(...values)).toBeLessThan(300);
    expect(Math.max(...values)).toBeGreaterThan(3800);
    // Above 3000 for a stretch in each cycle, below 2500 for a stretch: a threshold alert fires and recovers.
    const high = values.map((v) => v > 3000);
    const rises = high.filter((h, i) => h && !high[i - 1]).length;
    expect(rises).toBe(2);
    expect(maxStep(values)).toBeLessThan(150);
  });
});

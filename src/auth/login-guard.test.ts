import { describe, expect, it } from 'vitest';
import { LoginGuard } from './login-guard.js';

function fakeClock() {
  let now = 1_000_000;
  return {
    clock: { nowMs: () => now, nowMicros: () => now * 1000 },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('LoginGuard', () => {
  it('blocks an address after maxFailures within the window, for blockMs', () => {
    const t = fakeClock();
    const g = new LoginGuard({ maxFailures: 3, windowMs: 60_000, blockMs: 30_000, clock: t.clock });
    expect(g.failed('10.0.0.1')).toBe(false);
    expect(g.failed('10.0.0.1')).toBe(false);
    expect(g.blockedFor('10.0.0.1')).toBe(0);
    expect(g.failed('10.0.0.1')).toBe(true);
    expect(g.blockedFor('10.0.0.1')).toBe(30_000);
    expect(g.blockedFor('10.0.0.2')).toBe(0);
    t.advance(29_999);
    expect(g.blockedFor('10.0.0.1')).toBe(1);
    t.advance(1);
    expect(g.blockedFor('10.0.0.1')).toBe(0);
  });

  it('forgets failures outside the window and after a success', () => {
    const t = fakeClock();
    const g = new LoginGuard({ maxFailures: 2, windowMs: 10_000, blockMs: 5_000, clock: t.clock });
    g.failed('a');
    t.advance(10_001);
    expect(g.failed('a')).toBe(false);
    g.succeeded('a');
    expect(g.failed('a')).toBe(false);
    expect(g.failed('a')).toBe(true);
    expect(g.failed(undefined)).toBe(false);
    expect(g.blockedFor(undefined)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.js';

describe('LogThrottle', () => {
  it('lets one line through per interval and reports how many it held back', () => {
    let now = 0;
    const t = new LogThrottle(1000, () => now);
    expect(t.allow()).toBe(0);
    now = 500;
    expect(t.allow()).toBeUndefined();
    expect(t.allow()).toBeUndefined();
    now = 1000;
    expect(t.allow()).toBe(2);
    now = 1999;
    expect(t.allow()).toBeUndefined();
    now = 5000;
    expect(t.allow()).toBe(1);
  });
});

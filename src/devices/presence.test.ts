import { describe, expect, it } from 'vitest';
import { PresenceTracker } from './presence.js';

describe('PresenceTracker', () => {
  it('tracks online state, connections and last-seen time with an injected clock', () => {
    let now = 1000;
    const p = new PresenceTracker({ nowMs: () => now, nowMicros: () => now * 1000 });
    expect(p.of('bathroom')).toEqual({ online: false, connections: 0, lastSeen: undefined });
    p.connected('bathroom');
    expect(p.of('bathroom')).toEqual({ online: true, connections: 1, lastSeen: 1000 });
    now = 2000;
    p.connected('bathroom'); // reconnect before the old connection is gone
    now = 3000;
    p.seen('bathroom');
    p.seen('unknown'); // not a tracked device: ignored
    p.disconnected('bathroom');
    expect(p.of('bathroom')).toEqual({ online: true, connections: 1, lastSeen: 3000 });
    expect(p.onlineCount).toBe(1);
    now = 4000;
    p.disconnected('bathroom');
    expect(p.of('bathroom')).toEqual({ online: false, connections: 0, lastSeen: 4000 });
    expect(p.onlineCount).toBe(0);
    p.restore('bathroom', 3500);
    expect(p.of('bathroom').lastSeen).toBe(4000);
    p.restore('kitchen', 500);
    expect(p.lastSeenEntries()).toEqual([
      ['bathroom', 4000],
      ['kitchen', 500],
    ]);
    expect(p.of('unknown')).toEqual({ online: false, connections: 0, lastSeen: undefined });
  });
});

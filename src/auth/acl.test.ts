import { describe, expect, it } from 'vitest';
import { aclPatternError, filterCovers, TopicAcl } from './acl.js';

const ctx = { username: 'bathroom', clientId: 'esp32-1' };
const split = (s: string) => s.split('/');

describe('TopicAcl', () => {
  const acl = new TopicAcl(['sensors/%u/#', 'devices/%c/status', 'alerts/+']);

  it('matches publishes against patterns with %u and %c', () => {
    expect(acl.allowsTopic('sensors/bathroom/temperature', ctx)).toBe(true);
    expect(acl.allowsTopic('sensors/bathroom', ctx)).toBe(true);
    expect(acl.allowsTopic('sensors/kitchen/temperature', ctx)).toBe(false);
    expect(acl.allowsTopic('devices/esp32-1/status', ctx)).toBe(true);
    expect(acl.allowsTopic('devices/esp32-2/status', ctx)).toBe(false);
    expect(acl.allowsTopic('alerts/fire', ctx)).toBe(true);
    expect(acl.allowsTopic('alerts/fire/x', ctx)).toBe(false);
  });

  it('allows a subscription only when every topic it could match is allowed', () => {
    expect(acl.allowsFilter('sensors/bathroom/+', ctx)).toBe(true);
    expect(acl.allowsFilter('sensors/bathroom/#', ctx)).toBe(true);
    expect(acl.allowsFilter('sensors/+/temperature', ctx)).toBe(false);
    expect(acl.allowsFilter('sensors/#', ctx)).toBe(false);
    expect(acl.allowsFilter('#', ctx)).toBe(false);
    expect(acl.allowsFilter('alerts/+', ctx)).toBe(true);
    expect(acl.allowsFilter('alerts/#', ctx)).toBe(false);
    expect(acl.allowsFilter('$share/g/sensors/bathroom/x', ctx)).toBe(true);
  });

  it('grants nothing through an identity that holds wildcards or separators', () => {
    for (const username of ['+', '#', 'a/b', '']) {
      expect(acl.allowsTopic(`sensors/${username}/x`, { username, clientId: 'c' })).toBe(false);
      expect(acl.allowsFilter('sensors/+/x', { username, clientId: 'c' })).toBe(false);
    }
  });

  it('keeps wildcard patterns away from $SYS topics', () => {
    const all = new TopicAcl(['#']);
    expect(all.allowsTopic('$SYS/broker/load', ctx)).toBe(false);
    expect(all.allowsFilter('$SYS/#', ctx)).toBe(false);
    expect(all.allowsTopic('anything/at/all', ctx)).toBe(true);
  });
});

describe('filterCovers', () => {
  it('compares filters level by level', () => {
    expect(filterCovers(split('a/+/c'), split('a/b/c'))).toBe(true);
    expect(filterCovers(split('a/b/c'), split('a/+/c'))).toBe(false);
    expect(filterCovers(split('a/#'), split('a'))).toBe(true);
    expect(filterCovers(split('a/+'), split('a/#'))).toBe(false);
  });
});

describe('aclPatternError', () => {
  it('names bad patterns', () => {
    expect(aclPatternError('a/#/b')).toMatch(/last level/);
    expect(aclPatternError('a/b+')).toMatch(/whole level/);
    expect(aclPatternError('')).toMatch(/empty/);
    expect(aclPatternError('sensors/%u/#')).toBeUndefined();
  });
});

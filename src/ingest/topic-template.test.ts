import { describe, expect, it } from 'vitest';
import { compileStringTemplate, compileTopicTemplate } from './topic-template.js';

describe('topic templates', () => {
  it('matches named single-level wildcards', () => {
    const t = compileTopicTemplate('sensors/+device/+sensor');
    expect(t.names).toEqual(['device', 'sensor']);
    expect(t.match('sensors/bathroom/temperature')).toEqual({ device: 'bathroom', sensor: 'temperature' });
    expect(t.match('sensors/bathroom')).toBeUndefined();
    expect(t.match('sensors/bathroom/temperature/extra')).toBeUndefined();
    expect(t.match('other/bathroom/temperature')).toBeUndefined();
  });

  it('matches a named multi-level rest, including zero levels', () => {
    const t = compileTopicTemplate('plant/#rest');
    expect(t.match('plant/a/b/c')).toEqual({ rest: 'a/b/c' });
    expect(t.match('plant')).toEqual({ rest: '' });
  });

  it('keeps wildcard-first filters away from $ topics [MQTT-4.7.2-1]', () => {
    expect(compileTopicTemplate('#').match('$SYS/broker/load')).toBeUndefined();
    expect(compileTopicTemplate('#').match('/pot')).toEqual({});
    expect(compileTopicTemplate('$SYS/#').match('$SYS/broker')).toEqual({});
  });

  it('refuses malformed templates with a reason', () => {
    expect(() => compileTopicTemplate('a/#/b')).toThrow(/last level/);
    expect(() => compileTopicTemplate('a/b+/c')).toThrow(/whole level/);
    expect(() => compileTopicTemplate('+x/+x')).toThrow(/duplicate/);
    expect(() => compileTopicTemplate('+1x')).toThrow(/not a valid wildcard name/);
  });
});

describe('string templates', () => {
  const vars = {
    named: { device: 'bathroom' },
    topic: 'sensors/bathroom/temp',
    levels: ['sensors', 'bathroom', 'temp'],
    clientId: 'esp32-1',
  };

  it('renders named, positional and built-in references', () => {
    expect(compileStringTemplate('{device}', ['device']).render(vars)).toBe('bathroom');
    expect(compileStringTemplate('{-1}', []).render(vars)).toBe('temp');
    expect(compileStringTemplate('{0}_{1}', []).render(vars)).toBe('sensors_bathroom');
    expect(compileStringTemplate('t={topic} c={clientId}', []).render(vars)).toBe(
      't=sensors/bathroom/temp c=esp32-1',
    );
    expect(compileStringTemplate('constant', []).render(vars)).toBe('constant');
    expect(compileStringTemplate('{9}', []).render(vars)).toBe('');
  });

  it('names the unknown reference', () => {
    expect(() => compileStringTemplate('{nope}', ['device'])).toThrow(/unknown reference \{nope\}/);
  });
});

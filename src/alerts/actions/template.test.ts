import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../types.js';
import { compileTemplate, contextOf, TemplateError, templateProblem } from './template.js';

const T: AlertTransition = {
  rule: 'pot-high',
  instance: 'device=esp32,room=lab',
  labels: { severity: 'warning', device: 'esp32', room: 'lab', 'my-tag': 'x' },
  from: 'pending',
  to: 'firing',
  value: 3120.5,
  at: Date.UTC(2026, 10, 22, 6, 6, 23, 123) * 1000 + 456,
  message: 'avg(value) over 10s = 3120.5 > 3000',
};

describe('compileTemplate', () => {
  it('renders every reference', () => {
    const t = compileTemplate(
      '{{rule}}|{{instance}}|{{state}}|{{previous}}|{{value}}|{{labels.device}}|{{message}}|{{time}}',
    );
    expect(t.render(contextOf(T))).toBe(
      'pot-high|device=esp32,room=lab|firing|pending|3120.5|esp32|avg(value) over 10s = 3120.5 > 3000|2026-11-22T06:06:23.123Z',
    );
  });

  it('allows spaces inside the braces and any label name a tag can have', () => {
    const t = compileTemplate('alerts/{{ rule }}/{{ labels.my-tag }}');
    expect(t.render(contextOf(T))).toBe('alerts/pot-high/x');
  });

  it('renders a missing label and a missing value as empty', () => {
    const t = compileTemplate('[{{labels.nope}}][{{value}}]');
    expect(t.render(contextOf({ ...T, value: null }))).toBe('[][]');
    expect(t.render(contextOf({ ...T, value: Number.NaN }))).toBe('[][]');
  });

  it('keeps text without references, braces included, as it is', () => {
    const t = compileTemplate('{"on": 1} }} {');
    expect(t.render(contextOf(T))).toBe('{"on": 1} }} {');
    expect(t.literals).toEqual(['{"on": 1} }} {']);
    expect(compileTemplate('').render(contextOf(T))).toBe('');
  });

  it('lists the constant parts, for checks made before any value is known', () => {
    expect(compileTemplate('a/{{rule}}/b/{{state}}').literals).toEqual(['a/', '/b/']);
  });

  it('refuses unknown references and names the ones it knows', () => {
    expect(() => compileTemplate('{{ruleName}}')).toThrow(TemplateError);
    expect(templateProblem('x {{ruleName}} y')).toBe(
      'unknown reference {{ruleName}}; templates can use {{rule}}, {{instance}}, {{state}}, {{previous}}, {{value}}, {{message}}, {{time}} and {{labels.NAME}}',
    );
    expect(templateProblem('{{labels.}}')).toMatch(/^unknown reference \{\{labels\.\}\}/);
    expect(templateProblem('{{labels}}')).toMatch(/^unknown reference \{\{labels\}\}/);
    expect(templateProblem('{{}}')).toMatch(/^unknown reference \{\{\}\}/);
  });

  it('refuses a {{ without its }}, with the column', () => {
    expect(templateProblem('alerts/{{rule')).toBe('"{{" at column 8 has no closing "}}"');
    expect(templateProblem('{{rule}} ok')).toBeUndefined();
  });
});

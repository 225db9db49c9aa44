import { describe, expect, it } from 'vitest';
import { decodeAuto } from './auto.js';
import { DecodeError } from './decoder.js';
import { decodeJson } from './json.js';
import { decodeValue, parsePlainValue } from './value.js';

const ctx = { valueField: 'value' };
const buf = (s: string) => Buffer.from(s);

function decodeErrorOf(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error('expected a DecodeError');
}

describe('value decoder', () => {
  it('parses numbers as devices print them, and booleans', () => {
    expect(decodeValue(buf('21.5'), ctx)).toEqual([{ fields: { value: 21.5 } }]);
    expect(decodeValue(buf(' -3\n'), ctx)).toEqual([{ fields: { value: -3 } }]);
    expect(decodeValue(buf('1e3'), ctx)).toEqual([{ fields: { value: 1000 } }]);
    expect(decodeValue(buf('.5'), ctx)).toEqual([{ fields: { value: 0.5 } }]);
    expect(decodeValue(buf('TRUE'), ctx)).toEqual([{ fields: { value: true } }]);
    expect(decodeValue(buf('false'), { valueField: 'on' })).toEqual([{ fields: { on: false } }]);
  });

  it('refuses what Number() would wrongly accept', () => {
    for (const bad of ['', ' ', '0x1f', 'Infinity', 'NaN', '12abc', '1,5', '1e999']) {
      expect(parsePlainValue(bad), bad).toBeUndefined();
    }
    const err = decodeErrorOf(() => decodeValue(buf('hello'), ctx));
    expect(err.code).toBe('ING_DECODE');
    expect(err.message).toContain('"hello"');
    expect(decodeErrorOf(() => decodeValue(buf(''), ctx)).message).toMatch(/empty payload/);
  });
});

describe('json decoder', () => {
  it('keeps numeric and boolean members, flattens nesting with _', () => {
    expect(
      decodeJson(
        buf('{"t":21.5,"ok":true,"name":"x","n":null,"env":{"h":40,"deep":{"p":1}},"arr":[1,2]}'),
        ctx,
      ),
    ).toEqual([{ fields: { t: 21.5, ok: true, env_h: 40, env_deep_p: 1, arr_0: 1, arr_1: 2 } }]);
  });

  it('takes a bare number as a plain value', () => {
    expect(decodeJson(buf('42'), ctx)).toEqual([{ fields: { value: 42 } }]);
  });

  it('rejects invalid JSON, non-objects and objects without fields, with distinct codes', () => {
    expect(decodeErrorOf(() => decodeJson(buf('{"t":'), ctx)).code).toBe('ING_DECODE');
    expect(decodeErrorOf(() => decodeJson(buf('"text"'), ctx)).code).toBe('ING_DECODE');
    expect(decodeErrorOf(() => decodeJson(buf('{"name":"x"}'), ctx)).code).toBe('ING_NO_FIELDS');
  });

  it('bounds nesting depth', () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    expect(decodeErrorOf(() => decodeJson(buf(deep), ctx)).message).toMatch(/deeper/);
  });

  it('only ever throws DecodeError on arbitrary bytes', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = '{}[]":,0123456789.eE-+truefalsnl \\ab\u0000';
    for (let i = 0; i < 3000; i++) {
      const len = rnd() % 30;
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[rnd() % alphabet.length];
      try {
        decodeAuto(buf(s), ctx);
      } catch (err) {
        expect(err, s).toBeInstanceOf(DecodeError);
      }
    }
  });
});

describe('auto decoder', () => {
  it('picks json for objects and value otherwise', () => {
    expect(decodeAuto(buf('  {"a":1}'), ctx)).toEqual([{ fields: { a: 1 } }]);
    expect(decodeAuto(buf('7'), ctx)).toEqual([{ fields: { value: 7 } }]);
  });
});

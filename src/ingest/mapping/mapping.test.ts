import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RuleConfig, ruleSchema } from '../../config/schema.js';
import { type Decoded, decodeMessage } from '../message-decoder.js';
import { RuleSet } from '../rules.js';
import { parseRfc3339, parseTimestamp } from './coerce.js';
import { compileJsonPath } from './json-path.js';

const T = 1_763_805_600_000_000;

function rules(...configs: Array<Record<string, unknown>>): RuleSet {
  return RuleSet.compile(
    configs.map((c) => ruleSchema.parse(c) as RuleConfig),
    false,
  );
}

function run(set: RuleSet, topic: string, payload: string | Buffer, clientId = 'c1'): Decoded {
  return decodeMessage(
    set,
    {
      source: 'mqtt',
      clientId,
      topic,
      payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
      receivedAt: T,
    },
    { database: 'db', maxPayloadSize: 1 << 20 },
  );
}

function points(d: Decoded) {
  if (d.kind !== 'points') throw new Error(`expected points, got ${JSON.stringify(d)}`);
  return d.points;
}

function rejection(d: Decoded) {
  if (d.kind !== 'reject') throw new Error(`expected a rejection, got ${JSON.stringify(d)}`);
  return d;
}

describe('json paths', () => {
  it('reads members, indexes and quoted names, and nothing else', () => {
    const doc = { a: { b: [10, { c: 'x' }] }, 'odd.key': 1 };
    expect(compileJsonPath('$').get(doc)).toBe(doc);
    expect(compileJsonPath('$.a.b[0]').get(doc)).toBe(10);
    expect(compileJsonPath('$.a.b.1.c').get(doc)).toBe('x');
    expect(compileJsonPath('$["odd.key"]').get(doc)).toBe(1);
    expect(compileJsonPath('$.a.missing.deeper').get(doc)).toBeUndefined();
    expect(compileJsonPath('$.toString').get({})).toBeUndefined();
    expect(() => compileJsonPath('$.a..b')).toThrow(/empty member name/);
    expect(() => compileJsonPath('$.a[x]')).toThrow(/index or a quoted name/);
  });
});

describe('timestamps', () => {
  it('parses RFC 3339 with any fraction and zone, exactly to the microsecond', () => {
    expect(parseRfc3339('2025-11-22T10:00:00Z')).toBe(Date.UTC(2025, 10, 22, 10) * 1000);
    expect(parseRfc3339('2025-11-22T10:00:00.123456789Z')).toBe(Date.UTC(2025, 10, 22, 10) * 1000 + 123456);
    expect(parseRfc3339('2025-11-22T12:00:00.5+02:00')).toBe(Date.UTC(2025, 10, 22, 10) * 1000 + 500000);
    expect(parseRfc3339('2025-13-01T00:00:00Z')).toMatch(/not a valid date/);
    expect(parseRfc3339('yesterday')).toMatch(/not an RFC 3339 time/);
  });

  it('takes epoch numbers in the unit asked, or guesses it by magnitude', () => {
    const s = 1_763_805_600;
    expect(parseTimestamp(s, 'auto')).toBe(s * 1e6);
    expect(parseTimestamp(s * 1e3 + 5, 'auto')).toBe(s * 1e6 + 5000);
    expect(parseTimestamp(s * 1e6 + 7, 'auto')).toBe(s * 1e6 + 7);
    expect(parseTimestamp('1763805600123456789', 'auto')).toBe(s * 1e6 + 123456);
    expect(parseTimestamp('1763805600123456789', 'ns')).toBe(s * 1e6 + 123456);
    expect(parseTimestamp(1.5, 's')).toBe(1_500_000);
    expect(parseTimestamp(s, 'rfc3339')).toMatch(/expects an RFC 3339 string/);
    expect(parseTimestamp(null, 'auto')).toMatch(/not a timestamp/);
  });
});

describe('rule mapping', () => {
  it('selects, renames and coerces fields, and takes tags, measurement and time from the payload', () => {
    const set = rules({
      name: 'm',
      topic: 'plant/+line/status',
      format: 'json',
      measurement: '$.kind',
      tags: { line: '{line}', unit: '$.meta.unit' },
      fields: {
        temperature: '$.t',
        count: { value: '$.n', type: 'int' },
        ok: { value: '$.ok', type: 'bool' },
        label: { value: '$.label', type: 'string', optional: true },
        line_no: { value: '{line}', type: 'float' },
      },
      time: { value: '$.ts', format: 'ms' },
    });
    const [p] = points(
      run(
        set,
        'plant/7/status',
        '{"kind":"press","t":"21.5","n":3.9,"ok":"true","ts":1763805600000,"meta":{"unit":"C"}}',
      ),
    );
    expect(p).toEqual({
      database: 'db',
      measurement: 'press',
      tags: { line: '7', unit: 'C' },
      fields: { temperature: '21.5', count: 3, ok: true, line_no: 7 },
      time: 1_763_805_600_000_000,
    });
  });

  it('rejects a missing required field and an uncoercible value with ING_MAPPING naming the field', () => {
    const set = rules({
      name: 'm',
      topic: 'x',
      format: 'json',
      measurement: 'm',
      fields: { v: { value: '$.v', type: 'float' } },
    });
    expect(rejection(run(set, 'x', '{"w":1}'))).toMatchObject({
      code: 'ING_MAPPING',
      message: expect.stringContaining('field v: $.v is missing'),
    });
    expect(rejection(run(set, 'x', '{"v":"warm"}'))).toMatchObject({
      code: 'ING_MAPPING',
      message: expect.stringContaining('"warm" is not a number'),
    });
  });

  it('turns an array of readings into one point each, with per-reading times', () => {
    const set = rules({
      name: 'batch',
      topic: 'dev/+id/batch',
      format: 'json',
      measurement: 'env',
      tags: { device: '{id}', probe: '$.probe' },
      readings: '$.data',
      time: '$.at',
    });
    const out = points(
      run(
        set,
        'dev/d1/batch',
        '{"data":[{"probe":"a","at":"2025-11-22T10:00:00Z","t":1},{"probe":"b","at":"2025-11-22T10:00:01Z","t":2,"h":40}]}',
      ),
    );
    expect(out.map((p) => [p.tags, p.fields, p.time])).toEqual([
      [{ device: 'd1', probe: 'a' }, { t: 1 }, Date.UTC(2025, 10, 22, 10) * 1000],
      [{ device: 'd1', probe: 'b' }, { t: 2, h: 40 }, Date.UTC(2025, 10, 22, 10) * 1000 + 1e6],
    ]);
    expect(rejection(run(set, 'dev/d1/batch', '{"data":{"t":1}}')).code).toBe('ING_MAPPING');
    expect(rejection(run(set, 'dev/d1/batch', '{"data":[]}')).code).toBe('ING_NO_FIELDS');
    expect(rejection(run(set, 'dev/d1/batch', '{"data":[{"t":1,"at":"soon"}]}')).message).toMatch(
      /reading 0 .*not an RFC 3339/,
    );
  });

  it('filters flattened members with include/exclude globs and renames them', () => {
    const set = rules({
      name: 'f',
      topic: 'x',
      format: 'json',
      measurement: 'm',
      include: ['env_*', 'rssi'],
      exclude: ['env_debug*'],
      rename: { rssi: 'signal' },
    });
    const [p] = points(run(set, 'x', '{"env":{"t":1,"h":2,"debug_x":3},"rssi":-70,"other":5}'));
    expect(p?.fields).toEqual({ env_t: 1, env_h: 2, signal: -70 });
  });

  it('validates against a JSON Schema (draft-07 file and 2020-12 inline) with every violation listed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sh-schema-'));
    await writeFile(
      join(dir, 'kpi.json'),
      JSON.stringify({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        required: ['value', 'timestamp'],
        properties: { value: { type: 'number' }, timestamp: { type: 'string', format: 'date-time' } },
        additionalProperties: false,
      }),
    );
    const set = RuleSet.compile(
      [
        ruleSchema.parse({
          name: 'kpi',
          topic: 'kpi/+k',
          format: 'json',
          measurement: '{k}',
          schema: 'kpi.json',
          fields: { value: '$.value' },
          time: '$.timestamp',
        }),
        ruleSchema.parse({
          name: 'v2020',
          topic: 'v/+k',
          format: 'json',
          measurement: '{k}',
          schema: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            prefixItems: [{ type: 'number' }],
            properties: { v: { type: 'integer', minimum: 0 } },
            required: ['v'],
          },
        }),
      ],
      false,
      dir,
    );
    expect(
      points(run(set, 'kpi/temp', '{"value":21.5,"timestamp":"2025-11-22T10:00:00Z"}'))[0]?.fields,
    ).toEqual({ value: 21.5 });
    const bad = rejection(run(set, 'kpi/temp', '{"value":"hot","timestamp":"noon","extra":1}'));
    expect(bad.code).toBe('ING_SCHEMA');
    expect(bad.message).toContain('/value: must be number');
    expect(bad.message).toContain('/timestamp: must match format "date-time"');
    expect(bad.message).toContain('must NOT have additional properties "extra"');
    expect(rejection(run(set, 'v/x', '{"v":-1}')).message).toContain('/v: must be >= 0');
    expect(() =>
      RuleSet.compile(
        [ruleSchema.parse({ name: 'k', topic: 'k', measurement: 'k', schema: 'missing.json' })],
        false,
        dir,
      ),
    ).toThrow(/rule "k": cannot read schema/);
  });

  it('checks topic-level constraints and says which one failed', () => {
    const set = rules({
      name: 'kpi',
      topic: '/kpi/+kpi/+client',
      measurement: '{kpi}',
      tags: { client: '{client}' },
      constraints: { client: { length: 10 }, kpi: { pattern: '[A-Za-z]+' } },
    });
    expect(points(run(set, '/kpi/engineTemp/temp-pub01', '21.5'))[0]?.tags).toEqual({ client: 'temp-pub01' });
    expect(rejection(run(set, '/kpi/engineTemp/short', '21.5'))).toMatchObject({
      code: 'ING_TOPIC_CONSTRAINT',
      message: expect.stringContaining('client "short" must be exactly 10 characters (it has 5)'),
    });
    expect(rejection(run(set, '/kpi/engine-1/temp-pub01', '1')).message).toContain(
      'does not match /[A-Za-z]+/',
    );
    expect(() =>
      rules({ name: 'x', topic: 'a/+b', measurement: 'm', constraints: { c: { length: 1 } } }),
    ).toThrow(/not a named wildcard/);
  });

  it('explains which rules were tried', () => {
    const set = rules(
      { name: 'a', topic: 'a/+x', measurement: 'm' },
      { name: 'b', topic: 'b/+dev', measurement: 'm', constraints: { dev: { maxLength: 2 } } },
    );
    expect(set.explain('b/long', 'c')).toEqual([
      { rule: 'a', matched: false, reason: 'topic does not match a/+x' },
      {
        rule: 'b',
        matched: true,
        reason: 'topic matches b/+dev (dev=long), but dev "long" must be at most 2 characters',
      },
    ]);
  });

  it('refuses mapping options that a format cannot use', () => {
    expect(() => rules({ name: 'lp', topic: 'x', format: 'influx', fields: { a: '$.a' } })).toThrow(
      /format influx/,
    );
    expect(() => ruleSchema.parse({ name: 'j', topic: 'x', format: 'json' })).toThrow(
      /measurement is required/,
    );
  });
});

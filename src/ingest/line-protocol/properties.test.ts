import { isDeepStrictEqual } from 'node:util';
import { Point } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import type { FieldValue } from '../../core/point.js';
import { type LpPoint, type ParseResult, type Precision, parseLineProtocol } from './parse.js';
import { formatLineProtocol, formatLineProtocolLines } from './serialize.js';

/** What every result must satisfy, whatever the input. */
function checkShape(r: ParseResult): void {
  expect(r.lines).toBe(r.points.length + r.errors.length);
  for (const e of r.errors) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.text.length).toBeLessThanOrEqual(200);
    expect(e.message.length).toBeGreaterThan(0);
  }
  for (const p of r.points) {
    expect(p.measurement.length).toBeGreaterThan(0);
    expect(Object.keys(p.fields).length).toBeGreaterThan(0);
    for (const v of Object.values(p.fields)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    if (p.time !== undefined) expect(Number.isSafeInteger(p.time)).toBe(true);
  }
}

/** Characters that matter to the grammar, plus a few that do not, so random text reaches every branch. */
const LP_CHARS = [
  ...' ,="\\#\n\r\t-+.eEiuTtFfNaI0123456789',
  'x',
  'cpu',
  'value',
  'true',
  'ü',
  '🚀',
  '\u0000',
];
const lpText = fc.string({ unit: fc.constantFrom(...LP_CHARS), maxLength: 300 });

describe('line protocol parser: fuzzing', () => {
  it('never throws on arbitrary strings, and always answers in the documented shape', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), lpText), (text) => {
        checkShape(parseLineProtocol(text));
        checkShape(parseLineProtocol(text, { precision: 'h', maxLineBytes: 20 }));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary bytes (invalid UTF-8 included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        checkShape(parseLineProtocol(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes time linear in the input, also on pathological text', () => {
    // Each shape repeats a construct the scanner could, if written carelessly, rescan per occurrence.
    const shapes = [
      'm,a=1'.repeat(1),
      `m ${'a=1,'.repeat(20_000)}a=1`,
      `m,${Array.from({ length: 5_000 }, (_, i) => `t${i}=v`).join(',')} v=1`,
      `m s="${'\\"'.repeat(50_000)}`,
      '"'.repeat(100_000),
      `${'m v="\n'.repeat(20_000)}`,
      '\\'.repeat(100_000),
      `${'#\n'.repeat(50_000)}`,
      `m v=${'9'.repeat(100_000)}`,
    ];
    for (const text of shapes) {
      const started = performance.now();
      checkShape(parseLineProtocol(text, { maxLineBytes: 10_000_000 }));
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(1_000);
    }
  });

  it('reads floats exactly as Number() does', () => {
    const decimal = fc
      .tuple(
        fc.boolean(),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 }),
        fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 })),
        fc.option(fc.integer({ min: -400, max: 400 })),
      )
      .map(
        ([neg, int, frac, exp]) =>
          `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`,
      )
      .filter((text) => Number.isFinite(Number(text)));
    fc.assert(
      fc.property(
        fc.oneof(decimal, fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)),
        (text) => {
          const r = parseLineProtocol(`m v=${text}`);
          expect(r.errors).toEqual([]);
          expect(r.points[0]?.fields.v).toBe(Number(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// Names: any character but a newline, with the escapable ones and non-ASCII over-represented.
const NAME_CHARS = [...' ,=\\"#\t\r', 'a', 'b', 'Z', '0', '_', 'é', '⚡', '🍭', '\u0000', '\u00a0'];
const nameText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\n')),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'value', 'host'),
);
// A measurement may not begin like a comment or with the blanks skipped at the start of a line.
const measurement = nameText.filter((s) => !s.startsWith('#') && !s.startsWith('\t'));

type FieldSpec = { value: FieldValue; kind?: 'i' | 'u' };
const fieldSpec: fc.Arbitrary<FieldSpec> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ value })),
  fc.integer({ min: -1e6, max: 1e6 }).map((value) => ({ value })),
  fc
    .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    .map((b) => ({ value: Number(b), kind: 'i' as const })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => ({ value: Number(b), kind: 'u' as const })),
  fc.integer({ min: -1000, max: 1000 }).map((value) => ({ value, kind: 'i' as const })),
  fc.boolean().map((value) => ({ value })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ value })),
  fc.string({ unit: fc.constantFrom(...'"\\\n\r ,=x'), maxLength: 12 }).map((value) => ({ value })),
);

const PRECISIONS: readonly Precision[] = ['ns', 'us', 'u', 'ms', 's', 'm', 'h'];
const PER_UNIT: Record<Precision, number> = { ns: 1, us: 1, u: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };

/** A time a precision can say exactly: a whole number of its units, within the exact-microsecond range. */
function timeIn(precision: Precision): fc.Arbitrary<number | undefined> {
  const per = PER_UNIT[precision];
  const max = Math.floor(Number.MAX_SAFE_INTEGER / per);
  return fc.option(
    fc.integer({ min: -max, max }).map((units) => (units === 0 ? 0 : units * per)),
    {
      nil: undefined,
    },
  );
}

const point = (precision: Precision): fc.Arbitrary<LpPoint> =>
  fc
    .record({
      measurement,
      tags: fc.uniqueArray(fc.tuple(nameText, nameText), { selector: (t) => t[0], maxLength: 5 }),
      fields: fc.uniqueArray(fc.tuple(nameText, fieldSpec), {
        selector: (t) => t[0],
        minLength: 1,
        maxLength: 6,
      }),
      time: timeIn(precision),
    })
    .map(({ measurement, tags, fields, time }) => {
      const p: LpPoint = { measurement, tags: {}, fields: {}, time };
      const intFields: Record<string, 'i' | 'u'> = {};
      for (const [k, v] of tags)
        Object.defineProperty(p.tags, k, { value: v, enumerable: true, writable: true, configurable: true });
      for (const [k, spec] of fields) {
        Object.defineProperty(p.fields, k, {
          value: spec.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (spec.kind)
          Object.defineProperty(intFields, k, {
            value: spec.kind,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      if (Object.keys(intFields).length > 0) p.intFields = intFields;
      return p;
    });

const pointWithPrecision = fc
  .constantFrom(...PRECISIONS)
  .chain((precision) => fc.tuple(fc.constant(precision), point(precision)));

describe('line protocol: format → parse round trip', () => {
  it('gives back every point, with every escapable character, unicode, all field kinds and precisions', () => {
    fc.assert(
      fc.property(pointWithPrecision, ([precision, p]) => {
        const line = formatLineProtocol(p, precision);
        const r = parseLineProtocol(line, { precision });
        expect(r.errors, line).toEqual([]);
        expect(r.points).toEqual([p]);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back a batch in order, also as UTF-8 bytes (string values may hold newlines)', () => {
    fc.assert(
      fc.property(fc.array(point('ns'), { minLength: 1, maxLength: 10 }), (points) => {
        const text = formatLineProtocolLines(points);
        const r = parseLineProtocol(Buffer.from(text));
        expect(r.errors, text).toEqual([]);
        expect(r.points).toEqual(points);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the good lines of a batch whatever garbage lines sit between them', () => {
    // Garbage without quotes: an unbalanced quote would (as in InfluxDB) swallow the next line's newline.
    const garbage = fc.string({
      unit: fc.constantFrom(...LP_CHARS.filter((c) => c !== '"' && c !== '\n')),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(point('ns'), garbage), { minLength: 1, maxLength: 8 }), (pairs) => {
        const text = pairs.map(([p, g]) => `${formatLineProtocol(p)}\n${g}`).join('\n');
        const r = parseLineProtocol(text);
        checkShape(r);
        // Every good point comes out, in order, among whatever the garbage happened to spell.
        let at = 0;
        for (const [p] of pairs) {
          while (at < r.points.length && !isDeepStrictEqual(r.points[at], p)) at++;
          expect(at, formatLineProtocol(p)).toBeLessThan(r.points.length);
          at++;
        }
      }),
      { numRuns: 500 },
    );
  });
});

// What the official JavaScript client can write unambiguously: it does not double a trailing backslash and
// writes a newline in a name as the two characters \n, so names here hold neither.
const CLIENT_NAME_CHARS = [...' ,="#', 'a', 'b', 'Z', '0', '_', 'é', '⚡', '🍭'];
const clientName = fc.string({ unit: fc.constantFrom(...CLIENT_NAME_CHARS), minLength: 1, maxLength: 10 });
type ClientField =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'uint'; digits: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string };
const clientField: fc.Arbitrary<ClientField> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ kind: 'float' as const, value })),
  fc.maxSafeInteger().map((value) => ({ kind: 'int' as const, value })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => ({ kind: 'uint' as const, digits: b.toString() })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ kind: 'string' as const, value })),
);

describe('line protocol parser: against the official InfluxDB client', () => {
  it('reads what @influxdata/influxdb-client writes, as InfluxDB would', () => {
    fc.assert(
      fc.property(
        clientName.filter((m) => !m.startsWith('#')),
        fc.uniqueArray(fc.tuple(clientName, clientName), { selector: (t) => t[0], maxLength: 4 }),
        fc.uniqueArray(fc.tuple(clientName, clientField), {
          selector: (t) => t[0],
          minLength: 1,
          maxLength: 6,
        }),
        fc.bigInt({ min: -(2n ** 53n - 1n) * 1000n, max: (2n ** 53n - 1n) * 1000n }),
        (name, tags, fields, ns) => {
          const point = new Point(name).timestamp(ns.toString());
          const expected: LpPoint = {
            measurement: name,
            tags: {},
            fields: {},
            time: Number(floorDiv(ns, 1000n)),
          };
          const intFields: Record<string, 'i' | 'u'> = {};
          for (const [k, v] of tags) {
            point.tag(k, v);
            expected.tags[k] = v;
          }
          for (const [k, f] of fields) {
            if (f.kind === 'float') point.floatField(k, f.value);
            else if (f.kind === 'int') point.intField(k, f.value);
            else if (f.kind === 'uint') point.uintField(k, f.digits);
            else if (f.kind === 'bool') point.booleanField(k, f.value);
            else point.stringField(k, f.value);
            // The client writes floats with String(), which drops the sign of -0.
            expected.fields[k] =
              f.kind === 'uint' ? Number(f.digits) : f.kind === 'float' ? Number(String(f.value)) : f.value;
            if (f.kind === 'int') intFields[k] = 'i';
            if (f.kind === 'uint') intFields[k] = 'u';
          }
          if (Object.keys(intFields).length > 0) expected.intFields = intFields;
          const line = point.toLineProtocol() as string;
          const r = parseLineProtocol(line);
          expect(r.errors, line).toEqual([]);
          expect(r.points).toEqual([expected]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

describe('line protocol serializer', () => {
  it('writes canonical lines: sorted tags, minimal escapes, suffixes, shortest floats', () => {
    expect(
      formatLineProtocol({
        measurement: 'my measurement,x=1',
        tags: { region: 'us west', host: 'a=b,c' },
        fields: {
          'field key': 'say "hi" \\o/',
          n: 12,
          big: 2 ** 60,
          u: 2 ** 64,
          f: 0.1,
          t: true,
          z: -0,
        },
        intFields: { n: 'i', big: 'i', u: 'u' },
        time: 1700000000123456,
      }),
    ).toBe(
      'my\\ measurement\\,x=1,host=a\\=b\\,c,region=us\\ west field\\ key="say \\"hi\\" \\\\o/",n=12i,big=1152921504606846976i,u=18446744073709551615u,f=0.1,t=true,z=-0 1700000000123456000',
    );
    expect(
      formatLineProtocol({
        measurement: 'a\\b\\',
        tags: { 'k\\': 'v\\,' },
        fields: { v: 1 },
        time: undefined,
      }),
    ).toBe('a\\b\\\\,k\\\\=v\\\\\\, v=1');
  });

  it('writes the time in each precision, flooring what the precision cannot hold', () => {
    const at = (time: number, precision?: Precision) =>
      formatLineProtocol({ measurement: 'm', tags: {}, fields: { v: 1 }, time }, precision);
    expect(at(1_500_000)).toBe('m v=1 1500000000');
    expect(at(0)).toBe('m v=1 0');
    expect(at(-1)).toBe('m v=1 -1000');
    expect(at(1_500_000, 'us')).toBe('m v=1 1500000');
    expect(at(1_500_000, 'u')).toBe('m v=1 1500000');
    expect(at(1_500_999, 'ms')).toBe('m v=1 1500');
    expect(at(-1, 'ms')).toBe('m v=1 -1');
    expect(at(1_500_000, 's')).toBe('m v=1 1');
    expect(at(120_000_000, 'm')).toBe('m v=1 2');
    expect(at(7_200_000_000, 'h')).toBe('m v=1 2');
    expect(formatLineProtocolLines([])).toBe('');
  });

  it('refuses points line protocol cannot say, with AppError ING_INVALID_POINT', () => {
    const base: LpPoint = { measurement: 'm', tags: {}, fields: { v: 1 }, time: undefined };
    const refusals: Array<[Partial<LpPoint>, RegExp]> = [
      [{ measurement: '' }, /the measurement is empty/],
      [{ measurement: '#m' }, /cannot start with "#" or a tab/],
      [{ measurement: '\tm' }, /cannot start with "#" or a tab/],
      [{ measurement: 'a\nb' }, /the measurement "a\\nb" holds a newline/],
      [{ tags: { '': 'x' } }, /a tag key is empty/],
      [{ tags: { k: '' } }, /tag "k" is empty/],
      [{ tags: { k: 'a\nb' } }, /tag "k" "a\\nb" holds a newline/],
      [{ fields: {} }, /needs at least one field/],
      [{ fields: { 'a\nb': 1 } }, /a field key "a\\nb" holds a newline/],
      [{ fields: { v: Number.NaN } }, /field "v" is NaN/],
      [{ fields: { v: Number.POSITIVE_INFINITY } }, /field "v" is Infinity/],
      [{ fields: { v: 1.5 }, intFields: { v: 'i' } }, /marked i but 1.5 is not an integer/],
      [{ fields: { v: -1 }, intFields: { v: 'u' } }, /marked u but -1 is negative/],
      [{ fields: { v: -(2 ** 64) }, intFields: { v: 'i' } }, /below the int64 range/],
      [{ time: 1.5 }, /time 1.5 is not an integer number of microseconds/],
      [{ time: 2 ** 60 }, /is not an integer number of microseconds/],
    ];
    for (const [patch, message] of refusals) {
      let thrown: unknown;
      try {
        formatLineProtocol({ ...base, ...patch });
      } catch (err) {
        thrown = err;
      }
      expect(thrown, String(message)).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('ING_INVALID_POINT');
      expect((thrown as AppError).message).toMatch(message);
    }
  });
});

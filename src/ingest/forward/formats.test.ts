import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../core/point.js';
import { parseLineProtocol } from '../line-protocol/parse.js';
import {
  headerSafe,
  jsonBody,
  lineBody,
  parseRfc3339Micros,
  pointLine,
  pointsJson,
  pointsLines,
  rawBody,
  rfc3339Micros,
} from './formats.js';
import { encodeRecord, type ForwardItem, itemOf, readRecord } from './item.js';

const T = 1_795_327_586_680_123; // 2026-11-22T06:06:26.680123Z

const point = (over: Partial<Point> = {}): Point => ({
  database: 'sensorhub',
  measurement: 'temperature',
  tags: { device: 'bathroom' },
  fields: { value: 21.5 },
  time: T,
  ...over,
});

describe('rfc3339Micros', () => {
  it('writes UTC with six fraction digits, before 1970 too', () => {
    expect(rfc3339Micros(T)).toBe('2026-11-22T06:06:26.680123Z');
    expect(rfc3339Micros(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(rfc3339Micros(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(Date.parse(rfc3339Micros(T))).toBe(Math.floor(T / 1000));
    for (const t of [T, 0, -1, -1_000_001, 999_999]) expect(parseRfc3339Micros(rfc3339Micros(t))).toBe(t);
  });
});

describe('jsonBody', () => {
  it("joins the items' fragments into one document, every point in order", () => {
    const fragments = [
      Buffer.from(pointsJson([point()])),
      Buffer.from(''),
      Buffer.from(pointsJson([point({ fields: { on: true, label: 'a"b' } }), point({ measurement: 'rh' })])),
    ];
    const { body, headers } = jsonBody(fragments);
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(body.toString())).toEqual({
      points: [
        {
          database: 'sensorhub',
          measurement: 'temperature',
          tags: { device: 'bathroom' },
          fields: { value: 21.5 },
          time: '2026-11-22T06:06:26.680123Z',
        },
        expect.objectContaining({ fields: { on: true, label: 'a"b' } }),
        expect.objectContaining({ measurement: 'rh' }),
      ],
    });
    expect(JSON.parse(jsonBody([]).body.toString())).toEqual({ points: [] });
  });
});

describe('line protocol', () => {
  it('writes escaped names, sorted tags, typed fields and nanoseconds', () => {
    expect(
      pointLine(
        point({
          measurement: 'air quality,indoor',
          tags: { zone: 'a b', dev: 'x=1' },
          fields: { pm2_5: 12, ok: false, note: 'say "hi"\\' },
        }),
      ),
    ).toBe(`air\\ quality\\,indoor,dev=x\\=1,zone=a\\ b pm2_5=12,ok=false,note="say \\"hi\\"\\\\" ${T}000`);
  });

  it('refuses, with the reason, points no line can carry', () => {
    expect(pointsLines([point(), point({ time: T + 1 })])).toBe(
      `temperature,device=bathroom value=21.5 ${T}000\ntemperature,device=bathroom value=21.5 ${T + 1}000\n`,
    );
    expect(pointsLines([point(), point({ tags: { device: 'two\nlines' } })])).toEqual({
      reason: 'cannot be written as line protocol: tag device "two\\nlines" contains a line break',
    });
    expect(pointLine(point({ fields: {} }))).toEqual({ reason: 'the point has no fields' });
    expect(lineBody([Buffer.from('a v=1 1\n'), Buffer.from('b v=2 2\n')]).body.toString()).toBe(
      'a v=1 1\nb v=2 2\n',
    );
  });

  it('round-trips through the line-protocol parser for any point', () => {
    const name = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => !/[\r\n]/.test(s) && !s.startsWith('#'));
    const key = name.filter((s) => !s.startsWith('_'));
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        name,
        fc.dictionary(key, name, { maxKeys: 4 }),
        fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }),
        fc.integer({ min: 0, max: 4_102_444_800_000_000 }),
        (measurement, tags, fields, time) => {
          const p = point({ measurement, tags, fields, time });
          const line = pointLine(p);
          if (typeof line !== 'string') return;
          const parsed = parseLineProtocol(line);
          expect(parsed.errors).toEqual([]);
          expect(parsed.points).toHaveLength(1);
          const got = parsed.points[0];
          expect(got?.measurement).toBe(measurement);
          expect(got?.tags).toEqual(tags);
          // -0 is written as 0; line protocol has no negative zero.
          expect(got?.fields).toEqual(
            Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])),
          );
          expect(got?.time).toBe(time);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('raw', () => {
  it('sends the payload unchanged, with topic, client and time in headers', () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    const { body, headers } = rawBody({
      topic: 'echo/node 1/ü',
      clientId: 'esp-1',
      time: T,
      payload,
    });
    expect(body).toBe(payload);
    expect(headers).toEqual({
      'content-type': 'application/octet-stream',
      'x-sensorhub-topic': 'echo/node%201/%C3%BC',
      'x-sensorhub-client-id': 'esp-1',
      'x-sensorhub-time': '2026-11-22T06:06:26.680123Z',
    });
  });

  it('header encoding is undone by URL-decoding, whatever the string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const h = headerSafe(s);
        expect(h).toMatch(/^[\x21-\x7e]*$/);
        expect(decodeURIComponent(h)).toBe(s);
      }),
    );
    expect(headerSafe('sensors/bathroom/temperature')).toBe('sensors/bathroom/temperature');
    expect(headerSafe('100%')).toBe('100%25');
  });
});

describe('queue records of items', () => {
  const pts: ForwardItem = {
    kind: 'points',
    points: [point(), point({ fields: { s: 'x y', b: true }, tags: {} })],
    topic: 'sensors/ü',
    clientId: 'c',
  };

  it('hold the body in the wire format, and parse back to the item', () => {
    const json = readRecord(encodeRecord(pts, 'json', 1234.5) as Buffer);
    expect(json).toMatchObject({
      format: 'json',
      enqueuedAtMs: 1234.5,
      size: 2,
      topic: 'sensors/ü',
      clientId: 'c',
    });
    expect(json.body.toString()).toBe(pointsJson(pts.points));
    expect(itemOf(json)).toEqual(pts);

    const line = readRecord(encodeRecord(pts, 'line', 1) as Buffer);
    expect(line.body.toString()).toBe(pointsLines(pts.points));
    expect(line.database).toBe('sensorhub');
    expect(itemOf(line)).toEqual(pts);

    const raw: ForwardItem = {
      kind: 'raw',
      topic: 'a/ü',
      clientId: 'c1',
      time: T,
      payload: Buffer.from([9, 0, 9]),
    };
    const r = readRecord(encodeRecord(raw, 'raw', 7) as Buffer);
    expect(r).toMatchObject({ format: 'raw', size: 1, time: T, body: Buffer.from([9, 0, 9]) });
    expect(itemOf(r)).toEqual(raw);

    expect(
      itemOf(readRecord(encodeRecord({ kind: 'points', points: [point()] }, 'json', 1) as Buffer)),
    ).toEqual({
      kind: 'points',
      points: [point()],
    });
  });

  it('refuse an item the format cannot carry, and records they cannot read', () => {
    expect(encodeRecord({ kind: 'points', points: [point({ measurement: 'a\nb' })] }, 'line', 1)).toEqual({
      reason: 'cannot be written as line protocol: measurement "a\\nb" contains a line break',
    });
    expect(() => readRecord(Buffer.from([42, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/unknown format 42/);
    expect(() => readRecord(Buffer.from([1, 0, 0]))).toThrow(/shorter than its headers/);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobHashOf, blobKey, blobUrl, isValidBlobKey, sanitizeSegment } from './blob-store.js';

const T = Date.UTC(2026, 10, 22, 6, 6, 23) * 1000 + 300_123;
const DATA = Buffer.from('\x89PNG\r\n\x1a\n fake image');
const HASH = createHash('sha256').update(DATA).digest('hex').slice(0, 16);

const key = (over: Partial<Parameters<typeof blobKey>[0]> = {}) =>
  blobKey({
    database: 'sensorhub',
    measurement: 'images',
    tags: { kpi: 'engineTemp', client: 'temp-pub01' },
    time: T,
    data: DATA,
    contentType: 'image/png',
    ...over,
  });

describe('blobKey', () => {
  it('is <db>/<measurement>/<tags>/<YYYY>/<MM>/<DD>/<HHMMSS.micros>-<hash>.<ext>, tags sorted', () => {
    expect(key()).toBe(
      `sensorhub/images/client=temp-pub01,kpi=engineTemp/2026/11/22/060623.300123-${HASH}.png`,
    );
    expect(key({ tags: {} })).toBe(`sensorhub/images/_/2026/11/22/060623.300123-${HASH}.png`);
  });

  it('is stable, and differs when the bytes, the time, the series or the type differ', () => {
    expect(key()).toBe(key());
    const variants = [
      key({ data: Buffer.from('other') }),
      key({ time: T + 1 }),
      key({ tags: { kpi: 'engineTemp', client: 'temp-pub02' } }),
      key({ measurement: 'thumbs' }),
      key({ database: 'other' }),
      key({ contentType: 'image/jpeg' }),
    ];
    expect(new Set([key(), ...variants]).size).toBe(variants.length + 1);
  });

  it('sanitizes every segment: no slashes, dot segments, control characters or separators from names', () => {
    const k = key({
      database: '../..',
      measurement: 'a/b\\c',
      tags: { 'x=y': '../../etc/passwd', ',': 'line\nbreak\u0000', ключ: '.hidden' },
    });
    expect(isValidBlobKey(k)).toBe(true);
    const segments = k.split('/');
    expect(segments).toHaveLength(7);
    expect(segments.slice(0, 3)).toEqual([
      '_._..',
      'a_b_c',
      '_=line_break_,x_y=_._.._etc_passwd,____=_hidden',
    ]);
    for (const s of segments) expect(s.startsWith('.')).toBe(false);
  });

  it('cuts long names and keeps them apart with a hash of the whole name', () => {
    const a = sanitizeSegment(`${'m'.repeat(100)}a`);
    const b = sanitizeSegment(`${'m'.repeat(100)}b`);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    const longTags = key({ tags: { device: 'd'.repeat(500) } });
    expect(longTags.split('/')[2]?.length).toBeLessThanOrEqual(128);
    expect(isValidBlobKey(longTags)).toBe(true);
  });

  it('formats times before 1970 and microsecond fractions correctly', () => {
    expect(key({ time: -1 })).toMatch(/\/1969\/12\/31\/235959\.999999-/);
    expect(key({ time: 0 })).toMatch(/\/1970\/01\/01\/000000\.000000-/);
    expect(key({ time: 1_700_000_000_000_007 })).toMatch(/\/2023\/11\/14\/221320\.000007-/);
  });

  it('carries the content hash (the ETag) and has a URL under /api/v1/blobs/', () => {
    expect(blobHashOf(key())).toBe(HASH);
    expect(blobUrl(key())).toBe(`/api/v1/blobs/${key()}`);
    expect(blobHashOf('a/b.png')).toBeUndefined();
  });

  it('always makes a valid key, whatever the names, tags and time (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 5 }),
        fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
        fc.uint8Array({ maxLength: 64 }),
        (database, measurement, tags, time, bytes) => {
          const data = Buffer.from(bytes);
          const k = blobKey({ database, measurement, tags, time, data, contentType: 'image/png' });
          expect(isValidBlobKey(k)).toBe(true);
          expect(k.split('/')).toHaveLength(7);
          expect(blobHashOf(k)).toBe(createHash('sha256').update(data).digest('hex').slice(0, 16));
        },
      ),
    );
  });
});

describe('isValidBlobKey', () => {
  it('accepts what blobKey makes and refuses paths that could escape or hide', () => {
    expect(isValidBlobKey(key())).toBe(true);
    for (const bad of [
      '',
      '.',
      '..',
      '../x',
      'a/../b',
      'a/./b',
      '/a',
      'a/',
      'a//b',
      '.x',
      'a/.x',
      'a b',
      'a\\b',
      'a\u0000',
      'é',
    ]) {
      expect(isValidBlobKey(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isValidBlobKey('a'.repeat(1025))).toBe(false);
  });
});

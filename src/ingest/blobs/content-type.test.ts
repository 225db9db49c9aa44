import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentTypeForExtension,
  extensionFor,
  isInlineType,
  normalizeContentType,
  resolveContentType,
  sniffContentType,
} from './content-type.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

/** Real file headers, as the formats' specifications lay them out. */
const SAMPLES: Array<[string, Buffer]> = [
  ['image/png', hex('89504e470d0a1a0a 0000000d 49484452 00000001 00000001 0806000000 1f15c489')],
  ['image/jpeg', hex('ffd8ffe0 0010 4a46494600 0101 0000010001 0000')],
  ['image/jpeg', hex('ffd8ffe1 0018 457869660000')], // EXIF (cameras)
  ['image/gif', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
  ['image/gif', Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1')],
  ['image/webp', Buffer.concat([Buffer.from('RIFF'), hex('24000000'), Buffer.from('WEBPVP8 ')])],
  [
    'image/bmp',
    Buffer.concat([
      Buffer.from('BM'),
      hex('3a000000 00000000 36000000 28000000 01000000 01000000 0100 1800'),
    ]),
  ],
  ['application/pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')],
  ['application/json', Buffer.from(' {"temperature": 21.5, "ok": true}\n')],
  ['application/json', Buffer.from('[1, 2, 3]')],
  ['text/plain; charset=utf-8', Buffer.from('hello, Grüße\r\n\tline two')],
  ['application/octet-stream', hex('00010203 fffe')],
  ['application/octet-stream', Buffer.alloc(0)],
];

describe('sniffContentType', () => {
  it.each(SAMPLES)('recognises %s', (type, data) => {
    expect(sniffContentType(data)).toBe(type);
  });

  it('is not fooled by text that starts like a format', () => {
    expect(sniffContentType(Buffer.from('BMW 320d, 2019'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(Buffer.from('RIFF raff'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(Buffer.from('{"broken": '))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(Buffer.from('{not json}'))).toBe('text/plain; charset=utf-8');
  });

  it('calls text with control characters or invalid UTF-8 binary', () => {
    expect(sniffContentType(Buffer.from('abc\u0000def'))).toBe('application/octet-stream');
    expect(sniffContentType(Buffer.from('abc\u001bdef'))).toBe('application/octet-stream');
    expect(sniffContentType(hex('c328'))).toBe('application/octet-stream');
  });

  it('never throws, and always answers a type it can store (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        const type = sniffContentType(Buffer.from(bytes));
        expect(normalizeContentType(type)).toBe(type);
      }),
    );
  });
});

describe('resolveContentType', () => {
  const png = SAMPLES[0]?.[1] as Buffer;

  it('takes an explicit type (the MQTT 5 content-type property) over the bytes', () => {
    expect(resolveContentType(png, 'image/x-raw-bayer')).toBe('image/x-raw-bayer');
    expect(resolveContentType(Buffer.from('a,b\n1,2'), 'Text/CSV; charset=utf-8')).toBe(
      'text/csv; charset=utf-8',
    );
  });

  it('sniffs when the explicit type is absent, malformed or only says application/octet-stream', () => {
    expect(resolveContentType(png)).toBe('image/png');
    expect(resolveContentType(png, 'image/png\r\nSet-Cookie: x=1')).toBe('image/png');
    expect(resolveContentType(png, 'not a type')).toBe('image/png');
    expect(resolveContentType(png, '')).toBe('image/png');
    expect(resolveContentType(png, 'application/octet-stream')).toBe('image/png');
  });
});

describe('normalizeContentType', () => {
  it('accepts RFC 9110 media types and refuses anything that could break a header', () => {
    expect(normalizeContentType('IMAGE/JPEG')).toBe('image/jpeg');
    expect(normalizeContentType('text/plain;charset="utf-8"')).toBe('text/plain;charset="utf-8"');
    expect(normalizeContentType('application/vnd.acme+json; v=2')).toBe('application/vnd.acme+json; v=2');
    for (const bad of [
      'image',
      'image/',
      '/png',
      'image/png;',
      'a/b\nc',
      'a/b; x="\r"',
      `a/${'b'.repeat(300)}`,
    ])
      expect(normalizeContentType(bad), JSON.stringify(bad)).toBeUndefined();
  });
});

describe('extensions', () => {
  it('map the sniffed types both ways', () => {
    for (const [type] of SAMPLES) {
      const ext = extensionFor(type);
      expect(contentTypeForExtension(ext)).toBe(type);
    }
    expect(extensionFor('image/jpeg')).toBe('jpg');
    expect(extensionFor('IMAGE/PNG; x=y')).toBe('png');
    expect(extensionFor('image/heic')).toBe('bin');
    expect(contentTypeForExtension('exe')).toBeUndefined();
  });

  it('only harmless types are shown inline', () => {
    expect(isInlineType('image/png')).toBe(true);
    expect(isInlineType('text/plain; charset=utf-8')).toBe(true);
    expect(isInlineType('text/html')).toBe(false);
    expect(isInlineType('image/svg+xml')).toBe(false);
    expect(isInlineType('application/octet-stream')).toBe(false);
  });
});

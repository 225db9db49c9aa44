import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from './decoder.js';
import { decodeInflux } from './influx.js';

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

describe('influx decoder', () => {
  it('turns each line into a reading with its own measurement, tags, fields and time', () => {
    const payload = buf(
      '# from telegraf\ncpu,host=a usage_idle=92.5,count=3i,ok=t,label="x y" 1700000000123456789\r\nmem,host=a used=12u\n',
    );
    expect(decodeInflux(payload, ctx)).toEqual([
      {
        measurement: 'cpu',
        tags: { host: 'a' },
        fields: { usage_idle: 92.5, count: 3, ok: true, label: 'x y' },
        time: 1700000000123456,
      },
      { measurement: 'mem', tags: { host: 'a' }, fields: { used: 12 } },
    ]);
    // No time in the line: the reading has none, so the rule uses the arrival time.
    expect(decodeInflux(buf('m v=1'), ctx)[0]).not.toHaveProperty('time');
  });

  it('reads timestamps in the rule precision', () => {
    const at = (precision: 'ns' | 'us' | 'ms' | 's') =>
      decodeInflux(buf('m v=1 1700000000'), { ...ctx, precision })[0]?.time;
    expect(at('s')).toBe(1700000000_000_000);
    expect(at('ms')).toBe(1700000000_000);
    expect(at('us')).toBe(1700000000);
    expect(at('ns')).toBe(1700000);
    expect(decodeInflux(buf('m v=1 1700000000'), ctx)[0]?.time).toBe(1700000);
  });

  it('refuses the whole message when a line is bad, naming the first bad line and column', () => {
    const err = decodeErrorOf(() => decodeInflux(buf('m v=1\nm v=1 2\nm,host= v=1\nm v=oops\n'), ctx));
    expect(err.code).toBe('ING_LINE_PROTOCOL');
    expect(err.message).toBe(
      'line 3 col 8: tag "host" has an empty value; InfluxDB refuses "host=", leave the tag out, in "m,host= v=1" (and 1 more bad line)',
    );
    const one = decodeErrorOf(() => decodeInflux(buf('temperature 21.5'), ctx));
    expect(one.message).toBe('line 1 col 17: field key "21.5" has no "=value", in "temperature 21.5"');
    expect(decodeErrorOf(() => decodeInflux(buf('a\nb\nc'), ctx)).message).toMatch(
      /\(and 2 more bad lines\)$/,
    );
  });

  it('refuses a payload without any point', () => {
    for (const text of ['', '   \n\n', '# just a comment\n']) {
      const err = decodeErrorOf(() => decodeInflux(buf(text), ctx));
      expect(err.code).toBe('ING_LINE_PROTOCOL');
      expect(err.message).toMatch(/holds no line protocol point, only blank or comment lines$/);
    }
  });

  it('only ever throws DecodeError, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const readings = decodeInflux(Buffer.from(bytes), ctx);
          expect(readings.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          expect((err as DecodeError).code).toBe('ING_LINE_PROTOCOL');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

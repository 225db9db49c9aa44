import { describe, expect, it } from 'vitest';
import { type LineError, type LpPoint, type ParseOptions, parseLineProtocol } from './parse.js';

function one(line: string | Buffer, opts?: ParseOptions): LpPoint {
  const r = parseLineProtocol(line, opts);
  expect(r.errors, String(line)).toEqual([]);
  expect(r.points).toHaveLength(1);
  return r.points[0] as LpPoint;
}

function bad(line: string | Buffer, opts?: ParseOptions): LineError {
  const r = parseLineProtocol(line, opts);
  expect(r.points, String(line)).toEqual([]);
  expect(r.errors).toHaveLength(1);
  return r.errors[0] as LineError;
}

describe('line protocol parser: valid lines', () => {
  it('reads measurement, tags, every field kind and a ns timestamp', () => {
    expect(
      one(
        'cpu,host=server01,region=us-west usage_idle=92.5,n=-12i,u=12u,ok=t,off=FALSE,s="hi" 1700000000123456789',
      ),
    ).toEqual({
      measurement: 'cpu',
      tags: { host: 'server01', region: 'us-west' },
      fields: { usage_idle: 92.5, n: -12, u: 12, ok: true, off: false, s: 'hi' },
      intFields: { n: 'i', u: 'u' },
      time: 1700000000123456,
    });
    expect(one('temp,device=d1 value=21.5')).toEqual({
      measurement: 'temp',
      tags: { device: 'd1' },
      fields: { value: 21.5 },
      time: undefined,
    });
    expect(one('m v=1')).not.toHaveProperty('intFields');
  });

  it('reads the examples of the InfluxDB line protocol reference', () => {
    expect(one('myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000')).toEqual({
      measurement: 'myMeasurement',
      tags: { tag1: 'value1', tag2: 'value2' },
      fields: { fieldKey: 'fieldValue' },
      time: 1556813561098000,
    });
    expect(one('home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000', { precision: 's' })).toEqual({
      measurement: 'home',
      tags: { room: 'Living Room' },
      fields: { temp: 21.1, hum: 35.9, co: 0 },
      intFields: { co: 'i' },
      time: 1641024000_000_000,
    });
    // "Special characters": quotes are literal outside string values, \e is not an escape.
    expect(
      one(
        '"measurement\\ with\\ quo⚡es\\ and\\ emoji",tag\\ key\\ with\\ sp🚀ces=tag\\,value\\,with"commas" field_k\\ey="string field value, only \\" need be esc🍭ped"',
      ),
    ).toEqual({
      measurement: '"measurement with quo⚡es and emoji"',
      tags: { 'tag key with sp🚀ces': 'tag,value,with"commas"' },
      fields: { 'field_k\\ey': 'string field value, only " need be esc🍭ped' },
      time: undefined,
    });
    expect(one('measurement,tag=val\\=ue field=1').tags).toEqual({ tag: 'val=ue' });
    expect(one('measurement field="Escaped \\\\ backslash"').fields).toEqual({
      field: 'Escaped \\ backslash',
    });
    expect(one('myMeasurement fieldKey="\\"string\\" within a string"').fields).toEqual({
      fieldKey: '"string" within a string',
    });
    expect(one('my\\,Measurement fieldKey="string value"').measurement).toBe('my,Measurement');
    expect(one('my\\ Measurement fieldKey="string value"').measurement).toBe('my Measurement');
  });

  it('reads every number form InfluxDB accepts', () => {
    expect(
      one('m a=1,b=-1.5,c=.5,d=5.,e=1e3,f=1E-3,g=-1.234456e+78,h=0.000001,i=007,j=-0,k=1.5e+0').fields,
    ).toEqual({
      a: 1,
      b: -1.5,
      c: 0.5,
      d: 5,
      e: 1000,
      f: 0.001,
      g: -1.234456e78,
      h: 0.000001,
      i: 7,
      j: -0,
      k: 1.5,
    });
    expect(Object.is(one('m v=-0').fields.v, -0)).toBe(true);
    expect(Object.is(one('m v=-0i').fields.v, 0)).toBe(true);
    expect(one('m v=0.1').fields.v).toBe(0.1);
    expect(one('m v=123456789012345678901234567890').fields.v).toBe(1.2345678901234568e29);
    expect(one('m v=1e-400').fields.v).toBe(0);
    expect(one('m v=4.9406564584124654e-324').fields.v).toBe(5e-324);
  });

  it('checks the int64 and uint64 ranges on the digits', () => {
    expect(one('m v=9223372036854775807i').fields.v).toBe(2 ** 63);
    expect(one('m v=-9223372036854775808i').fields.v).toBe(-(2 ** 63));
    expect(one('m v=00000000000000000000009i').fields.v).toBe(9);
    expect(one('m v=18446744073709551615u').fields.v).toBe(2 ** 64);
    expect(one('m v=9007199254740993i').fields.v).toBe(9007199254740992);
    expect(one('m v=0u')).toEqual({
      measurement: 'm',
      tags: {},
      fields: { v: 0 },
      intFields: { v: 'u' },
      time: undefined,
    });
  });

  it('spells booleans the InfluxDB ways only', () => {
    const p = one('m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE');
    expect(Object.values(p.fields)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const word of ['tRUE', 'yes', 'fals', 'truee', 'FaLSE']) {
      expect(bad(`m v=${word}`).message).toMatch(/^invalid value/);
    }
  });

  it('converts timestamps of every precision to exact microseconds, flooring nanoseconds', () => {
    const t = (ts: string, precision?: ParseOptions['precision']) => one(`m v=1 ${ts}`, { precision }).time;
    expect(t('1700000000123456789')).toBe(1700000000123456);
    expect(t('1700000000123456789', 'ns')).toBe(1700000000123456);
    expect(t('999')).toBe(0);
    expect(t('-1')).toBe(-1);
    expect(t('-1000')).toBe(-1);
    expect(t('-1001')).toBe(-2);
    expect(t('0000000000000000000')).toBe(0);
    expect(t('-0')).toBe(0);
    expect(t('1700000000123456', 'us')).toBe(1700000000123456);
    expect(t('1700000000123456', 'u')).toBe(1700000000123456);
    expect(t('1700000000123', 'ms')).toBe(1700000000123000);
    expect(t('1700000000', 's')).toBe(1700000000000000);
    expect(t('-1', 's')).toBe(-1000000);
    expect(t('28333333', 'm')).toBe(28333333 * 60_000_000);
    expect(t('472222', 'h')).toBe(472222 * 3_600_000_000);
    expect(t(String(Number.MAX_SAFE_INTEGER), 'us')).toBe(Number.MAX_SAFE_INTEGER);
    expect(t(`-${Number.MAX_SAFE_INTEGER}`, 'us')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(t('9007199254740991999')).toBe(Number.MAX_SAFE_INTEGER);
    expect(t('-9007199254740991000')).toBe(-Number.MAX_SAFE_INTEGER);
  });

  it('skips comments, blank lines and leading blanks; takes CRLF, extra spaces and trailing spaces', () => {
    const r = parseLineProtocol('# header\n\n   \t\r\n  m v=1\r\n\tm v=2   3  \r\n#m v=3\nm  v=4\n');
    expect(r.errors).toEqual([]);
    expect(r.lines).toBe(3);
    expect(r.points.map((p) => [p.fields.v, p.time])).toEqual([
      [1, undefined],
      [2, 0],
      [4, undefined],
    ]);
    expect(parseLineProtocol('').lines).toBe(0);
    expect(parseLineProtocol('#only a comment').points).toEqual([]);
  });

  it('lets the last of duplicate field keys win, with its type', () => {
    expect(one('m a=1i,b=2,a=3')).toEqual({
      measurement: 'm',
      tags: {},
      fields: { a: 3, b: 2 },
      time: undefined,
    });
    expect(one('m a=1,a=2u')).toEqual({
      measurement: 'm',
      tags: {},
      fields: { a: 2 },
      intFields: { a: 'u' },
      time: undefined,
    });
  });

  it('keeps backslashes that escape nothing, and reads \\\\ as one backslash', () => {
    expect(one('a\\b,t\\x=v\\y f\\z=1')).toMatchObject({
      measurement: 'a\\b',
      tags: { 't\\x': 'v\\y' },
      fields: { 'f\\z': 1 },
    });
    expect(one('m\\\\,t=v\\\\ f\\\\=1')).toMatchObject({
      measurement: 'm\\',
      tags: { t: 'v\\' },
      fields: { 'f\\': 1 },
    });
    // "=" needs no escape in a measurement, so InfluxDB keeps "\=" there as it is.
    expect(one('a\\=b,c=d v=1').measurement).toBe('a\\=b');
    expect(one('a=b v=1').measurement).toBe('a=b');
    expect(one('m s="a\\b\\\\c\\"d"').fields.s).toBe('a\\b\\c"d');
  });

  it('takes names the object prototype also has', () => {
    const p = one('m,__proto__=x,constructor=y __proto__=1,toString=2');
    expect(Object.getPrototypeOf(p.tags)).toBe(Object.prototype);
    expect(Object.keys(p.tags)).toEqual(['__proto__', 'constructor']);
    expect(p.tags).toHaveProperty('constructor', 'y');
    expect(Object.keys(p.fields)).toEqual(['__proto__', 'toString']);
    expect(bad('m,constructor=a,constructor=b v=1').message).toBe('duplicate tag key "constructor"');
  });

  it('reads string values that span lines, and counts the lines', () => {
    const r = parseLineProtocol('m s="one\ntwo\\\nthree" 1\nm v=x\nm v=2');
    expect(r.points.map((p) => p.fields)).toEqual([{ s: 'one\ntwo\\\nthree' }, { v: 2 }]);
    expect(r.errors.map((e) => [e.line, e.column, e.text])).toEqual([[4, 5, 'm v=x']]);
  });

  it('reads a Buffer as UTF-8, ASCII or not', () => {
    expect(one(Buffer.from('m,ort=Zürich v="🌡 21°" 1'))).toEqual(one('m,ort=Zürich v="🌡 21°" 1'));
    const r = parseLineProtocol(Buffer.from('m v=1\nm v=2\n'));
    expect(r.points.map((p) => p.fields.v)).toEqual([1, 2]);
  });
});

describe('line protocol parser: refusals', () => {
  const cases: Array<[string, string, number]> = [
    ['cpu', 'missing fields: a point needs at least one, like "cpu value=1"', 4],
    ['cpu   ', 'missing fields: a point needs at least one, like "cpu value=1"', 7],
    ['cpu,host=a', 'missing fields: a point needs at least one, like "cpu value=1"', 11],
    ['cpu,host=a ', 'missing fields: a point needs at least one, like "cpu value=1"', 12],
    [',host=a v=1', 'measurement is empty: the line starts with a comma', 1],
    ['cpu,=a v=1', 'tag key is empty', 5],
    ['cpu, v=1', 'tag key is empty', 5],
    ['cpu,host v=1', 'tag key "host" has no "=value"', 9],
    ['cpu,host= v=1', 'tag "host" has an empty value; InfluxDB refuses "host=", leave the tag out', 10],
    ['cpu,host=a=b v=1', 'unescaped "=" in the value of tag "host"; write it as \\=', 11],
    ['cpu,a=1,a=2 v=1', 'duplicate tag key "a"', 9],
    ['cpu =1', 'field key is empty', 5],
    ['cpu v=1,', 'field key is empty', 9],
    ['cpu v=1,=2', 'field key is empty', 9],
    ['cpu value', 'field key "value" has no "=value"', 10],
    ['cpu v=1,w 5', 'field key "w" has no "=value"', 10],
    ['cpu v=', 'field "v" has no value', 7],
    ['cpu v=,w=1', 'field "v" has no value', 7],
    ['cpu v=1.2.3', 'invalid number "1.2.3" for field "v"', 7],
    ['cpu v=-', 'invalid number "-" for field "v"', 7],
    ['cpu v=.', 'invalid number "." for field "v"', 7],
    ['cpu v=1e', 'invalid number "1e" for field "v"', 7],
    ['cpu v=1e+', 'invalid number "1e+" for field "v"', 7],
    ['cpu v=12abc', 'invalid number "12abc" for field "v"', 7],
    ['cpu v=9i10', 'invalid number "9i10" for field "v"', 7],
    ['cpu v=1ii', 'invalid number "1ii" for field "v"', 7],
    ['cpu v=0x1F', 'invalid number "0x1F" for field "v"', 7],
    [
      'cpu v=+1',
      'invalid value "+1" for field "v": expected a number (1.5, 2i, 3u), a "quoted string" or a boolean (t, true, f, false)',
      7,
    ],
    [
      'cpu v=hello',
      'invalid value "hello" for field "v": expected a number (1.5, 2i, 3u), a "quoted string" or a boolean (t, true, f, false)',
      7,
    ],
    ['cpu v=NaN', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=nan', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=Inf', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=-inf', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=-NaN', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=+Infinity', 'NaN and Infinity are not valid field values (field "v")', 7],
    ['cpu v=1e309', 'float "1e309" for field "v" is out of range', 7],
    ['cpu v=-1e999', 'float "-1e999" for field "v" is out of range', 7],
    [
      'cpu v=1.5i',
      'integer "1.5i" for field "v" has a fraction or exponent; write i only after whole numbers',
      7,
    ],
    [
      'cpu v=1e3u',
      'integer "1e3u" for field "v" has a fraction or exponent; write u only after whole numbers',
      7,
    ],
    ['cpu v=-1u', 'unsigned integer "-1u" for field "v" is negative', 7],
    [
      'cpu v=9223372036854775808i',
      'integer "9223372036854775808i" for field "v" is outside the int64 range',
      7,
    ],
    [
      'cpu v=-9223372036854775809i',
      'integer "-9223372036854775809i" for field "v" is outside the int64 range',
      7,
    ],
    [
      'cpu v=99999999999999999999i',
      'integer "99999999999999999999i" for field "v" is outside the int64 range',
      7,
    ],
    [
      'cpu v=18446744073709551616u',
      'integer "18446744073709551616u" for field "v" is outside the uint64 range',
      7,
    ],
    ['cpu v="abc', 'unterminated string value for field "v": no closing quote', 7],
    ['cpu v="abc\\"', 'unterminated string value for field "v": no closing quote', 7],
    ['cpu v="a"b', 'unexpected "b" after the value of field "v"', 10],
    [
      'cpu v=true"',
      'invalid value "true\\"" for field "v": expected a number (1.5, 2i, 3u), a "quoted string" or a boolean (t, true, f, false)',
      7,
    ],
    ['cpu\\', 'a backslash at the end of the line escapes nothing', 4],
    ['cpu,t=a\\', 'a backslash at the end of the line escapes nothing', 8],
    ['cpu,t\\', 'a backslash at the end of the line escapes nothing', 6],
    ['cpu v\\', 'a backslash at the end of the line escapes nothing', 6],
    ['cpu v=1 12a', 'invalid timestamp "12a": expected an integer', 9],
    ['cpu v=1 -', 'invalid timestamp "-": expected an integer', 9],
    ['cpu v=1 1.5', 'invalid timestamp "1.5": expected an integer', 9],
    ['cpu v=1 now', 'invalid timestamp "now": expected an integer', 9],
    ['cpu v=1 12 13', 'unexpected "13" after the timestamp', 12],
    ['cpu v=1 w=2', 'invalid timestamp "w=2": expected an integer', 9],
  ];

  it.each(cases)('%s → %s', (line, message, column) => {
    expect(bad(line)).toEqual({ line: 1, column, text: line, message });
  });

  it('refuses timestamps outside the exact-microsecond range, in every precision', () => {
    const range = /is out of range: times must fall within 1684-\d\d-\d\dT.* to 2255-06-05T23:47:34\.740Z$/;
    const cases: Array<[string, ParseOptions['precision']]> = [
      ['99999999999999999999', 'ns'],
      ['9223372036854775807', 'us'],
      ['9007199254740992', 'us'],
      ['-9007199254740992', 'u'],
      ['9007199254740992', 'ms'],
      ['9007199255', 's'],
      ['150119988', 'm'],
      ['2502000', 'h'],
      ['9007199254740992000', 'ns'],
      ['-9007199254740991001', 'ns'],
    ];
    for (const [ts, precision] of cases) {
      const e = bad(`m v=1 ${ts}`, { precision });
      expect(e.message, `${ts} ${precision}`).toMatch(range);
      expect(e.message).toContain(`timestamp "${ts}" (precision ${precision})`);
      expect(e.column).toBe(7);
    }
    expect(one('m v=1 9007199254', { precision: 's' }).time).toBe(9007199254_000_000);
    expect(one('m v=1 150119987', { precision: 'm' }).time).toBe(150119987 * 60_000_000);
    expect(one('m v=1 2501999', { precision: 'h' }).time).toBe(2501999 * 3_600_000_000);
  });

  it('refuses lines longer than maxLineBytes, counting UTF-8 bytes', () => {
    const long = `m v="${'x'.repeat(100)}"`;
    expect(one(long, { maxLineBytes: long.length }).fields.v).toHaveLength(100);
    expect(bad(long, { maxLineBytes: long.length - 1 })).toMatchObject({
      line: 1,
      column: 1,
      message: `line is ${long.length} bytes, longer than maxLineBytes (${long.length - 1})`,
    });
    const umlauts = `m v="${'ü'.repeat(50)}"`; // 56 characters, 106 bytes
    expect(bad(umlauts, { maxLineBytes: 100 }).message).toBe(
      'line is 106 bytes, longer than maxLineBytes (100)',
    );
    expect(bad(Buffer.from(umlauts), { maxLineBytes: 100 }).message).toBe(
      'line is 106 bytes, longer than maxLineBytes (100)',
    );
    // A bad line that is also too long is reported as too long; the next line still counts.
    const r = parseLineProtocol(`m v=${'9'.repeat(200)}x\nm v=1`, { maxLineBytes: 64 });
    expect(r.errors.map((e) => e.message)).toEqual(['line is 205 bytes, longer than maxLineBytes (64)']);
    expect(r.points).toHaveLength(1);
    const big = `m v="${'y'.repeat(70_000)}"`;
    expect(bad(big).message).toBe(`line is ${big.length} bytes, longer than maxLineBytes (65536)`);
  });

  it('keeps the good lines of a batch and locates each bad one', () => {
    const input = [
      'cpu,host=a v=1 1',
      'cpu,host=b v=oops 2',
      '# comment',
      '',
      'cpu,host=c v=3 3',
      '   cpu,host=d v="unterminated',
      'cpu,host=e v=5 5\r',
      `bad ${'z'.repeat(300)}`,
    ].join('\n');
    const r = parseLineProtocol(input);
    expect(r.lines).toBe(6);
    expect(r.points.map((p) => p.tags.host)).toEqual(['a', 'c', 'e']);
    expect(r.errors).toEqual([
      {
        line: 2,
        column: 14,
        text: 'cpu,host=b v=oops 2',
        message:
          'invalid value "oops" for field "v": expected a number (1.5, 2i, 3u), a "quoted string" or a boolean (t, true, f, false)',
      },
      {
        line: 6,
        column: 17,
        text: '   cpu,host=d v="unterminated',
        message: 'unterminated string value for field "v": no closing quote',
      },
      {
        line: 8,
        column: 305,
        text: `bad ${'z'.repeat(196)}`,
        message: `field key "${'z'.repeat(300)}" has no "=value"`,
      },
    ]);
  });

  it('reports an unknown precision instead of throwing', () => {
    const r = parseLineProtocol('m v=1 5\nm v=2', { precision: 'weeks' as ParseOptions['precision'] });
    expect(r.errors[0]?.message).toBe('unknown precision "weeks"; use ns, us, ms, s, m or h');
    expect(r.points).toHaveLength(1);
  });
});

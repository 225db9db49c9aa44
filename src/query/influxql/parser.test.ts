import { describe, expect, it } from 'vitest';
import type { Expr, SelectStatement, Statement } from './ast.js';
import { InfluxQLError, parseInfluxQL, parseInfluxQLStatements } from './parser.js';

function statement(query: string): Statement {
  const parsed = parseInfluxQL(query);
  expect(parsed).toHaveLength(1);
  return (parsed[0] as (typeof parsed)[number]).statement;
}

function select(query: string): SelectStatement {
  const s = statement(query);
  if (s.kind !== 'select') throw new Error(`not a SELECT: ${s.kind}`);
  return s;
}

/** The WHERE expression of `SELECT x FROM m WHERE <expr>`. */
function where(expr: string): Expr {
  const { condition } = select(`SELECT x FROM m WHERE ${expr}`);
  if (condition === undefined) throw new Error('no condition');
  return condition;
}

/** The first field of `SELECT <expr> FROM m`. */
function field(expr: string): Expr {
  return (select(`SELECT ${expr} FROM m`).fields[0] as { expr: Expr }).expr;
}

const ref = (name: string, cast?: string): Expr =>
  cast === undefined ? { kind: 'ref', name } : { kind: 'ref', name, cast };
const int = (value: number): Expr => ({ kind: 'number', value, integer: true });
const num = (value: number): Expr => ({ kind: 'number', value, integer: false });
const dur = (micros: number): Expr => ({ kind: 'duration', micros });
const str = (value: string): Expr => ({ kind: 'string', value });
const call = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', name, args });
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
});
const now = call('now');
const S = 1_000_000;

describe("Grafana's queries", () => {
  it('seed 001: mean per second with a tag filter and a relative range', () => {
    expect(
      select(
        `SELECT mean("value") FROM "pot" WHERE ("topic" = '/pot') AND time >= now() - 5m and time <= now() GROUP BY time(1s) fill(previous)`,
      ),
    ).toEqual({
      kind: 'select',
      fields: [{ expr: call('mean', ref('value')) }],
      sources: [{ kind: 'measurement', name: 'pot' }],
      condition: bin(
        'and',
        bin(
          'and',
          { kind: 'paren', expr: bin('=', ref('topic'), str('/pot')) },
          bin('>=', ref('time'), bin('-', now, dur(300 * S))),
        ),
        bin('<=', ref('time'), now),
      ),
      dimensions: [{ kind: 'time', intervalMicros: S, offsetMicros: 0 }],
      fill: { kind: 'previous' },
      descending: false,
    });
  });

  it('epoch milliseconds with a unit are durations since 1970, and GROUP BY mixes time and tags', () => {
    const s = select(
      'SELECT last("value") FROM "autogen"."pot" WHERE time >= 1700000000000ms and time <= 1700003600000ms GROUP BY time(10s), "device" fill(null)',
    );
    expect(s.sources).toEqual([{ kind: 'measurement', name: 'pot', retentionPolicy: 'autogen' }]);
    expect(s.condition).toEqual(
      bin(
        'and',
        bin('>=', ref('time'), dur(1_700_000_000_000_000)),
        bin('<=', ref('time'), dur(1_700_003_600_000_000)),
      ),
    );
    expect(s.dimensions).toEqual([
      { kind: 'time', intervalMicros: 10 * S, offsetMicros: 0 },
      { kind: 'tag', name: 'device' },
    ]);
    expect(s.fill).toEqual({ kind: 'null' });
  });

  it('nested calls, percentile and field math with an alias', () => {
    expect(field('derivative(mean("value"), 1s)')).toEqual(
      call('derivative', call('mean', ref('value')), dur(S)),
    );
    expect(field('percentile("value", 95)')).toEqual(call('percentile', ref('value'), int(95)));
    expect(select('SELECT "a" + "b" AS "sum" FROM m').fields).toEqual([
      { expr: bin('+', ref('a'), ref('b')), alias: 'sum' },
    ]);
  });

  it('the SHOW statements of its query editor', () => {
    expect(statement('SHOW TAG VALUES FROM "pot" WITH KEY = "topic"')).toEqual({
      kind: 'show_tag_values',
      sources: [{ kind: 'measurement', name: 'pot' }],
      key: { op: '=', values: ['topic'] },
    });
    expect(statement('SHOW MEASUREMENTS LIMIT 100')).toEqual({ kind: 'show_measurements', limit: 100 });
    expect(statement('SHOW FIELD KEYS FROM "pot"')).toEqual({
      kind: 'show_field_keys',
      sources: [{ kind: 'measurement', name: 'pot' }],
    });
    expect(statement('SHOW RETENTION POLICIES on "telegraf"')).toEqual({
      kind: 'show_retention_policies',
      database: 'telegraf',
    });
    expect(statement('SHOW MEASUREMENTS WITH MEASUREMENT =~ /cp.*/ LIMIT 100')).toEqual({
      kind: 'show_measurements',
      measurement: { op: '=~', value: 'cp.*' },
      limit: 100,
    });
  });
});

describe('literals', () => {
  it('numbers: integers, floats, signs folded into the literal', () => {
    expect(where('a = 42')).toEqual(bin('=', ref('a'), int(42)));
    expect(where('a = -42')).toEqual(bin('=', ref('a'), int(-42)));
    expect(where('a = 1.5')).toEqual(bin('=', ref('a'), num(1.5)));
    expect(where('a = -.5')).toEqual(bin('=', ref('a'), num(-0.5)));
    expect(where('a = +7')).toEqual(bin('=', ref('a'), int(7)));
    expect(where('a = 5.')).toEqual(bin('=', ref('a'), num(5)));
    expect(where('a = 18446744073709551615')).toEqual(bin('=', ref('a'), int(2 ** 64)));
    expect(where('a = -9223372036854775808')).toEqual(bin('=', ref('a'), int(-(2 ** 63))));
  });

  it('durations in microseconds, fractional below one', () => {
    const cases: Array<[string, number]> = [
      ['5m', 300 * S],
      ['1h30m', 5400 * S],
      ['10s', 10 * S],
      ['100ms', 100_000],
      ['1u', 1],
      ['1µ', 1],
      ['1ns', 0.001],
      ['1500ns', 1.5],
      ['1d', 86_400 * S],
      ['1w', 604_800 * S],
      ['1w2d3h4m5s6ms7u', 788_645_006_007],
      ['-10s', -10 * S],
    ];
    for (const [text, micros] of cases) expect(field(text), text).toEqual(dur(micros));
  });

  it('strings, booleans, regexes and now()', () => {
    expect(where("a = 'it\\'s \\\\ \"x\"\\n'")).toEqual(bin('=', ref('a'), str('it\'s \\ "x"\n')));
    expect(where('a = true OR a = FALSE')).toEqual(
      bin(
        'or',
        bin('=', ref('a'), { kind: 'boolean', value: true }),
        bin('=', ref('a'), { kind: 'boolean', value: false }),
      ),
    );
    expect(where('topic =~ /^\\/pot\\/[0-9]+$/')).toEqual(
      bin('=~', ref('topic'), { kind: 'regex', source: '^/pot/[0-9]+$' }),
    );
    expect(where('a !~ /\\d\\.x/')).toEqual(bin('!~', ref('a'), { kind: 'regex', source: '\\d\\.x' }));
    expect(where('time > NOW()')).toEqual(bin('>', ref('time'), now));
  });

  it('identifiers: bare, double-quoted with escapes, keywords only when quoted, casts', () => {
    expect(field('"my \\"odd\\" field"')).toEqual(ref('my "odd" field'));
    expect(field('"select"')).toEqual(ref('select'));
    expect(field('_x9')).toEqual(ref('_x9'));
    expect(field('"a"."b".c')).toEqual(ref('a.b.c'));
    for (const cast of ['field', 'tag', 'integer', 'float', 'string', 'boolean', 'unsigned']) {
      expect(field(`v::${cast.toUpperCase()}`)).toEqual(ref('v', cast));
    }
    expect(statement('select A from M where B = 1')).toEqual(statement('SELECT A FROM M WHERE B = 1'));
  });
});

describe('expressions', () => {
  it('precedence: * / % over + -, comparisons over AND over OR; left to right', () => {
    expect(field('a + b * c')).toEqual(bin('+', ref('a'), bin('*', ref('b'), ref('c'))));
    expect(field('a * b + c')).toEqual(bin('+', bin('*', ref('a'), ref('b')), ref('c')));
    expect(field('a - b - c')).toEqual(bin('-', bin('-', ref('a'), ref('b')), ref('c')));
    expect(field('a / b % c')).toEqual(bin('%', bin('/', ref('a'), ref('b')), ref('c')));
    expect(field('(a + b) * c')).toEqual(
      bin('*', { kind: 'paren', expr: bin('+', ref('a'), ref('b')) }, ref('c')),
    );
    expect(where('a = 1 OR b = 2 AND c < 3')).toEqual(
      bin(
        'or',
        bin('=', ref('a'), int(1)),
        bin('and', bin('=', ref('b'), int(2)), bin('<', ref('c'), int(3))),
      ),
    );
  });

  it('every comparison operator; <> is !=', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) {
      expect(where(`a ${op} 1`)).toEqual(bin(op, ref('a'), int(1)));
    }
    expect(where('a <> 1')).toEqual(bin('!=', ref('a'), int(1)));
  });

  it('unary minus on a name, call or parenthesis is -1 * …', () => {
    expect(field('-a')).toEqual(bin('*', int(-1), ref('a')));
    expect(field('-mean(a)')).toEqual(bin('*', int(-1), call('mean', ref('a'))));
    expect(field('b * -a')).toEqual(bin('*', ref('b'), bin('*', int(-1), ref('a'))));
  });

  it('calls take any name (lower-cased) and any arguments; DISTINCT x is distinct(x)', () => {
    expect(field("MyFunc(a, 1, 's', /r/, *, 2s)")).toEqual(
      call(
        'myfunc',
        ref('a'),
        int(1),
        str('s'),
        { kind: 'regex', source: 'r' },
        { kind: 'wildcard' },
        dur(2 * S),
      ),
    );
    expect(field('count(*)')).toEqual(call('count', { kind: 'wildcard' }));
    expect(field('distinct a')).toEqual(call('distinct', ref('a')));
    expect(field('count(distinct(a))')).toEqual(call('count', call('distinct', ref('a'))));
    // A space before the parenthesis makes it a field name followed by a parenthesis: not a call.
    expect(() => parseInfluxQL('SELECT mean (a) FROM m')).toThrow(InfluxQLError);
  });
});

describe('SELECT clauses', () => {
  it('fields: *, regex, aliases', () => {
    expect(select('SELECT *, /usage/, a AS "b c" FROM m').fields).toEqual([
      { expr: { kind: 'wildcard' } },
      { expr: { kind: 'regex', source: 'usage' } },
      { expr: ref('a'), alias: 'b c' },
    ]);
  });

  it('INTO is parsed (the planner refuses it)', () => {
    expect(select('SELECT a INTO "db"."rp"."copy" FROM m').into).toEqual({
      kind: 'measurement',
      name: 'copy',
      database: 'db',
      retentionPolicy: 'rp',
    });
    expect(select('SELECT a INTO db.rp.:MEASUREMENT FROM /m.*/').into).toEqual({
      kind: 'measurement',
      name: '',
      database: 'db',
      retentionPolicy: 'rp',
    });
  });

  it('FROM: qualified names, db..m, regexes, several sources', () => {
    expect(
      select('SELECT a FROM db.rp.m, "db"."rp"."m", db..m, rp.m, /re/, db.rp./re/, rp./re/, db../re/')
        .sources,
    ).toEqual([
      { kind: 'measurement', name: 'm', database: 'db', retentionPolicy: 'rp' },
      { kind: 'measurement', name: 'm', database: 'db', retentionPolicy: 'rp' },
      { kind: 'measurement', name: 'm', database: 'db' },
      { kind: 'measurement', name: 'm', retentionPolicy: 'rp' },
      { kind: 'regex', source: 're' },
      { kind: 'regex', source: 're', database: 'db', retentionPolicy: 'rp' },
      { kind: 'regex', source: 're', retentionPolicy: 'rp' },
      { kind: 'regex', source: 're', database: 'db' },
    ]);
  });

  it('GROUP BY: time with offsets, tags, *, regex, reduced like InfluxDB', () => {
    const dims = (q: string) => select(`SELECT mean(a) FROM m GROUP BY ${q}`).dimensions;
    expect(dims('time(10s)')).toEqual([{ kind: 'time', intervalMicros: 10 * S, offsetMicros: 0 }]);
    expect(dims('time(10s, 5s)')).toEqual([{ kind: 'time', intervalMicros: 10 * S, offsetMicros: 5 * S }]);
    expect(dims('time(10s, -5s)')).toEqual([{ kind: 'time', intervalMicros: 10 * S, offsetMicros: -5 * S }]);
    expect(dims('host, "region", *, /^r/, time(1m)')).toEqual([
      { kind: 'tag', name: 'host' },
      { kind: 'tag', name: 'region' },
      { kind: 'wildcard' },
      { kind: 'regex', source: '^r' },
      { kind: 'time', intervalMicros: 60 * S, offsetMicros: 0 },
    ]);
    expect(dims('(host), TIME(2 * 10s), "x"::tag')).toEqual([
      { kind: 'tag', name: 'host' },
      { kind: 'time', intervalMicros: 20 * S, offsetMicros: 0 },
      { kind: 'tag', name: 'x' },
    ]);
  });

  it('fill: none, null, previous, linear, a number', () => {
    const fill = (f: string) => select(`SELECT mean(a) FROM m GROUP BY time(1m) fill(${f})`).fill;
    expect(fill('none')).toEqual({ kind: 'none' });
    expect(fill('null')).toEqual({ kind: 'null' });
    expect(fill('"previous"')).toEqual({ kind: 'previous' });
    expect(fill('linear')).toEqual({ kind: 'linear' });
    expect(fill('0')).toEqual({ kind: 'value', value: 0 });
    expect(fill('-1')).toEqual({ kind: 'value', value: -1 });
    expect(fill('2.5')).toEqual({ kind: 'value', value: 2.5 });
    expect(select('SELECT mean(a) FROM m GROUP BY time(1m)').fill).toBeUndefined();
  });

  it('ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET and tz(), in InfluxQL’s fixed order', () => {
    const s = select(
      "SELECT a FROM m GROUP BY host ORDER BY time DESC LIMIT 10 OFFSET 5 SLIMIT 2 SOFFSET 1 tz('Europe/Berlin')",
    );
    expect(s).toMatchObject({
      descending: true,
      limit: 10,
      offset: 5,
      slimit: 2,
      soffset: 1,
      timezone: 'Europe/Berlin',
    });
    expect(select('SELECT a FROM m ORDER BY time ASC').descending).toBe(false);
    expect(select('SELECT a FROM m ORDER BY DESC').descending).toBe(true);
    // LIMIT 0 means no limit in InfluxDB, as if absent.
    expect(select('SELECT a FROM m LIMIT 0').limit).toBeUndefined();
    expect(select("SELECT a FROM m tz('')").timezone).toBe('UTC');
    expect(() => parseInfluxQL('SELECT a FROM m LIMIT 1 GROUP BY host')).toThrow(
      'error parsing query: found GROUP, expected ; at line 1, char 25',
    );
    expect(() => parseInfluxQL('SELECT a FROM m ORDER BY time DESC GROUP BY host')).toThrow(
      /found GROUP, expected ;/,
    );
  });

  it('comments are whitespace, except where InfluxDB looks for a regex first (a field, a source)', () => {
    expect(statement('SELECT a -- the field\nFROM m WHERE /* here */ b = 1')).toEqual(
      statement('SELECT a FROM m WHERE b = 1'),
    );
    expect(() => parseInfluxQL('SELECT a FROM /* here */ m')).toThrow(
      'error parsing query: error parsing regexp: missing argument to repetition operator: `*` at line 1, char 14',
    );
  });
});

describe('SHOW statements', () => {
  it.each<[string, Statement]>([
    ['SHOW DATABASES', { kind: 'show_databases' }],
    ['SHOW RETENTION POLICIES', { kind: 'show_retention_policies' }],
    ['SHOW RETENTION POLICIES ON db', { kind: 'show_retention_policies', database: 'db' }],
    ['SHOW MEASUREMENTS ON db', { kind: 'show_measurements', database: 'db' }],
    [
      'SHOW MEASUREMENTS WITH MEASUREMENT = cpu',
      { kind: 'show_measurements', measurement: { op: '=', value: 'cpu' } },
    ],
    [
      "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /c/ WHERE host = 'a' LIMIT 2 OFFSET 1",
      {
        kind: 'show_measurements',
        database: 'db',
        measurement: { op: '=~', value: 'c' },
        condition: bin('=', ref('host'), str('a')),
        limit: 2,
        offset: 1,
      },
    ],
    ['SHOW TAG KEYS', { kind: 'show_tag_keys', sources: [] }],
    [
      "SHOW TAG KEYS ON db FROM cpu, /p/ WHERE host = 'a' LIMIT 1 OFFSET 2",
      {
        kind: 'show_tag_keys',
        database: 'db',
        sources: [
          { kind: 'measurement', name: 'cpu' },
          { kind: 'regex', source: 'p' },
        ],
        condition: bin('=', ref('host'), str('a')),
        limit: 1,
        offset: 2,
      },
    ],
    [
      'SHOW TAG VALUES ON db FROM cpu WITH KEY IN ("host", region) WHERE x = 1 LIMIT 3',
      {
        kind: 'show_tag_values',
        database: 'db',
        sources: [{ kind: 'measurement', name: 'cpu' }],
        key: { op: 'in', values: ['host', 'region'] },
        condition: bin('=', ref('x'), int(1)),
        limit: 3,
      },
    ],
    [
      'SHOW TAG VALUES WITH KEY != host',
      { kind: 'show_tag_values', sources: [], key: { op: '!=', values: ['host'] } },
    ],
    [
      'SHOW TAG VALUES WITH KEY =~ /h/',
      { kind: 'show_tag_values', sources: [], key: { op: '=~', values: ['h'] } },
    ],
    [
      'SHOW TAG VALUES WITH KEY !~ /h/',
      { kind: 'show_tag_values', sources: [], key: { op: '!~', values: ['h'] } },
    ],
    ['SHOW FIELD KEYS', { kind: 'show_field_keys', sources: [] }],
    [
      'SHOW FIELD KEYS ON db FROM cpu LIMIT 1 OFFSET 1',
      {
        kind: 'show_field_keys',
        database: 'db',
        sources: [{ kind: 'measurement', name: 'cpu' }],
        limit: 1,
        offset: 1,
      },
    ],
    [
      "SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 5",
      {
        kind: 'show_series',
        database: 'db',
        sources: [{ kind: 'measurement', name: 'cpu' }],
        condition: bin('=', ref('host'), str('a')),
        limit: 5,
      },
    ],
  ])('%s', (query, expected) => {
    expect(statement(query)).toEqual(expected);
  });
});

describe('databases, retention policies, series', () => {
  it.each<[string, Statement]>([
    ['CREATE DATABASE sensors', { kind: 'create_database', name: 'sensors' }],
    [
      'CREATE DATABASE "my db" WITH DURATION 30d REPLICATION 1 SHARD DURATION 1d NAME "month"',
      {
        kind: 'create_database',
        name: 'my db',
        retention: {
          durationMicros: 30 * 86_400 * S,
          replication: 1,
          shardDurationMicros: 86_400 * S,
          name: 'month',
        },
      },
    ],
    [
      'CREATE DATABASE d WITH DURATION INF',
      { kind: 'create_database', name: 'd', retention: { durationMicros: 0 } },
    ],
    ['DROP DATABASE sensors', { kind: 'drop_database', name: 'sensors' }],
    [
      'CREATE RETENTION POLICY week ON sensors DURATION 1w REPLICATION 1 SHARD DURATION 1h DEFAULT',
      {
        kind: 'create_retention_policy',
        name: 'week',
        database: 'sensors',
        options: {
          durationMicros: 604_800 * S,
          replication: 1,
          shardDurationMicros: 3600 * S,
          isDefault: true,
        },
      },
    ],
    [
      'ALTER RETENTION POLICY week ON sensors DURATION INF DEFAULT',
      {
        kind: 'alter_retention_policy',
        name: 'week',
        database: 'sensors',
        options: { durationMicros: 0, isDefault: true },
      },
    ],
    [
      'ALTER RETENTION POLICY DEFAULT ON sensors REPLICATION 2 SHARD DURATION 2h',
      {
        kind: 'alter_retention_policy',
        name: 'default',
        database: 'sensors',
        options: { replication: 2, shardDurationMicros: 7200 * S },
      },
    ],
    [
      'DROP RETENTION POLICY week ON sensors',
      { kind: 'drop_retention_policy', name: 'week', database: 'sensors' },
    ],
    ['DROP MEASUREMENT "cpu"', { kind: 'drop_measurement', name: 'cpu' }],
    ['DROP SERIES FROM cpu', { kind: 'drop_series', sources: [{ kind: 'measurement', name: 'cpu' }] }],
    [
      "DROP SERIES WHERE host = 'a'",
      { kind: 'drop_series', sources: [], condition: bin('=', ref('host'), str('a')) },
    ],
    [
      "DELETE FROM cpu, /p/ WHERE time < '2024-01-01T00:00:00Z'",
      {
        kind: 'delete',
        sources: [
          { kind: 'measurement', name: 'cpu' },
          { kind: 'regex', source: 'p' },
        ],
        condition: bin('<', ref('time'), str('2024-01-01T00:00:00Z')),
      },
    ],
  ])('%s', (query, expected) => {
    expect(statement(query)).toEqual(expected);
  });
});

describe('several statements', () => {
  it('are separated by ; (a trailing one is fine) and keep their text and offset', () => {
    const text = '  SELECT a FROM m ;\n\tSHOW DATABASES;  ';
    const parsed = parseInfluxQL(text);
    expect(parsed.map(({ text: t, start }) => [t, start])).toEqual([
      ['SELECT a FROM m', 2],
      ['SHOW DATABASES', 21],
    ]);
    expect(text.slice(parsed[1]?.start)).toMatch(/^SHOW DATABASES/);
  });

  it('statement errors come in place of their statement with parseInfluxQLStatements', () => {
    const results = parseInfluxQLStatements('SELECT mean(a) FROM m GROUP BY a + 1; SHOW DATABASES');
    expect(results[0]).toBeInstanceOf(InfluxQLError);
    expect((results[0] as InfluxQLError).message).toBe('only time and tag dimensions allowed');
    expect(results[1]).toMatchObject({ statement: { kind: 'show_databases' }, start: 38 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { INFLUXQL_CORPUS } from './corpus.js';
import { ERROR_CASES } from './error-cases.js';
import { InfluxQLError, parseInfluxQL, parseInfluxQLStatements } from './parser.js';

/** The error parseInfluxQL throws for `query` (failing the test when it does not throw one). */
function errorOf(query: string): InfluxQLError {
  try {
    parseInfluxQL(query);
  } catch (err) {
    if (err instanceof InfluxQLError) return err;
    throw err;
  }
  throw new Error(`parsed without error: ${query}`);
}

describe('InfluxQL errors: the same as InfluxDB 1.6.7', () => {
  // InfluxDB's HTTP handler trims the query before parsing; the recorded answers are for the trimmed text.
  it.each(ERROR_CASES.map((c) => [c.query, c]))('%j', (_, c) => {
    const err = errorOf(c.query.trim());
    expect(err.message).toBe(c.error);
    expect(err.reason).toBe(c.kind);
  });

  it('says where: line, character (code points, from 1) and offset', () => {
    const err = errorOf('SELECT a\nFROM m\nWHERE "😀" = @');
    expect(err.message).toBe(
      'error parsing query: found @, expected identifier, string, number, bool at line 3, char 13',
    );
    expect([err.line, err.char, err.position]).toEqual([3, 13, 29]);
    expect(err.statementIndex).toBe(0);
  });

  it('gives line and char even where InfluxDB prints no position', () => {
    const err = errorOf('SELECT a FROM m GROUP BY time(1s) fill(x)');
    expect(err.message).toBe('error parsing query: expected number argument in fill()');
    expect([err.line, err.char, err.position]).toEqual([1, 35, 34]);
  });

  it('is an AppError with a registered code: QRY_INFLUXQL_PARSE for syntax, QRY_INFLUXQL for a statement', () => {
    const syntax = errorOf('SELECT FROM m');
    expect(syntax).toBeInstanceOf(AppError);
    expect([syntax.code, syntax.status, syntax.reason]).toEqual(['QRY_INFLUXQL_PARSE', 400, 'syntax']);
    const statement = errorOf('SELECT a FROM m; SELECT mean(a) FROM m GROUP BY 1');
    expect([statement.code, statement.reason, statement.statementIndex]).toEqual([
      'QRY_INFLUXQL',
      'statement',
      1,
    ]);
    expect(statement.message).toBe('only time and tag dimensions allowed');
  });

  it('an empty query is an error, as InfluxDB words it', () => {
    for (const q of ['', '   ', ';', ' ; ;', '-- only a comment']) {
      expect(errorOf(q).message).toMatch(
        /^error parsing query: found EOF, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char \d+$/,
      );
    }
    expect(errorOf('').message).toMatch(/at line 1, char 1$/);
  });

  it('a syntax error anywhere wins over statement errors, which InfluxDB reports only when the query parses', () => {
    expect(errorOf('SHOW USERS; SELECT mean(a) FROM m GROUP BY 1; SELECT FROM').message).toBe(
      'error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 54',
    );
  });
});

describe('statements InfluxDB accepts but sensorhub does not run', () => {
  it.each([
    ['SHOW USERS', 'SHOW USERS is not supported'],
    ['SHOW CONTINUOUS QUERIES', 'SHOW CONTINUOUS QUERIES is not supported'],
    ["CREATE USER bob WITH PASSWORD 'x' WITH ALL PRIVILEGES", 'CREATE USER is not supported'],
    ['GRANT READ ON db TO bob', 'GRANT is not supported'],
    ['KILL QUERY 12 ON "host"', 'KILL QUERY is not supported'],
    ['EXPLAIN ANALYZE SELECT a FROM m', 'EXPLAIN is not supported'],
    ['SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host', 'SHOW TAG VALUES CARDINALITY is not supported'],
    ['SELECT a FROM (SELECT b FROM m)', 'subqueries are not supported'],
    ['SELECT *::field FROM m', '*::field is not supported; name the fields or tags'],
    ['SELECT a & 1 FROM m', 'the bitwise operator & is not supported'],
    [
      'SELECT mean(a) FROM m GROUP BY time(1m, now())',
      'time(interval, now()) is not supported; give the offset as a duration',
    ],
    ['SHOW TAG KEYS SLIMIT 1', 'SLIMIT and SOFFSET in SHOW TAG KEYS are not supported'],
  ])('%s', (query, message) => {
    const [result] = parseInfluxQLStatements(query);
    expect(result).toBeInstanceOf(InfluxQLError);
    expect((result as InfluxQLError).reason).toBe('unsupported');
    expect((result as InfluxQLError).message).toBe(message);
  });

  it('stands in place of the statement; the others parse', () => {
    const results = parseInfluxQLStatements('SELECT a FROM m; SHOW USERS; SHOW DATABASES');
    expect(results.map((r) => (r instanceof InfluxQLError ? r.statementIndex : r.statement.kind))).toEqual([
      'select',
      1,
      'show_databases',
    ]);
  });
});

describe('limits: bounded time and stack, whatever the input', () => {
  it('refuses deep nesting with an InfluxQLError, not a stack overflow', () => {
    for (const q of [
      `SELECT ${'('.repeat(100_000)}a FROM m`,
      `SELECT ${'mean('.repeat(100_000)}a FROM m`,
      `SELECT a FROM m WHERE ${'-('.repeat(50_000)}a`,
      `SELECT a FROM ${'(SELECT a FROM '.repeat(10_000)}m`,
    ]) {
      expect(errorOf(q).message).toMatch(
        /expressions nest too deeply \(more than 200 levels\) at line 1, char \d+$/,
      );
    }
    expect(() => parseInfluxQL(`SELECT ${'('.repeat(150)}a${')'.repeat(150)} FROM m`)).not.toThrow();
  });

  it('refuses an expression tree too tall to walk, such as a 2000-term AND chain', () => {
    const chain = (n: number) => Array.from({ length: n }, (_, i) => `t = '${i}'`).join(' AND ');
    expect(() => parseInfluxQL(`SELECT a FROM m WHERE ${chain(900)}`)).not.toThrow();
    expect(errorOf(`SELECT a FROM m WHERE ${chain(2000)}`).message).toBe(
      'error parsing query: expression is too complex (more than 1000 levels)',
    );
  });

  it('checks a Grafana multi-value regex of 20 000 hosts in linear time', () => {
    const hosts = Array.from({ length: 20_000 }, (_, i) => `host-${i}\\.example\\.com`).join('|');
    const t0 = performance.now();
    const [parsed] = parseInfluxQL(
      `SELECT mean("v") FROM cpu WHERE ("host" =~ /^(${hosts})$/) GROUP BY host`,
    );
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(parsed?.statement.kind).toBe('select');
  });

  it('parses a large query in linear time', () => {
    const fields = Array.from({ length: 20_000 }, (_, i) => `mean("f${i}") * 2 AS "m${i}"`).join(', ');
    const query = `SELECT ${fields} FROM cpu WHERE host =~ /^(a|b)$/ AND time > now() - 1h GROUP BY time(1m)`;
    expect(query.length).toBeGreaterThan(500_000);
    const t0 = performance.now();
    const [parsed] = parseInfluxQL(query);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(parsed?.statement.kind === 'select' && parsed.statement.fields.length).toBe(20_000);
  });
});

/** Characters and words that matter to the grammar, so random input reaches deep into the parser. */
const PIECES = [
  ...' \t\n\r()[]{},;.:"\'/\\*-+%&|^=!<>~$@#0123456789abcxyzµπé😀\u0000\u2028',
  ...[' SELECT ', ' FROM ', ' WHERE ', ' GROUP BY ', ' ORDER BY ', ' LIMIT ', ' OFFSET ', ' SLIMIT ', ' AS '],
  ...[
    ' SHOW ',
    ' TAG ',
    ' KEYS ',
    ' VALUES ',
    ' WITH ',
    ' KEY ',
    ' IN ',
    ' MEASUREMENTS ',
    ' SERIES ',
    ' ON ',
  ],
  ...[' CREATE ', ' DROP ', ' DATABASE ', ' RETENTION ', ' POLICY ', ' DURATION ', ' REPLICATION ', ' INF '],
  ...[' AND ', ' OR ', ' DESC ', ' INTO ', ' DELETE ', ' DISTINCT ', 'fill(', 'tz(', 'time(', 'now()', '::'],
  ...[
    '10s',
    '1h30m',
    '5x',
    '1u',
    '99999999999999999999',
    '1.5',
    '.5',
    "'2024-01-01T00:00:00Z'",
    '/a(/',
    '/x/',
  ],
  ...['"q"', "'s'", 'mean(', 'count(*)', 'field', 'tag', 'integer', '--', '/*', '*/', 'true', '$p'],
];

describe('property: the parser only ever throws InfluxQLError', () => {
  const check = (query: string) => {
    try {
      const results = parseInfluxQLStatements(query);
      for (const r of results) if (!(r instanceof InfluxQLError)) expect(r.statement).toBeDefined();
    } catch (err) {
      if (!(err instanceof InfluxQLError)) throw err;
      expect(err.line).toBeGreaterThanOrEqual(1);
      expect(err.char).toBeGreaterThanOrEqual(1);
      expect(err.position).toBeGreaterThanOrEqual(0);
      expect(err.position).toBeLessThanOrEqual(query.length);
    }
  };

  it('on random text made of grammar pieces', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (parts) => check(parts.join(''))),
      { numRuns: 3000 },
    );
  });

  it('on arbitrary unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), check), { numRuns: 1000 });
  });

  it('on realistic queries cut, spliced and sprinkled with pieces', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...INFLUXQL_CORPUS),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.constantFrom('', ...PIECES)), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([q, edits]) =>
        edits.reduce((s, [at, cut, insert]) => {
          const i = at % (s.length + 1);
          return s.slice(0, i) + insert + s.slice(i + cut);
        }, q),
      );
    fc.assert(fc.property(mutated, check), { numRuns: 3000 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Statement } from './ast.js';
import { INFLUXQL_CORPUS } from './corpus.js';
import { formatDuration, nanosToMicros, parseDurationLiteral } from './duration.js';
import { InfluxQLError, parseInfluxQL } from './parser.js';
import { printQuery, printStatement } from './printer.js';

const statements = (query: string): Statement[] => parseInfluxQL(query).map((p) => p.statement);

/** parse(print(parse(q))) equals parse(q); returns the printed text. */
function roundTrip(query: string): string {
  const first = statements(query);
  const printed = printQuery(first);
  expect(statements(printed), `${query}\n→ ${printed}`).toEqual(first);
  return printed;
}

describe('printer: the corpus reads back to the same AST', () => {
  it('has at least 100 realistic queries', () => {
    expect(INFLUXQL_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(INFLUXQL_CORPUS).size).toBe(INFLUXQL_CORPUS.length);
  });

  it.each(INFLUXQL_CORPUS.map((q) => [q]))('%s', (query) => {
    const printed = roundTrip(query);
    // Canonical: printing what was printed changes nothing.
    expect(printQuery(statements(printed))).toBe(printed);
  });
});

describe('printer: canonical text', () => {
  it.each([
    [
      `select MEAN("value") from "autogen"."pot" where ("topic" = '/pot') and time >= now() - 300s group by time(60s, 0s), "device" fill(null)`,
      "SELECT mean(value) FROM autogen.pot WHERE (topic = '/pot') AND time >= now() - 5m GROUP BY time(1m), device fill(null)",
    ],
    [
      'SELECT "field", "my field", "a.b", "x"::tag FROM "db".."m" WHERE "tag" =~ /a\\/b/',
      'SELECT "field", "my field", "a.b", x::tag FROM db..m WHERE "tag" =~ /a\\/b/',
    ],
    ['SELECT -a, - 5, +b, a - -b, -(a + b) FROM m', 'SELECT -a, -5, +b, a - -b, -(a + b) FROM m'],
    [
      'SELECT a FROM m WHERE time > 1704067200000ms AND time < 1704067200000000u + 1h',
      'SELECT a FROM m WHERE time > 1704067200000ms AND time < 1704067200000ms + 1h',
    ],
    ["SELECT a FROM m WHERE s = 'it''s'".replace("''", "\\'"), "SELECT a FROM m WHERE s = 'it\\'s'"],
    ['SELECT a FROM m WHERE x <> 1.50 AND y = 2.', 'SELECT a FROM m WHERE x != 1.5 AND y = 2.0'],
    ['SELECT a FROM m WHERE t > 1500ns', 'SELECT a FROM m WHERE t > 1500ns'],
    ["SELECT a FROM m ORDER BY DESC LIMIT 0 tz('')", "SELECT a FROM m ORDER BY time DESC tz('UTC')"],
    [
      'SHOW TAG VALUES FROM cpu WITH KEY IN ("host", region)',
      'SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)',
    ],
    [
      'CREATE DATABASE d WITH DURATION INF SHARD DURATION 168h NAME "default"',
      'CREATE DATABASE d WITH DURATION INF SHARD DURATION 1w NAME "default"',
    ],
    [
      'alter retention policy DEFAULT on d default duration 2d',
      'ALTER RETENTION POLICY "default" ON d DURATION 2d DEFAULT',
    ],
    ['SELECT a INTO db.rp.:MEASUREMENT FROM /x/', 'SELECT a INTO db.rp.:MEASUREMENT FROM /x/'],
  ])('%s', (query, expected) => {
    expect(printQuery(statements(query))).toBe(expected);
    roundTrip(query);
  });

  it('round-trips every statement kind', () => {
    for (const q of [
      'SHOW DATABASES; SHOW RETENTION POLICIES ON "my db"; SHOW MEASUREMENTS ON db WITH MEASUREMENT = "a b"',
      "SHOW TAG KEYS ON db FROM cpu WHERE x = 'y' LIMIT 1 OFFSET 2; SHOW FIELD KEYS FROM /c/ LIMIT 3",
      'SHOW SERIES ON db FROM rp.cpu WHERE time > now() - 1h; SHOW TAG VALUES WITH KEY !~ /^h/',
      'CREATE DATABASE x; DROP DATABASE x; DROP MEASUREMENT "select"; DROP SERIES FROM a, b WHERE c = 1',
      'CREATE RETENTION POLICY r ON d DURATION 1h REPLICATION 3 SHARD DURATION 30m DEFAULT',
      "ALTER RETENTION POLICY r ON d SHARD DURATION 2h REPLICATION 1; DROP RETENTION POLICY r ON d; DELETE WHERE t = 'x'",
      'SELECT a INTO "other".autogen.m FROM db.rp./x/ GROUP BY time(1ns, -1u) SLIMIT 3 SOFFSET 4',
    ]) {
      roundTrip(q);
    }
  });

  it('prints a statement on its own', () => {
    expect(printStatement({ kind: 'show_databases' })).toBe('SHOW DATABASES');
  });
});

describe('printer: properties', () => {
  const NS_MAX = 2n ** 63n - 1n;

  it('durations: every int64 nanosecond count reads back as the same microseconds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -NS_MAX, max: NS_MAX }), (ns) => {
        const micros = nanosToMicros(ns);
        const back = parseDurationLiteral(formatDuration(micros));
        expect(back).toEqual({ ok: true, micros });
      }),
      { numRuns: 3000 },
    );
  });

  it('numbers: every finite double reads back the same, integers and floats alike', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (value, asInteger) => {
        const v = asInteger ? Math.trunc(value) : value;
        if (asInteger && Math.abs(v) > 2 ** 63) return;
        const literal = { kind: 'number' as const, value: v, integer: asInteger && !Object.is(v, -0) };
        const stmt: Statement = {
          kind: 'select',
          fields: [{ expr: { kind: 'ref', name: 'a' } }],
          sources: [{ kind: 'measurement', name: 'm' }],
          condition: { kind: 'binary', op: '=', left: { kind: 'ref', name: 'a' }, right: literal },
          dimensions: [],
          descending: false,
        };
        expect(statements(printStatement(stmt))).toEqual([stmt]);
      }),
      { numRuns: 3000 },
    );
  });

  // Query text built from the grammar: names that need quoting, escapes, every literal, nesting.
  const name = fc.oneof(
    fc.constantFrom('a', 'value', 'usage_idle', 'host', 'time', '_x9', 'Mean'),
    fc.string({ maxLength: 8 }).map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`),
    fc.constantFrom('"select"', '"field"', '"a.b"', '"é 😀"', '""'),
  );
  const stringLit = fc
    .string({ maxLength: 10 })
    .map((s) => `'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`);
  const duration = fc
    .array(fc.tuple(fc.nat({ max: 999 }), fc.constantFrom('ns', 'u', 'µ', 'ms', 's', 'm', 'h', 'd', 'w')), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.map(([n, u]) => `${n}${u}`).join(''));
  const number = fc.oneof(
    fc.nat().map(String),
    fc.tuple(fc.nat({ max: 99_999 }), fc.nat({ max: 9999 })).map(([a, b]) => `${a}.${b}`),
    fc.constantFrom('18446744073709551615', '9223372036854775808', '.5', '7.'),
  );
  const regex = fc
    .array(
      fc.constantFrom(
        'a',
        'b',
        '.',
        '.*',
        '\\d+',
        '[a-z]',
        '[^/]',
        '(x|y)',
        '^',
        '$',
        '\\/',
        '/',
        'a{2}',
        '(?i)',
      ),
      {
        maxLength: 6,
      },
    )
    .map((parts) => `/${parts.join('').replace(/\//g, '\\/')}/`);
  const cast = fc.constantFrom('', '::field', '::tag', '::integer', '::float', '::string', '::boolean');
  const atom = fc.oneof(
    fc.tuple(name, cast).map(([n, c]) => n + c),
    stringLit,
    number,
    duration,
    fc.constantFrom('true', 'false', 'now()', '*'),
  );
  // Arithmetic (what a field may hold) and conditions (what WHERE holds).
  const { arith, cond } = fc.letrec((tie) => ({
    arith: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc
        .tuple(tie('arith'), fc.constantFrom('+', '-', '*', '/', '%'), tie('arith'))
        .map(([l, o, r]) => `${l} ${o} ${r}`),
      tie('arith').map((e) => `(${e})`),
      fc
        .tuple(
          fc.constantFrom('-', '+', '- '),
          fc.oneof(
            name,
            number,
            duration,
            tie('arith').map((e) => `(${e})`),
          ),
        )
        .map(([s, e]) => s + e),
      fc
        .tuple(
          fc.constantFrom('mean', 'percentile', 'derivative', 'f'),
          fc.array(tie('arith'), { maxLength: 3 }),
        )
        .map(([f, args]) => `${f}(${args.join(', ')})`),
    ),
    cond: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .tuple(tie('arith'), fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>='), tie('arith'))
        .map(([l, o, r]) => `${l} ${o} ${r}`),
      fc.tuple(name, fc.constantFrom('=~', '!~'), regex).map(([n, o, r]) => `${n} ${o} ${r}`),
      fc
        .tuple(tie('cond'), fc.constantFrom('AND', 'OR', 'and'), tie('cond'))
        .map(([l, o, r]) => `${l} ${o} ${r}`),
      tie('cond').map((e) => `(${e})`),
    ),
  }));
  const source = fc.oneof(
    name,
    regex,
    fc.tuple(name, name).map(([a, b]) => `${a}.${b}`),
    fc.tuple(name, name, name).map(([a, b, c]) => `${a}.${b}.${c}`),
    fc.tuple(name, regex).map(([a, r]) => `${a}..${r}`),
  );
  const dimension = fc.oneof(
    name,
    regex,
    fc.constant('*'),
    fc
      .tuple(duration, fc.option(fc.tuple(fc.constantFrom('', '-'), duration)))
      .map(([d, o]) => (o === null ? `time(${d})` : `time(${d}, ${o[0]}${o[1]})`)),
  );
  const query = fc
    .record({
      fields: fc.array(fc.tuple(arith, fc.option(name)), { minLength: 1, maxLength: 3 }),
      sources: fc.array(source, { minLength: 1, maxLength: 2 }),
      where: fc.option(cond),
      dims: fc.array(dimension, { maxLength: 3 }),
      fill: fc.option(fc.constantFrom('none', 'null', 'previous', 'linear', '0', '-1.5', '7')),
      order: fc.option(fc.constantFrom('ORDER BY time DESC', 'ORDER BY time ASC', 'ORDER BY DESC')),
      limits: fc.array(fc.tuple(fc.constantFrom('LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET'), fc.nat(99))),
      tz: fc.option(fc.constantFrom("tz('Europe/Berlin')", "tz('UTC')")),
    })
    .map((q) => {
      const parts = [
        `SELECT ${q.fields.map(([e, alias]) => (alias === null ? e : `${e} AS ${alias}`)).join(', ')}`,
        `FROM ${q.sources.join(', ')}`,
      ];
      if (q.where !== null) parts.push(`WHERE ${q.where}`);
      if (q.dims.length > 0) parts.push(`GROUP BY ${q.dims.join(', ')}`);
      if (q.fill !== null) parts.push(`fill(${q.fill})`);
      if (q.order !== null) parts.push(q.order);
      const order = ['LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET'];
      const seen = new Set<string>();
      for (const [k, n] of [...q.limits].sort((x, y) => order.indexOf(x[0]) - order.indexOf(y[0]))) {
        if (!seen.has(k)) parts.push(`${k} ${n}`);
        seen.add(k);
      }
      if (q.tz !== null) parts.push(q.tz);
      return parts.join(' ');
    });

  it('generated queries: whatever parses reads back the same after printing', () => {
    let parsed = 0;
    fc.assert(
      fc.property(query, (text) => {
        let first: Statement[];
        try {
          first = statements(text);
        } catch (err) {
          if (err instanceof InfluxQLError) {
            if (process.env.SHOW_REJECTS) console.log(err.message);
            return;
          }
          throw err;
        }
        parsed++;
        const printed = printQuery(first);
        expect(statements(printed), `${text}\n→ ${printed}`).toEqual(first);
      }),
      { numRuns: 2000 },
    );
    // The property must not hold only because nothing parsed.
    expect(parsed).toBeGreaterThan(500);
  });
});

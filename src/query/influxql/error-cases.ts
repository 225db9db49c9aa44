/**
 * Queries InfluxDB 1.6.7 (Debian's `influxd`) refuses, with its answer, recorded from the real server. A
 * `syntax` error fails the whole query (`{"error": …}`); a `statement` error is that statement's result (only
 * those the parser decides: GROUP BY's rules; the planner checks fields and conditions).
 * errors.test.ts checks the parser against them; influxd.test.ts asks a live InfluxDB again.
 */
export interface ErrorCase {
  readonly query: string;
  readonly error: string;
  readonly kind: 'syntax' | 'statement';
}

export const ERROR_CASES: readonly ErrorCase[] = [
  {
    query: 'SELECT',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 8',
    kind: 'syntax',
  },
  {
    query: 'select * from',
    error: 'error parsing query: found EOF, expected identifier at line 1, char 15',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m LIMIT -1',
    error: 'error parsing query: found -, expected integer at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m GROUP BY time(5x)',
    error: 'error parsing query: invalid duration',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m WHERE a = 'abc",
    error: 'error parsing query: found abc, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'SELECT "a FROM m',
    error: 'error parsing query: found a FROM m, expected identifier, string, number, bool at line 1, char 7',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /abc',
    error: 'error parsing query: bad regex:  at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a(/',
    error: 'error parsing query: error parsing regexp: missing closing ): `a(` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m fill(foo)',
    error: 'error parsing query: expected number argument in fill()',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m tz(1)',
    error: 'error parsing query: expected string argument in tz()',
    kind: 'syntax',
  },
  {
    query: 'FOO',
    error:
      'error parsing query: found FOO, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m SELECT',
    error: 'error parsing query: found SELECT, expected ; at line 1, char 17',
    kind: 'syntax',
  },
  {
    query: 'SELECT a = 1 FROM m',
    error:
      'error parsing query: invalid operator = in SELECT clause at line 1, char 8; operator is intended for WHERE clause',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM a.b.c.d',
    error: 'error parsing query: too many segments in "a"."b"."c".d at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'SHOW',
    error:
      'error parsing query: found EOF, expected CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS at line 1, char 6',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG VALUES FROM m',
    error: 'error parsing query: found EOF, expected WITH at line 1, char 24',
    kind: 'syntax',
  },
  {
    query: 'SELECT a::foo FROM m',
    error:
      'error parsing query: found foo, expected float, integer, unsigned, string, boolean, field, tag at line 1, char 11',
    kind: 'syntax',
  },
  {
    query: 'SELECT 1.5h FROM m',
    error: 'error parsing query: found h, expected FROM at line 1, char 11',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE time > 99999999999999999999ns',
    error: 'error parsing query: invalid duration',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENTS ON *',
    error: 'error parsing query: found *, expected identifier at line 1, char 22',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENTS ON x.y',
    error: 'error parsing query: found ., expected ; at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG KEYS WITH KEY = "a"',
    error: 'error parsing query: found WITH, expected ; at line 1, char 15',
    kind: 'syntax',
  },
  {
    query: 'SHOW FIELD KEYS WHERE a=1',
    error: 'error parsing query: found WHERE, expected ; at line 1, char 17',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENTS WITH MEASUREMENT != x',
    error: 'error parsing query: found !=, expected =, =~ at line 1, char 36',
    kind: 'syntax',
  },
  {
    query: 'SHOW SERIES ORDER BY x',
    error: 'error parsing query: only ORDER BY time supported at this time',
    kind: 'syntax',
  },
  {
    query: "SHOW TAG VALUES WITH KEY = 'a'",
    error: 'error parsing query: found a, expected identifier at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG VALUES WITH KEY =~ x',
    error: 'error parsing query: found x, expected regex at line 1, char 29',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG VALUES WITH KEY < x',
    error: 'error parsing query: found <, expected IN, =, =~ at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'CREATE',
    error:
      'error parsing query: found EOF, expected CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION at line 1, char 8',
    kind: 'syntax',
  },
  {
    query: 'DROP',
    error:
      'error parsing query: found EOF, expected CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, SHARD, SUBSCRIPTION, USER at line 1, char 6',
    kind: 'syntax',
  },
  {
    query: 'ALTER',
    error: 'error parsing query: found EOF, expected RETENTION at line 1, char 7',
    kind: 'syntax',
  },
  {
    query: 'ALTER RETENTION POLICY x ON y',
    error:
      'error parsing query: found EOF, expected DURATION, REPLICATION, SHARD, DEFAULT at line 1, char 31',
    kind: 'syntax',
  },
  {
    query: 'CREATE DATABASE x WITH',
    error: 'error parsing query: found EOF, expected DURATION, NAME, REPLICATION, SHARD at line 1, char 24',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m ORDER BY time DESC, x',
    error: 'error parsing query: only ORDER BY time supported at this time',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m ORDER BY x',
    error: 'error parsing query: only ORDER BY time supported at this time',
    kind: 'syntax',
  },
  {
    query: 'DELETE',
    error: 'error parsing query: found EOF, expected FROM, WHERE at line 1, char 8',
    kind: 'syntax',
  },
  {
    query: 'DROP SERIES',
    error: 'error parsing query: found EOF, expected FROM, WHERE at line 1, char 13',
    kind: 'syntax',
  },
  {
    query: 'DROP SERIES FROM a.b.c',
    error: 'error parsing query: retention policy not supported at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'DELETE FROM a.b.c',
    error: 'error parsing query: retention policy not supported at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'DELETE FROM b..c',
    error: 'error parsing query: database not supported at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'EXPLAIN',
    error: 'error parsing query: found EOF, expected SELECT at line 1, char 9',
    kind: 'syntax',
  },
  {
    query: 'SHOW FIELD',
    error: 'error parsing query: found EOF, expected KEY, KEYS at line 1, char 12',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(a)',
    error: 'time dimension must have duration argument',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(10s, 1)',
    error: 'time dimension offset must be duration or now()',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time()',
    error: 'time dimension expected 1 or 2 arguments',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY 1',
    error: 'only time and tag dimensions allowed',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY mean(a)',
    error: 'only time() calls allowed in dimensions',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(1s), time(2s)',
    error: 'multiple time dimensions not allowed',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(1s) fill(-x)',
    error: 'error parsing query: expected number argument in fill()',
    kind: 'syntax',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(1s) fill(NULL)',
    error: 'error parsing query: expected number argument in fill()',
    kind: 'syntax',
  },
  {
    query: 'SELECT mean(a) FROM m GROUP BY time(1s) fill',
    error: 'error parsing query: fill must be a function call',
    kind: 'syntax',
  },
  {
    query: 'SELECT mean(a) FROM m fill(1,2)',
    error: 'error parsing query: fill requires an argument, e.g.: 0, null, none, previous, linear',
    kind: 'syntax',
  },
  {
    query: "SELECT mean(a) FROM m fill('none')",
    error: 'error parsing query: expected number argument in fill()',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a IN b',
    error: 'error parsing query: found IN, expected ; at line 1, char 25',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = $x',
    error: 'error parsing query: missing parameter: x',
    kind: 'syntax',
  },
  { query: 'SELECT $ FROM m', error: 'error parsing query: empty bound parameter', kind: 'syntax' },
  {
    query: 'SELECT a INTO :MEASUREMENT FROM m',
    error: 'error parsing query: found :, expected identifier at line 1, char 15',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m WHERE time > now() - 1h tz('Foo/Bar')",
    error: 'error parsing query: unable to find time zone Foo/Bar',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m tz('europe/berlin')",
    error: 'error parsing query: unable to find time zone europe/berlin',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m tz(x)',
    error: 'error parsing query: expected string argument in tz()',
    kind: 'syntax',
  },
  { query: 'SELECT a FROM m tz', error: 'error parsing query: tz must be a function call', kind: 'syntax' },
  {
    query: 'SELECT a FROM m LIMIT 1 LIMIT 2',
    error: 'error parsing query: found LIMIT, expected ; at line 1, char 25',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = 99999999999999999999',
    error: 'error parsing query: unable to parse integer at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = -9223372036854775809',
    error: 'error parsing query: constant -9223372036854775809 underflows int64',
    kind: 'syntax',
  },
  { query: 'SELECT a FROM m WHERE a = 1e5', error: 'error parsing query: invalid duration', kind: 'syntax' },
  {
    query: "SELECT a FROM m WHERE a = 'x\\q'",
    error: 'error parsing query: found \\q, expected identifier, string, number, bool at line 1, char 30',
    kind: 'syntax',
  },
  {
    query: 'SELECT "a\\q" FROM m',
    error: 'error parsing query: found \\q, expected identifier, string, number, bool at line 1, char 11',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a\\q/',
    error: 'error parsing query: error parsing regexp: invalid escape sequence: `\\q` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a !~ /[a/',
    error: 'error parsing query: error parsing regexp: missing closing ]: `[a` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a /* x FROM m',
    error: 'error parsing query: found ILLEGAL, expected FROM at line 1, char 10',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = 5.x',
    error: 'error parsing query: found x, expected ; at line 1, char 29',
    kind: 'syntax',
  },
  { query: 'SELECT a FROM m WHERE a = 1h5', error: 'error parsing query: invalid duration', kind: 'syntax' },
  { query: 'SELECT a FROM m WHERE a = 1µs', error: 'error parsing query: invalid duration', kind: 'syntax' },
  {
    query: 'SELECT a FROM m WHERE a = 1μ',
    error: 'error parsing query: found μ, expected ; at line 1, char 28',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = 9223372036854775808ns',
    error: 'error parsing query: invalid duration',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = 106752d',
    error: 'error parsing query: overflowed duration 106752d: choose a smaller duration or INF',
    kind: 'syntax',
  },
  {
    query: 'SELECT a :: integer FROM m',
    error: 'error parsing query: found ::, expected FROM at line 1, char 10',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a!b',
    error: 'error parsing query: found !, expected ; at line 1, char 24',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a : b',
    error: 'error parsing query: found :, expected ; at line 1, char 25',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m WHERE a = 'x\ny'",
    error: 'error parsing query: found x, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = /x/',
    error: 'error parsing query: found /, expected identifier, string, number, bool at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM db.rp.m.x',
    error: 'error parsing query: too many segments in "db"."rp"."m".x at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM db...m',
    error: 'error parsing query: too many segments in "db"...m at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG',
    error: 'error parsing query: found EOF, expected KEY, KEYS, VALUES at line 1, char 10',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENT',
    error: 'error parsing query: found EOF, expected EXACT, CARDINALITY at line 1, char 18',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENT EXACT',
    error: 'error parsing query: found EOF, expected CARDINALITY at line 1, char 24',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG KEY',
    error: 'error parsing query: found EOF, expected EXACT, CARDINALITY at line 1, char 14',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG KEY EXACT',
    error: 'error parsing query: found EOF, expected CARDINALITY at line 1, char 20',
    kind: 'syntax',
  },
  {
    query: 'SHOW FIELD KEY',
    error: 'error parsing query: found EOF, expected EXACT, CARDINALITY at line 1, char 16',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG VALUES EXACT',
    error: 'error parsing query: found EOF, expected CARDINALITY at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'SHOW RETENTION',
    error: 'error parsing query: found EOF, expected POLICIES at line 1, char 16',
    kind: 'syntax',
  },
  {
    query: 'SHOW STATS FOR',
    error: 'error parsing query: found EOF, expected string at line 1, char 16',
    kind: 'syntax',
  },
  {
    query: 'SHOW DIAGNOSTICS FOR 1',
    error: 'error parsing query: found 1, expected string at line 1, char 22',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m /x/',
    error: 'error parsing query: found  , expected regex at line 1, char 16',
    kind: 'syntax',
  },
  {
    query: 'SHOW FIELD KEYS ON FROM m',
    error: 'error parsing query: found FROM, expected identifier at line 1, char 20',
    kind: 'syntax',
  },
  {
    query: 'KILL',
    error: 'error parsing query: found EOF, expected QUERY at line 1, char 6',
    kind: 'syntax',
  },
  {
    query: 'KILL QUERY',
    error: 'error parsing query: found EOF, expected integer at line 1, char 12',
    kind: 'syntax',
  },
  {
    query: 'SET PASSWORD FOR x =',
    error: 'error parsing query: found EOF, expected string at line 1, char 21',
    kind: 'syntax',
  },
  {
    query: 'GRANT',
    error: 'error parsing query: found EOF, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 7',
    kind: 'syntax',
  },
  {
    query: 'GRANT ALL',
    error: 'error parsing query: found EOF, expected ON, TO at line 1, char 11',
    kind: 'syntax',
  },
  {
    query: 'REVOKE ALL',
    error: 'error parsing query: found EOF, expected ON, FROM at line 1, char 12',
    kind: 'syntax',
  },
  {
    query: 'CREATE USER x',
    error: 'error parsing query: found EOF, expected WITH at line 1, char 15',
    kind: 'syntax',
  },
  {
    query: "CREATE USER x WITH PASSWORD 'y' WITH",
    error: 'error parsing query: found EOF, expected ALL at line 1, char 38',
    kind: 'syntax',
  },
  {
    query: 'CREATE SUBSCRIPTION s ON db.rp DESTINATIONS ALL',
    error: 'error parsing query: found EOF, expected string at line 1, char 49',
    kind: 'syntax',
  },
  {
    query: 'EXPLAIN ANALYZE VERBOSE SELECT',
    error: 'error parsing query: found VERBOSE, expected SELECT at line 1, char 17',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /(?<n>a)/',
    error:
      'error parsing query: error parsing regexp: invalid or unsupported Perl syntax: `(?<` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a{1001}/',
    error: 'error parsing query: error parsing regexp: invalid repeat count: `{1001}` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /(a{100}){100}/',
    error: 'error parsing query: error parsing regexp: invalid repeat count: `{100}` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /\\p{Greek}\\p{Grek}/',
    error:
      'error parsing query: error parsing regexp: invalid character class range: `\\p{Grek}` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a\\/',
    error: 'error parsing query: bad regex:  at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /\\C/',
    error: 'error parsing query: error parsing regexp: invalid escape sequence: `\\C` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /**/',
    error:
      'error parsing query: error parsing regexp: missing argument to repetition operator: `*` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT mean(v) FROM m GROUP BY time',
    error: 'time() is a function and expects at least one argument',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(v) FROM m GROUP BY time(1s, now(1))',
    error: 'time dimension offset now() function requires no arguments',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(v) FROM m GROUP BY time(1s, mean(x))',
    error: 'time dimension offset function must be now()',
    kind: 'statement',
  },
  {
    query: "SELECT mean(v) FROM m GROUP BY time(1s, 'abc')",
    error: 'time dimension offset must be duration or now()',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(v) FROM m GROUP BY (1)',
    error: 'only time and tag dimensions allowed',
    kind: 'statement',
  },
  {
    query: 'SELECT mean(v) FROM m GROUP BY ("time")',
    error: 'time() is a function and expects at least one argument',
    kind: 'statement',
  },
  {
    query: "SELECT a FROM m WHERE a = -'x'",
    error: 'error parsing query: found x, expected identifier, number, duration, ( at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT - - 1 FROM m',
    error: 'error parsing query: found -, expected identifier, number, duration, ( at line 1, char 10',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m; ;; SELECT',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 28',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m GROUP BY time(10s) fill(none) ORDER BY time DESC LIMIT 5 OFFSET x',
    error: 'error parsing query: found x, expected integer at line 1, char 81',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m SLIMIT 1 SOFFSET -1',
    error: 'error parsing query: found -, expected integer at line 1, char 34',
    kind: 'syntax',
  },
  {
    query: 'CREATE RETENTION POLICY rp ON db DURATION 1h REPLICATION 0',
    error: 'error parsing query: invalid value 0: must be 1 <= n <= 2147483647 at line 1, char 58',
    kind: 'syntax',
  },
  {
    query: 'CREATE RETENTION POLICY rp ON db DURATION 1h REPLICATION 99999999999999999999',
    error:
      'error parsing query: strconv.Atoi: parsing "99999999999999999999": value out of range at line 1, char 58',
    kind: 'syntax',
  },
  {
    query: 'CREATE RETENTION POLICY rp ON db DURATION 1h REPLICATION 1 SHARD DURATION INF',
    error: 'error parsing query: invalid duration INF for shard duration at line 1, char 75',
    kind: 'syntax',
  },
  {
    query: 'ALTER RETENTION POLICY rp ON db DURATION 1h DURATION 2h',
    error: 'error parsing query: found duplicate DURATION option at line 1, char 45',
    kind: 'syntax',
  },
  {
    query: 'CREATE RETENTION POLICY rp ON db DURATION 1x REPLICATION 1',
    error: 'error parsing query: invalid duration at line 1, char 43',
    kind: 'syntax',
  },
  {
    query: 'KILL QUERY 99999999999999999999999',
    error:
      'error parsing query: strconv.ParseUint: parsing "99999999999999999999999": value out of range at line 1, char 12',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = "unterminated',
    error:
      'error parsing query: found unterminated, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m WHERE a = 'esc\\",
    error:
      'error parsing query: found \\\u0000, expected identifier, string, number, bool at line 1, char 32',
    kind: 'syntax',
  },
  {
    query: 'SELECT ."a" FROM m',
    error: 'error parsing query: found ., expected identifier, string, number, bool at line 1, char 8',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a.b.c.d = 1',
    error: 'error parsing query: too many segments in "a"."b"."c".d at line 1, char 1',
    kind: 'syntax',
  },

  {
    query: 'SELECT a + FROM m',
    error: 'error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 12',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a = 1 AND',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 33',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m GROUP BY',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m GROUP BY time(1s),',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 36',
    kind: 'syntax',
  },
  {
    query: 'SELECT a, FROM m',
    error: 'error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 11',
    kind: 'syntax',
  },
  {
    query: 'SELECT distinct 1 FROM m',
    error: 'error parsing query: found 1, expected identifier at line 1, char 17',
    kind: 'syntax',
  },
  {
    query: 'SELECT a AS FROM m',
    error: 'error parsing query: found FROM, expected identifier at line 1, char 13',
    kind: 'syntax',
  },
  {
    query: 'SELECT a AS "b" FROM m ORDER BY',
    error: 'error parsing query: found EOF, expected identifier, ASC, DESC at line 1, char 33',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m ORDER BY time ASC, time DESC',
    error: 'error parsing query: only ORDER BY time supported at this time',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m ORDER',
    error: 'error parsing query: found EOF, expected BY at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE\n  a = 1 AND\n  b = @',
    error: 'error parsing query: found @, expected identifier, string, number, bool at line 3, char 7',
    kind: 'syntax',
  },
  {
    query: 'SELECT\n a FROM\r\nm WHERE\r',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 3, char 9',
    kind: 'syntax',
  },
  {
    query: "SELECT 'héllo' FROM m WHERE x = @",
    error: 'error parsing query: found @, expected identifier, string, number, bool at line 1, char 33',
    kind: 'syntax',
  },
  {
    query: 'SELECT "😀" FROM m WHERE @',
    error: 'error parsing query: found @, expected identifier, string, number, bool at line 1, char 25',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m\n\nWHERE b = = 1',
    error: 'error parsing query: found =, expected identifier, string, number, bool at line 3, char 11',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m\tWHERE\tb =',
    error: 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m WHERE b = 'x' ;; garbage",
    error:
      'error parsing query: found garbage, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 34',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE time > now() - 5m GROUP BY time(10s) fill(previous) LIMIT 5 SLIMIT',
    error: 'error parsing query: found EOF, expected integer at line 1, char 90',
    kind: 'syntax',
  },
  {
    query: "SHOW TAG VALUES FROM m WITH KEY IN (a, 'b')",
    error: 'error parsing query: found b, expected identifier at line 1, char 39',
    kind: 'syntax',
  },
  {
    query: 'SHOW TAG VALUES FROM m WITH KEY IN a',
    error: 'error parsing query: found a, expected ( at line 1, char 36',
    kind: 'syntax',
  },
  {
    query: 'SHOW MEASUREMENTS WITH MEASUREMENT =~ x.y.z.w',
    error: 'error parsing query: too many segments in "x"."y"."z".w at line 1, char 1',
    kind: 'syntax',
  },
  {
    query: 'SHOW SERIES FROM WHERE',
    error: 'error parsing query: found WHERE, expected identifier at line 1, char 18',
    kind: 'syntax',
  },
  {
    query: 'CREATE DATABASE d WITH DURATION 1h REPLICATION 1 SHARD 1h',
    error: 'error parsing query: found 1h, expected DURATION at line 1, char 56',
    kind: 'syntax',
  },
  {
    query: 'CREATE DATABASE d WITH NAME',
    error: 'error parsing query: found EOF, expected identifier at line 1, char 29',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /x/ AND b !~',
    error: 'error parsing query: found EOF, expected regex at line 1, char 41',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /[z-a]/',
    error:
      'error parsing query: error parsing regexp: invalid character class range: `z-a` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a{2}{3}/',
    error:
      'error parsing query: error parsing regexp: invalid nested repetition operator: `{2}{3}` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a**/',
    error:
      'error parsing query: error parsing regexp: invalid nested repetition operator: `**` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /(?z)/',
    error:
      'error parsing query: error parsing regexp: invalid or unsupported Perl syntax: `(?z` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /\\x{zz}/',
    error: 'error parsing query: error parsing regexp: invalid escape sequence: `\\x{z` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /[[:foo:]]/',
    error:
      'error parsing query: error parsing regexp: invalid character class range: `[:foo:]` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /a)/',
    error: 'error parsing query: error parsing regexp: unexpected ): `a)` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /\\8/',
    error: 'error parsing query: error parsing regexp: invalid escape sequence: `\\8` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /(?P<a/',
    error: 'error parsing query: error parsing regexp: invalid named capture: `(?P<a` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /\\pX/',
    error:
      'error parsing query: error parsing regexp: invalid character class range: `\\pX` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /x{1,1001}/',
    error: 'error parsing query: error parsing regexp: invalid repeat count: `{1,1001}` at line 1, char 27',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m WHERE a =~ /x{2,1}/',
    error: 'error parsing query: error parsing regexp: invalid repeat count: `{2,1}` at line 1, char 27',
    kind: 'syntax',
  },

  {
    query: 'SELECT mean(a) FROM m GROUP BY time(1s) fill(null) fill(none)',
    error: 'error parsing query: found fill, expected ; at line 1, char 52',
    kind: 'syntax',
  },
  {
    query: "SELECT a FROM m tz('Europe/Berlin') LIMIT 1",
    error: 'error parsing query: found LIMIT, expected ; at line 1, char 37',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM m; garbage',
    error:
      'error parsing query: found garbage, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 18',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM "db"."rp".',
    error: 'error parsing query: found EOF, expected identifier at line 1, char 26',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM db.',
    error: 'error parsing query: found EOF, expected identifier at line 1, char 19',
    kind: 'syntax',
  },
  {
    query: 'SELECT a FROM .m',
    error: 'error parsing query: found ., expected identifier at line 1, char 15',
    kind: 'syntax',
  },
  {
    query: 'SELECT a INTO db.rp.: FROM m',
    error: 'error parsing query: found FROM, expected MEASUREMENT at line 1, char 23',
    kind: 'syntax',
  },
  {
    query: 'DROP MEASUREMENT "a"."b"',
    error: 'error parsing query: found ., expected ; at line 1, char 21',
    kind: 'syntax',
  },
  {
    query: 'ALTER RETENTION POLICY rp ON db SHARD INF',
    error: 'error parsing query: found INF, expected DURATION at line 1, char 39',
    kind: 'syntax',
  },
  {
    query: 'CREATE RETENTION POLICY rp ON db DURATION INF REPLICATION 1 SHARD DURATION 1h DEFAULT extra\n',
    error: 'error parsing query: found extra, expected ; at line 1, char 87',
    kind: 'syntax',
  },
];

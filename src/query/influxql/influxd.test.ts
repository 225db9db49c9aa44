/**
 * The parser against the real thing: Debian's InfluxDB 1.6.7 (`influxd`, a test peer .ci/run installs) reads
 * the same queries, and both must agree on every syntax error (message and position), on the GROUP BY errors
 * the parser reports for a statement, and on what parses.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_INFLUXD, type InfluxDb, startInfluxDb } from '../../../test/helpers/influxdb.js';
import { INFLUXQL_CORPUS } from './corpus.js';
import { ERROR_CASES } from './error-cases.js';
import { InfluxQLError, parseInfluxQLStatements } from './parser.js';

interface Answer {
  readonly error?: string;
  readonly results?: ReadonlyArray<{ readonly error?: string }>;
}

/** Empty, so that nothing is ever read: every answer is about parsing and compiling. */
const DB = 'parser_diff';

/**
 * GET /query. InfluxDB also sends the error in a header, raw: a NUL in it (its EOF inside an escape) would
 * make fetch() refuse the response, so this uses node:http with the lenient parser.
 */
function query(influx: InfluxDb, q: string): Promise<Answer> {
  const url = `${influx.url}/query?db=${DB}&q=${encodeURIComponent(q)}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { insecureHTTPParser: true }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(JSON.parse(body) as Answer));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether `q` can travel as UTF-8 (a cut can split a surrogate pair; HTTP never delivers half of one). */
function wellFormed(q: string): boolean {
  try {
    encodeURIComponent(q);
    return true;
  } catch {
    return false;
  }
}

type Ours = { readonly syntax: string } | { readonly statements: ReadonlyArray<InfluxQLError | undefined> };

function ours(q: string): Ours {
  try {
    // InfluxDB's HTTP handler trims the query before parsing it.
    return {
      statements: parseInfluxQLStatements(q.trim()).map((r) => (r instanceof InfluxQLError ? r : undefined)),
    };
  } catch (err) {
    if (err instanceof InfluxQLError && err.reason === 'syntax') return { syntax: err.message };
    throw err;
  }
}

/** Whether our reading of `q` agrees with InfluxDB's answer; a description of the difference otherwise. */
function disagreement(q: string, mine: Ours, theirs: Answer): string | undefined {
  const show = () =>
    `${JSON.stringify(q)}\n  ours:   ${JSON.stringify(mine)}\n  theirs: ${JSON.stringify(theirs)}`;
  if (theirs.error === undefined && theirs.results === undefined) {
    // No statement at all (only comments and semicolons): InfluxDB answers {}, the parser refuses.
    return 'syntax' in mine && mine.syntax.includes('found EOF, expected SELECT') ? undefined : show();
  }
  if (theirs.error !== undefined)
    return 'syntax' in mine && mine.syntax === theirs.error ? undefined : show();
  if ('syntax' in mine) return show();
  const results = theirs.results ?? [];
  for (let i = 0; i < mine.statements.length; i++) {
    const mineErr = mine.statements[i];
    const theirErr = results[i]?.error;
    // InfluxDB stops at the first failing statement and checks the database before compiling.
    if (results[i] === undefined || /not found|not executed/.test(theirErr ?? '')) break;
    if (mineErr?.reason === 'unsupported') continue;
    if (mineErr?.reason === 'statement' && theirErr !== mineErr.message) {
      // InfluxDB compiles fields and conditions (the planner's checks) before GROUP BY.
      if (theirErr === undefined || /dimension/.test(theirErr)) return show();
    }
    if (mineErr === undefined && theirErr !== undefined && /dimension/.test(theirErr)) return show();
  }
  return undefined;
}

describe.skipIf(!HAVE_INFLUXD)('InfluxQL parser against InfluxDB 1.6.7', () => {
  let influx: InfluxDb;

  beforeAll(async () => {
    influx = await startInfluxDb();
    expect((await query(influx, `CREATE DATABASE ${DB}`)).results?.[0]?.error).toBeUndefined();
  });

  afterAll(async () => {
    await influx?.stop();
  });

  it('InfluxDB still answers every recorded error case as recorded, and so does the parser', async () => {
    for (const c of ERROR_CASES) {
      const theirs = await query(influx, c.query);
      const answer = c.kind === 'syntax' ? theirs.error : theirs.results?.[0]?.error;
      expect(answer, c.query).toBe(c.error);
      expect(disagreement(c.query, ours(c.query), theirs)).toBeUndefined();
    }
  });

  it('InfluxDB accepts every corpus query, as the parser does', async () => {
    for (const q of INFLUXQL_CORPUS) {
      const theirs = await query(influx, q);
      expect(theirs.error, q).toBeUndefined();
      expect(
        theirs.results?.filter((r) => r.error !== undefined),
        q,
      ).toEqual([]);
      const mine = ours(q);
      expect('statements' in mine && mine.statements.every((s) => s === undefined), q).toBe(true);
    }
  });

  const PIECES = [
    ...[
      ' ',
      '(',
      ')',
      ',',
      ';',
      '.',
      '..',
      '::',
      ':',
      '"',
      "'",
      '/',
      '\\',
      '*',
      '-',
      '+',
      '=',
      '=~',
      '!~',
      '!=',
    ],
    ...[
      '<>',
      '<',
      '>=',
      '%',
      '&',
      '|',
      '$x',
      '1',
      '-1',
      '1.5',
      '.5',
      '10s',
      '1h30m',
      '1u',
      '1µ',
      '5x',
      'now()',
    ],
    ...[
      '99999999999999999999',
      'time',
      'fill(',
      'tz(',
      "'Europe/Berlin'",
      'SELECT',
      'FROM',
      'WHERE',
      'GROUP BY',
    ],
    ...[
      'ORDER BY',
      'LIMIT',
      'OFFSET',
      'SLIMIT',
      'AND',
      'OR',
      'AS',
      'INTO',
      'SHOW',
      'WITH',
      'KEY',
      'IN',
      'ON',
      'DESC',
    ],
    ...[
      'true',
      'DISTINCT',
      'field',
      'tag',
      'integer',
      '/x/',
      '/(/',
      '/a{2}*/',
      '\n',
      '\t',
      '--c\n',
      '/*c*/',
      'é',
    ],
    ...[
      '😀',
      'mean(',
      'count(*)',
      'INF',
      'DURATION',
      'MEASUREMENT',
      'TAG KEYS',
      'TAG VALUES',
      'SERIES',
      'EXACT',
    ],
    ...[
      'CARDINALITY',
      'REPLICATION',
      'SHARD',
      'DEFAULT',
      'NAME',
      'RETENTION POLICY',
      'GRANT',
      'ALL',
      'TO',
      'KILL',
    ],
  ];

  it('agrees on realistic queries cut, spliced and sprinkled with grammar pieces', async () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...INFLUXQL_CORPUS, ...ERROR_CASES.map((c) => c.query)),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.constantFrom('', ...PIECES)), {
          minLength: 1,
          maxLength: 3,
        }),
      )
      .map(([q, edits]) =>
        edits.reduce((s, [at, cut, insert]) => {
          const i = at % (s.length + 1);
          return s.slice(0, i) + insert + s.slice(i + cut);
        }, q),
      )
      .filter((q) => q.trim() !== '' && wellFormed(q));
    await fc.assert(
      fc.asyncProperty(mutated, async (q) => {
        expect(disagreement(q, ours(q), await query(influx, q))).toBeUndefined();
      }),
      { numRuns: 600 },
    );
  });

  it('agrees on token soup', async () => {
    const soup = fc
      .tuple(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }), fc.constantFrom(' ', ''))
      .map(([parts, sep]) => parts.join(sep))
      .filter((q) => q.trim() !== '');
    await fc.assert(
      fc.asyncProperty(soup, async (q) => {
        expect(disagreement(q, ours(q), await query(influx, q))).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });
});

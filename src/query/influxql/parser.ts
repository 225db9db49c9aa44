/**
 * InfluxQL text → statements, exactly as InfluxDB 1.x (1.6, Debian's) reads it: the same grammar, the same
 * error messages and positions. Statements InfluxDB would accept but sensorhub does not run (SHOW USERS,
 * subqueries, …) are parsed fully, so that syntax errors anywhere still win, and refused afterwards.
 */
import type { ParsedStatement, Statement } from './ast.js';
import { InfluxQLError } from './influxql-error.js';
import { QueryText } from './lexer.js';
import {
  parseAlterRetentionPolicy,
  parseCreateContinuousQuery,
  parseCreateDatabase,
  parseCreateRetentionPolicy,
  parseCreateSubscription,
  parseCreateUser,
  parseDelete,
  parseDropContinuousQuery,
  parseDropRetentionPolicy,
  parseDropSeries,
  parseDropSubscription,
  parseExplain,
  parseIdentStatement,
  parseKillQuery,
  parsePrivilegeStatement,
  parseSetPassword,
} from './parse-admin.js';
import { parseIdent, parseUInt64 } from './parse-expr.js';
import { parseSelectStatement } from './parse-select.js';
import {
  parseCardinality,
  parseForModule,
  parseShowFieldKeys,
  parseShowMeasurements,
  parseShowRetentionPolicies,
  parseShowSeries,
  parseShowTagKeys,
  parseShowTagValues,
  type Unsupported,
  unsupported,
} from './parse-show.js';
import { TokenReader } from './token-reader.js';
import type { Tok } from './tokens.js';

export { InfluxQLError, type InfluxQLErrorReason } from './influxql-error.js';

type Handler = (p: TokenReader) => Statement | Unsupported;

/**
 * InfluxDB's statement dispatch (parse_tree.go): keywords lead to handlers, and the keys in the order they
 * were added are what an error lists as expected.
 */
class ParseTree {
  readonly keys: string[] = [];
  readonly groups = new Map<Tok, ParseTree>();
  readonly handlers = new Map<Tok, Handler>();

  group(...toks: Tok[]): ParseTree {
    let tree = this as ParseTree;
    for (const tok of toks) {
      let sub = tree.groups.get(tok);
      if (sub === undefined) {
        sub = new ParseTree();
        tree.groups.set(tok, sub);
        tree.keys.push(tok);
      }
      tree = sub;
    }
    return tree;
  }

  handle(tok: Tok, handler: Handler): this {
    this.handlers.set(tok, handler);
    this.keys.push(tok);
    return this;
  }
}

const done = (what: string) => () => unsupported(what);

const LANGUAGE = new ParseTree();
LANGUAGE.handle('SELECT', (p) => parseSelectStatement(p, 'optional'));
LANGUAGE.handle('DELETE', parseDelete);
{
  const show = LANGUAGE.group('SHOW');
  show.group('CONTINUOUS').handle('QUERIES', done('SHOW CONTINUOUS QUERIES'));
  show.handle('DATABASES', () => ({ kind: 'show_databases' }));
  show.handle('DIAGNOSTICS', (p) => parseForModule(p, 'SHOW DIAGNOSTICS'));
  show
    .group('FIELD')
    .handle('KEY', (p) => parseCardinality(p, 'SHOW FIELD KEY CARDINALITY', false))
    .handle('KEYS', parseShowFieldKeys);
  show.group('GRANTS').handle('FOR', (p) => parseIdentStatement(p, 'SHOW GRANTS'));
  show
    .group('MEASUREMENT')
    .handle('EXACT', (p) => {
      p.expectTokens(['CARDINALITY']);
      return parseCardinality(p, 'SHOW MEASUREMENT CARDINALITY', true);
    })
    .handle('CARDINALITY', (p) => parseCardinality(p, 'SHOW MEASUREMENT CARDINALITY', true));
  show.handle('MEASUREMENTS', parseShowMeasurements);
  show.handle('QUERIES', done('SHOW QUERIES'));
  show.group('RETENTION').handle('POLICIES', parseShowRetentionPolicies);
  show.handle('SERIES', parseShowSeries);
  show.group('SHARD').handle('GROUPS', done('SHOW SHARD GROUPS'));
  show.handle('SHARDS', done('SHOW SHARDS'));
  show.handle('STATS', (p) => parseForModule(p, 'SHOW STATS'));
  show.handle('SUBSCRIPTIONS', done('SHOW SUBSCRIPTIONS'));
  show
    .group('TAG')
    .handle('KEY', (p) => parseCardinality(p, 'SHOW TAG KEY CARDINALITY', false))
    .handle('KEYS', parseShowTagKeys)
    .handle('VALUES', parseShowTagValues);
  show.handle('USERS', done('SHOW USERS'));
}
{
  const create = LANGUAGE.group('CREATE');
  create.group('CONTINUOUS').handle('QUERY', parseCreateContinuousQuery);
  create.handle('DATABASE', parseCreateDatabase);
  create.handle('USER', parseCreateUser);
  create.group('RETENTION').handle('POLICY', parseCreateRetentionPolicy);
  create.handle('SUBSCRIPTION', parseCreateSubscription);
}
{
  const drop = LANGUAGE.group('DROP');
  drop.group('CONTINUOUS').handle('QUERY', parseDropContinuousQuery);
  drop.handle('DATABASE', (p) => ({ kind: 'drop_database', name: parseIdent(p) }));
  drop.handle('MEASUREMENT', (p) => ({ kind: 'drop_measurement', name: parseIdent(p) }));
  drop.group('RETENTION').handle('POLICY', parseDropRetentionPolicy);
  drop.handle('SERIES', parseDropSeries);
  drop.handle('SHARD', (p) => {
    parseUInt64(p);
    return unsupported('DROP SHARD');
  });
  drop.handle('SUBSCRIPTION', parseDropSubscription);
  drop.handle('USER', (p) => parseIdentStatement(p, 'DROP USER'));
}
LANGUAGE.handle('EXPLAIN', parseExplain);
LANGUAGE.handle('GRANT', (p) => parsePrivilegeStatement(p, true));
LANGUAGE.handle('REVOKE', (p) => parsePrivilegeStatement(p, false));
LANGUAGE.group('ALTER', 'RETENTION').handle('POLICY', parseAlterRetentionPolicy);
LANGUAGE.group('SET', 'PASSWORD').handle('FOR', parseSetPassword);
LANGUAGE.group('KILL').handle('QUERY', parseKillQuery);

function parseStatement(p: TokenReader): Statement | Unsupported {
  let tree = LANGUAGE;
  for (;;) {
    const t = p.scanIgnoreWhitespace();
    const sub = tree.groups.get(t.tok);
    if (sub !== undefined) {
      tree = sub;
      continue;
    }
    const handler = tree.handlers.get(t.tok);
    if (handler !== undefined) return handler(p);
    throw p.expected(t, tree.keys);
  }
}

/**
 * Parses a query of `;`-separated statements. A syntax error anywhere throws (InfluxDB runs nothing then);
 * a statement InfluxDB would fail only when running it, or that sensorhub does not support, comes back as an
 * InfluxQLError in its place, so the others can still run, as InfluxDB answers.
 */
export function parseInfluxQLStatements(text: string): Array<ParsedStatement | InfluxQLError> {
  const source = new QueryText(text);
  const p = new TokenReader(source);
  const out: Array<ParsedStatement | InfluxQLError> = [];
  let semi = true;
  for (;;) {
    const t = p.scanIgnoreWhitespace();
    if (t.tok === 'EOF') {
      if (out.length === 0) throw p.expected(t, LANGUAGE.keys);
      return out;
    }
    if (t.tok === 'SEMICOLON') {
      semi = true;
      continue;
    }
    if (!semi) throw p.expected(t, [';']);
    p.unscan();
    p.statementIndex = out.length;
    p.deferred = undefined;
    const parsed = parseStatement(p);
    const end = p.scanIgnoreWhitespace();
    p.unscan();
    if (parsed.kind === 'unsupported') p.defer('unsupported', `${parsed.what} is not supported`, t.pos);
    const start = source.offsetOf(t.pos);
    out.push(
      p.deferred ?? {
        statement: parsed as Statement,
        text: text.slice(start, source.offsetOf(end.pos)).trim(),
        start,
      },
    );
    semi = false;
  }
}

/** Parses a query; any error, including one InfluxDB would report for a single statement, throws. */
export function parseInfluxQL(text: string): ParsedStatement[] {
  const results = parseInfluxQLStatements(text);
  const failed = results.find((r): r is InfluxQLError => r instanceof InfluxQLError);
  if (failed !== undefined) throw failed;
  return results as ParsedStatement[];
}

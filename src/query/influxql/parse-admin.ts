/** CREATE, ALTER, DROP, DELETE and the user/privilege/query statements, as InfluxDB 1.6 reads them. */
import type { AdminStatement, Expr, RetentionPolicyOptions, Source } from './ast.js';
import {
  parseDurationOperand,
  parseIdent,
  parseIntInRange,
  parseString,
  parseStringList,
  parseUInt64,
} from './parse-expr.js';
import { parseCondition, parseSelectStatement, parseSources } from './parse-select.js';
import { type Unsupported, unsupported } from './parse-show.js';
import type { TokenReader } from './token-reader.js';
import type { Tok } from './tokens.js';

const MAX_INT32 = 2 ** 31 - 1;

/** Reads `keyword` if it is next; otherwise leaves the token. */
function accept(p: TokenReader, keyword: Tok): boolean {
  if (p.scanIgnoreWhitespace().tok === keyword) return true;
  p.unscan();
  return false;
}

function expect(p: TokenReader, keyword: Tok, text: string = keyword): void {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== keyword) throw p.expected(t, [text]);
}

/** `SHARD DURATION d` where INF is refused (retention policies; CREATE DATABASE takes INF). */
function shardDuration(p: TokenReader): number {
  expect(p, 'DURATION');
  const t = p.scanIgnoreWhitespace();
  if (t.tok === 'INF') throw p.at('invalid duration INF for shard duration', t.pos);
  p.unscan();
  return parseDurationOperand(p);
}

export function parseCreateDatabase(p: TokenReader): AdminStatement {
  const name = parseIdent(p);
  if (!accept(p, 'WITH')) return { kind: 'create_database', name };
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'DURATION' && t.tok !== 'NAME' && t.tok !== 'REPLICATION' && t.tok !== 'SHARD') {
    throw p.expected(t, ['DURATION', 'NAME', 'REPLICATION', 'SHARD']);
  }
  p.unscan();
  const retention: { -readonly [K in keyof RetentionPolicyOptions]: RetentionPolicyOptions[K] } & {
    name?: string;
  } = {};
  if (accept(p, 'DURATION')) retention.durationMicros = parseDurationOperand(p);
  if (accept(p, 'REPLICATION')) retention.replication = parseIntInRange(p, 1, MAX_INT32);
  if (accept(p, 'SHARD')) {
    expect(p, 'DURATION');
    retention.shardDurationMicros = parseDurationOperand(p);
  }
  if (accept(p, 'NAME')) retention.name = parseIdent(p);
  return { kind: 'create_database', name, retention };
}

export function parseCreateRetentionPolicy(p: TokenReader): AdminStatement {
  const name = parseIdent(p);
  expect(p, 'ON');
  const database = parseIdent(p);
  expect(p, 'DURATION');
  const durationMicros = parseDurationOperand(p);
  expect(p, 'REPLICATION');
  const replication = parseIntInRange(p, 1, MAX_INT32);
  const options: { -readonly [K in keyof RetentionPolicyOptions]: RetentionPolicyOptions[K] } = {
    durationMicros,
    replication,
  };
  if (accept(p, 'SHARD')) options.shardDurationMicros = shardDuration(p);
  if (accept(p, 'DEFAULT')) options.isDefault = true;
  return { kind: 'create_retention_policy', name, database, options };
}

export function parseAlterRetentionPolicy(p: TokenReader): AdminStatement {
  const t = p.scanIgnoreWhitespace();
  let name: string;
  if (t.tok === 'DEFAULT') name = 'default';
  else if (t.tok === 'IDENT') name = t.lit;
  else throw p.expected(t, ['identifier']);
  expect(p, 'ON');
  const database = parseIdent(p);
  const options: { -readonly [K in keyof RetentionPolicyOptions]: RetentionPolicyOptions[K] } = {};
  const found = new Set<Tok>();
  for (;;) {
    const o = p.scanIgnoreWhitespace();
    if (found.has(o.tok)) throw p.at(`found duplicate ${o.tok} option`, o.pos);
    if (o.tok === 'DURATION') options.durationMicros = parseDurationOperand(p);
    else if (o.tok === 'REPLICATION') options.replication = parseIntInRange(p, 1, MAX_INT32);
    else if (o.tok === 'SHARD') {
      const d = p.scanIgnoreWhitespace();
      if (d.tok !== 'DURATION') throw p.expected(d, ['DURATION']);
      p.unscan();
      options.shardDurationMicros = shardDuration(p);
    } else if (o.tok === 'DEFAULT') options.isDefault = true;
    else {
      if (found.size === 0) throw p.expected(o, ['DURATION', 'REPLICATION', 'SHARD', 'DEFAULT']);
      p.unscan();
      return { kind: 'alter_retention_policy', name, database, options };
    }
    found.add(o.tok);
  }
}

export function parseDropRetentionPolicy(p: TokenReader): AdminStatement {
  const name = parseIdent(p);
  expect(p, 'ON');
  return { kind: 'drop_retention_policy', name, database: parseIdent(p) };
}

/** DROP SERIES and DELETE: `[FROM m, …] [WHERE …]`, at least one, without a database or retention policy. */
function parseSeriesFilter(p: TokenReader): { sources: Source[]; condition?: Expr } {
  const t = p.scanIgnoreWhitespace();
  let sources: Source[] = [];
  let from = false;
  if (t.tok === 'FROM') {
    from = true;
    sources = parseSources(p, false);
    // InfluxDB walks every source and keeps the last complaint, retention policy over database.
    let complaint: string | undefined;
    for (const s of sources) {
      if (s.database !== undefined) complaint = 'database not supported';
      if (s.retentionPolicy !== undefined) complaint = 'retention policy not supported';
    }
    if (complaint !== undefined) throw p.atStart(complaint, t.pos);
  } else p.unscan();
  const condition = parseCondition(p);
  if (condition === undefined && !from) throw p.expected(t, ['FROM', 'WHERE']);
  return condition === undefined ? { sources } : { sources, condition };
}

export function parseDropSeries(p: TokenReader): AdminStatement {
  return { kind: 'drop_series', ...parseSeriesFilter(p) };
}

export function parseDelete(p: TokenReader): AdminStatement {
  return { kind: 'delete', ...parseSeriesFilter(p) };
}

export function parseCreateContinuousQuery(p: TokenReader): Unsupported {
  parseIdent(p);
  expect(p, 'ON');
  parseIdent(p);
  if (accept(p, 'RESAMPLE')) {
    let every = 0;
    let forDuration = 0;
    if (accept(p, 'EVERY')) every = resampleDuration(p);
    if (accept(p, 'FOR')) forDuration = resampleDuration(p);
    if (every === 0 && forDuration === 0) throw p.expected(p.scanIgnoreWhitespace(), ['EVERY', 'FOR']);
  }
  p.expectTokens(['BEGIN', 'SELECT']);
  parseSelectStatement(p, 'required');
  expect(p, 'END');
  return unsupported('CREATE CONTINUOUS QUERY');
}

function resampleDuration(p: TokenReader): number {
  const t = p.scanIgnoreWhitespace();
  if (t.tok !== 'DURATIONVAL') throw p.expected(t, ['duration']);
  p.unscan();
  return parseDurationOperand(p);
}

export function parseCreateUser(p: TokenReader): Unsupported {
  parseIdent(p);
  p.expectTokens(['WITH', 'PASSWORD']);
  parseString(p);
  if (accept(p, 'WITH')) p.expectTokens(['ALL', 'PRIVILEGES']);
  return unsupported('CREATE USER');
}

/** `name ON db.rp` of subscriptions. */
function parseSubscriptionTarget(p: TokenReader): void {
  parseIdent(p);
  expect(p, 'ON');
  parseIdent(p);
  const dot = p.scan();
  if (dot.tok !== 'DOT') throw p.expected(dot, ['.']);
  parseIdent(p);
}

export function parseCreateSubscription(p: TokenReader): Unsupported {
  parseSubscriptionTarget(p);
  expect(p, 'DESTINATIONS');
  const mode = p.scanIgnoreWhitespace();
  if (mode.tok !== 'ALL' && mode.tok !== 'ANY') throw p.expected(mode, ['ALL', 'ANY']);
  parseStringList(p);
  return unsupported('CREATE SUBSCRIPTION');
}

export function parseDropSubscription(p: TokenReader): Unsupported {
  parseSubscriptionTarget(p);
  return unsupported('DROP SUBSCRIPTION');
}

export function parseDropContinuousQuery(p: TokenReader): Unsupported {
  parseIdent(p);
  expect(p, 'ON');
  parseIdent(p);
  return unsupported('DROP CONTINUOUS QUERY');
}

export function parseExplain(p: TokenReader): Unsupported {
  accept(p, 'ANALYZE');
  expect(p, 'SELECT');
  parseSelectStatement(p, 'optional');
  return unsupported('EXPLAIN');
}

/** GRANT and REVOKE: `READ|WRITE|ALL [PRIVILEGES] ON db TO|FROM user` or `ALL [PRIVILEGES] TO|FROM user`. */
export function parsePrivilegeStatement(p: TokenReader, grant: boolean): Unsupported {
  const priv = p.scanIgnoreWhitespace();
  if (priv.tok === 'ALL') accept(p, 'PRIVILEGES');
  else if (priv.tok !== 'READ' && priv.tok !== 'WRITE') {
    throw p.expected(priv, ['READ', 'WRITE', 'ALL [PRIVILEGES]']);
  }
  const to: Tok = grant ? 'TO' : 'FROM';
  const t = p.scanIgnoreWhitespace();
  if (t.tok === 'ON') {
    parseIdent(p);
    expect(p, to);
  } else if (t.tok === to) {
    if (priv.tok !== 'ALL') throw p.expected(t, ['ON']);
  } else throw p.expected(t, priv.tok === 'ALL' ? ['ON', to] : ['ON']);
  parseIdent(p);
  return unsupported(grant ? 'GRANT' : 'REVOKE');
}

export function parseSetPassword(p: TokenReader): Unsupported {
  parseIdent(p);
  expect(p, 'EQ', '=');
  parseString(p);
  return unsupported('SET PASSWORD');
}

export function parseKillQuery(p: TokenReader): Unsupported {
  parseUInt64(p);
  if (accept(p, 'ON')) parseIdent(p);
  return unsupported('KILL QUERY');
}

export function parseIdentStatement(p: TokenReader, what: string): Unsupported {
  parseIdent(p);
  return unsupported(what);
}

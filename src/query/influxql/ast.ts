/**
 * The InfluxQL syntax tree: what the parser produces and the planner reads. Positions are 0-based offsets
 * into the query text (the parser turns them into InfluxDB's "line 1, char N" in its errors).
 */

/** A literal or reference inside a field expression or a condition. */
export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly integer: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** A duration literal (`5m`, `1h30m`, `100ms`), in microseconds. */
  | { readonly kind: 'duration'; readonly micros: number }
  | { readonly kind: 'regex'; readonly source: string }
  /** A field, tag or `time`; `cast` is InfluxQL's `::field` / `::tag` / `::integer`…, when given. */
  | { readonly kind: 'ref'; readonly name: string; readonly cast?: string }
  | { readonly kind: 'wildcard' }
  /** `now()`, `mean(x)`, `percentile(x, 90)`, `derivative(mean(x), 1s)`, … (name lower-cased). */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'paren'; readonly expr: Expr };

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '='
  | '!='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '=~'
  | '!~'
  | 'and'
  | 'or';

export interface Field {
  readonly expr: Expr;
  /** `AS alias`. */
  readonly alias?: string;
}

/** `FROM "db"."rp"."m"`, `FROM m`, `FROM /re/`. */
export type Source =
  | {
      readonly kind: 'measurement';
      readonly name: string;
      readonly database?: string;
      readonly retentionPolicy?: string;
    }
  | {
      readonly kind: 'regex';
      readonly source: string;
      readonly database?: string;
      readonly retentionPolicy?: string;
    };

export type Dimension =
  /** `time(1m)` or `time(1m, 30s)` (offset may be negative); micros. */
  | { readonly kind: 'time'; readonly intervalMicros: number; readonly offsetMicros: number }
  | { readonly kind: 'tag'; readonly name: string }
  | { readonly kind: 'regex'; readonly source: string }
  | { readonly kind: 'wildcard' };

export type FillOption =
  | { readonly kind: 'none' }
  | { readonly kind: 'null' }
  | { readonly kind: 'previous' }
  | { readonly kind: 'linear' }
  | { readonly kind: 'value'; readonly value: number };

export interface SelectStatement {
  readonly kind: 'select';
  readonly fields: readonly Field[];
  /** `INTO` is parsed and refused by the planner (not supported). */
  readonly into?: Source;
  readonly sources: readonly Source[];
  readonly condition?: Expr;
  readonly dimensions: readonly Dimension[];
  readonly fill?: FillOption;
  /** `ORDER BY time DESC`. */
  readonly descending: boolean;
  readonly limit?: number;
  readonly offset?: number;
  readonly slimit?: number;
  readonly soffset?: number;
  /** `tz('Europe/Berlin')`. */
  readonly timezone?: string;
}

export type ShowStatement =
  | { readonly kind: 'show_databases' }
  | { readonly kind: 'show_retention_policies'; readonly database?: string }
  | {
      readonly kind: 'show_measurements';
      readonly database?: string;
      /** `WITH MEASUREMENT = x` / `=~ /re/`. */
      readonly measurement?: { readonly op: '=' | '!=' | '=~' | '!~'; readonly value: string };
      readonly condition?: Expr;
      readonly limit?: number;
      readonly offset?: number;
    }
  | {
      readonly kind: 'show_tag_keys';
      readonly database?: string;
      readonly sources: readonly Source[];
      readonly condition?: Expr;
      readonly limit?: number;
      readonly offset?: number;
    }
  | {
      readonly kind: 'show_tag_values';
      readonly database?: string;
      readonly sources: readonly Source[];
      /** `WITH KEY = "k"`, `WITH KEY IN ("a", "b")`, `WITH KEY =~ /re/`, `WITH KEY != "k"`. */
      readonly key: { readonly op: '=' | '!=' | '=~' | '!~' | 'in'; readonly values: readonly string[] };
      readonly condition?: Expr;
      readonly limit?: number;
      readonly offset?: number;
    }
  | {
      readonly kind: 'show_field_keys';
      readonly database?: string;
      readonly sources: readonly Source[];
      readonly limit?: number;
      readonly offset?: number;
    }
  | {
      readonly kind: 'show_series';
      readonly database?: string;
      readonly sources: readonly Source[];
      readonly condition?: Expr;
      readonly limit?: number;
      readonly offset?: number;
    };

export interface RetentionPolicyOptions {
  /** Micros; 0 = INF (keep forever). */
  readonly durationMicros?: number;
  readonly replication?: number;
  readonly shardDurationMicros?: number;
  readonly isDefault?: boolean;
}

export type AdminStatement =
  | {
      readonly kind: 'create_database';
      readonly name: string;
      /** `WITH DURATION d [REPLICATION n] [SHARD DURATION d] [NAME rp]`. */
      readonly retention?: RetentionPolicyOptions & { readonly name?: string };
    }
  | { readonly kind: 'drop_database'; readonly name: string }
  | {
      readonly kind: 'create_retention_policy';
      readonly name: string;
      readonly database: string;
      readonly options: RetentionPolicyOptions;
    }
  | {
      readonly kind: 'alter_retention_policy';
      readonly name: string;
      readonly database: string;
      readonly options: RetentionPolicyOptions;
    }
  | { readonly kind: 'drop_retention_policy'; readonly name: string; readonly database: string }
  | { readonly kind: 'drop_measurement'; readonly name: string }
  | { readonly kind: 'drop_series'; readonly sources: readonly Source[]; readonly condition?: Expr }
  | {
      readonly kind: 'delete';
      readonly sources: readonly Source[];
      readonly condition?: Expr;
    };

export type Statement = SelectStatement | ShowStatement | AdminStatement;

/** A statement with its place in the query text, for error messages. */
export interface ParsedStatement {
  readonly statement: Statement;
  /** The statement's own text (trimmed), for messages. */
  readonly text: string;
  readonly start: number;
}

import { AppError } from '../../core/errors.js';

/**
 * - `syntax`: InfluxDB refuses the whole query with `error parsing query: …` (nothing runs).
 * - `statement`: the query parses, but InfluxDB reports this error for the statement when it runs it (e.g.
 *   `only time and tag dimensions allowed`); the other statements still run.
 * - `unsupported`: valid InfluxQL that sensorhub does not run (e.g. `SHOW USERS`, subqueries); reported for
 *   the statement like `statement`.
 */
export type InfluxQLErrorReason = 'syntax' | 'statement' | 'unsupported';

/** Where an error is, as an offset and as InfluxDB counts lines and characters. */
export interface InfluxQLErrorPlace {
  /** 0-based UTF-16 offset into the query text. */
  readonly position: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based character (code point) in the line. */
  readonly char: number;
}

/**
 * An InfluxQL query that sensorhub cannot run. The message is InfluxDB 1.x's own wording, e.g.
 * `error parsing query: found FOO, expected identifier at line 1, char 8`; `line`/`char` point at the same
 * place even when InfluxDB's message does not name one.
 */
export class InfluxQLError extends AppError {
  readonly position: number;
  readonly line: number;
  readonly char: number;
  readonly reason: InfluxQLErrorReason;
  /** 0-based index of the statement the error belongs to. */
  readonly statementIndex: number;

  constructor(
    message: string,
    place: InfluxQLErrorPlace,
    reason: InfluxQLErrorReason,
    statementIndex: number,
  ) {
    super(reason === 'syntax' ? 'QRY_INFLUXQL_PARSE' : 'QRY_INFLUXQL', message, {
      details: { line: place.line, char: place.char, reason },
    });
    this.name = 'InfluxQLError';
    this.position = place.position;
    this.line = place.line;
    this.char = place.char;
    this.reason = reason;
    this.statementIndex = statementIndex;
  }
}

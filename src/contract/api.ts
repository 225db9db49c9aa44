/** Wire types of the HTTP API (imported by the web app; no runtime code). */

export interface QuerySeriesDto {
  measurement: string;
  tags: Record<string, string>;
  field: string;
  /** Epoch milliseconds, ascending. Columnar, so a chart (uPlot) can take it unchanged. */
  time: number[];
  value: Array<number | boolean | string | null>;
}

export interface QueryResponseDto {
  series: QuerySeriesDto[];
  /** Present and true when query.maxPoints cut the result short. */
  truncated?: boolean;
}

export interface SeriesListDto {
  series: Array<{
    database: string;
    measurement: string;
    tags: Record<string, string>;
    fields: Record<string, 'float' | 'boolean' | 'string'>;
  }>;
}

export interface DeadLetterDto {
  /** Stable id: filter, delete or replay by it. */
  id: number;
  time: string;
  source: string;
  clientId: string;
  topic: string;
  /** The payload as UTF-8 text when it is valid text, else base64 (see payloadEncoding). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadSize: number;
  /** True when only the first ingest.deadLetterPayloadLimit bytes were kept (such a letter cannot be replayed). */
  payloadTruncated: boolean;
  rule: string;
  code: string;
  message: string;
}

export interface ErrorDto {
  code: string;
  error: string;
  details?: Record<string, unknown>;
}

export interface TokenPermissionDto {
  action: 'read' | 'write';
  /** A database name, or `*` for every database. */
  database: string;
}

/** GET /api/v1/tokens lists these; the secret is never shown again after creation. */
export interface TokenDto {
  id: string;
  name: string;
  permissions: TokenPermissionDto[];
  createdAt: string;
  /** Updated at most once a minute; null until first used. */
  lastUsedAt: string | null;
}

/** Body of POST /api/v1/tokens. */
export interface NewTokenDto {
  name?: string;
  permissions: TokenPermissionDto[];
}

/** Answer to POST /api/v1/tokens: `token` (`shk_<id>_<secret>`) is shown only this once. */
export interface CreatedTokenDto extends TokenDto {
  token: string;
}

/** Error body of the InfluxDB 1.x endpoints (`POST /write`), as InfluxDB sends it. */
export interface InfluxV1ErrorDto {
  error: string;
}

/** Error body of the InfluxDB 2 endpoints (`POST /api/v2/write`): `code` is InfluxDB's, e.g. `invalid`. */
export interface InfluxV2ErrorDto {
  code: string;
  message: string;
}

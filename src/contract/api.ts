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
  time: string;
  source: string;
  clientId: string;
  topic: string;
  /** The payload as UTF-8 text when it is valid text, else base64 (see payloadEncoding). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadSize: number;
  rule: string;
  code: string;
  message: string;
}

export interface ErrorDto {
  code: string;
  error: string;
  details?: Record<string, unknown>;
}

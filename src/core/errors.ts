/**
 * Every error a user can see has a stable code from this registry. docs/errors.md documents each one;
 * test/errors-doc.test.ts keeps the two in sync.
 */
export const ERROR_CODES = {
  // Configuration
  CFG_INVALID: { status: 500, summary: 'The configuration (file, env or flags) is invalid.' },

  // Authentication and authorization
  AUTH_REQUIRED: { status: 401, summary: 'The request carries no credentials and anonymous access is off.' },
  AUTH_FORBIDDEN: { status: 403, summary: 'Authenticated, but this user’s role or ACL does not allow it.' },
  AUTH_BAD_USER: { status: 400, summary: 'A user name, role, password or ACL pattern is invalid.' },
  AUTH_USER_EXISTS: { status: 409, summary: 'A user with this name already exists.' },
  AUTH_USER_NOT_FOUND: { status: 404, summary: 'No user with this name.' },
  AUTH_BLOCKED: {
    status: 429,
    summary: 'Too many failed logins from this address; it is refused for a while.',
  },
  AUTH_THROTTLED: {
    status: 503,
    summary: 'Too many logins are being checked at once; retry in a few seconds.',
  },
  AUTH_INVALID: { status: 401, summary: 'Wrong username, password or token.' },
  AUTH_BAD_TOKEN: { status: 400, summary: 'A token’s name or permissions are invalid.' },
  AUTH_TOKEN_NOT_FOUND: { status: 404, summary: 'No API token with this id (never created, or revoked).' },

  // Devices
  DEV_EXISTS: { status: 409, summary: 'A device (or user) with this name already exists.' },
  DEV_NOT_FOUND: { status: 404, summary: 'No device with this name.' },

  // MQTT
  MQTT_PUBLISH_FAILED: {
    status: 503,
    summary: 'The message could not be published (e.g. the external broker is unreachable).',
  },

  // Inbound webhooks (POST /api/v1/hooks/:name)
  HOOK_NOT_FOUND: { status: 404, summary: 'No inbound webhook with this name is configured.' },
  HOOK_STATE_UNMAPPED: {
    status: 422,
    summary: 'The webhook’s alert state has no payload in the hook’s mapping.',
  },

  // Alerts
  ALERT_RULE_INVALID: {
    status: 400,
    summary:
      'An alert rule is invalid (window, threshold, recovery, duplicate name); the message names the rule.',
  },

  ALERT_RULE_NOT_FOUND: { status: 404, summary: 'No alert rule with this name (created through the API).' },
  ALERT_RULE_PROVISIONED: {
    status: 409,
    summary: 'The alert rule comes from the config file; change or remove it there, not through the API.',
  },

  // Ingest
  ING_DECODE: { status: 400, summary: 'The payload does not decode in the format its rule expects.' },
  ING_NO_FIELDS: {
    status: 400,
    summary: 'The payload decoded, but no numeric or boolean field came out of it.',
  },
  ING_TOO_LARGE: { status: 413, summary: 'The payload is larger than ingest.maxPayloadSize.' },
  ING_INVALID_POINT: { status: 400, summary: 'The point has an empty measurement, field name or tag.' },
  ING_LINE_PROTOCOL: {
    status: 400,
    summary:
      'A body or payload is not valid InfluxDB line protocol; the message names the line and column (HTTP writes keep the other lines).',
  },
  ING_SCHEMA: {
    status: 400,
    summary:
      'The payload does not validate against its rule’s JSON Schema; the message lists each violation.',
  },
  ING_MAPPING: {
    status: 400,
    summary:
      'A rule’s field, tag, measurement or time could not be taken from the payload (missing, wrong type, bad timestamp).',
  },
  ING_TOPIC_CONSTRAINT: {
    status: 400,
    summary: 'The topic matched a rule, but a topic level breaks one of the rule’s constraints.',
  },
  ING_BEYOND_RETENTION: {
    status: 400,
    summary:
      'The point is older than its database’s retention window (now - duration): it would be deleted at once, so it is refused.',
  },

  // Forwarding
  FWD_FAILED: {
    status: 502,
    summary: 'A forwarding output refused a delivery for good, or kept failing for longer than its retryFor.',
  },
  FWD_QUEUE_FULL: {
    status: 503,
    summary:
      'A forwarding output’s on-disk queue reached queueMaxBytes; the message is kept as a dead letter instead.',
  },

  // Storage
  STO_WRITE_FAILED: {
    status: 500,
    summary: 'The store could not commit a batch; nothing of it was acknowledged.',
  },
  STO_FIELD_TYPE_CONFLICT: {
    status: 400,
    summary: 'A field was written with a different type (number, boolean, string) than it already has.',
  },
  STO_CLOSED: { status: 503, summary: 'The store is shutting down or not started.' },
  STO_READ_FAILED: {
    status: 503,
    summary: 'The store could not answer a read: its database server is unreachable or refused the request.',
  },
  STO_BACKUP_UNSUPPORTED: {
    status: 501,
    summary:
      'This store cannot make a live backup (memory: nothing durable; PostgreSQL: use pg_dump); the message says what to use.',
  },
  STO_BACKUP_FAILED: {
    status: 500,
    summary: 'The store could not write its backup copy (disk full, I/O error); the data itself is unharmed.',
  },
  STO_BUSY: {
    status: 503,
    summary: 'Too many points are waiting for commit; the HTTP write was refused before reading it.',
  },

  // Blobs (binary payloads)
  BLOB_NOT_FOUND: { status: 404, summary: 'No blob with this key.' },
  BLOB_WRITE_FAILED: {
    status: 500,
    summary: 'The blob store could not store a binary payload; the message was not acknowledged.',
  },
  BLOB_READ_FAILED: {
    status: 500,
    summary: 'The blob store could not read a blob (I/O error, or the S3 server failed or refused).',
  },

  // Query
  QRY_BAD_PARAM: { status: 400, summary: 'A query parameter is missing or malformed.' },
  QRY_TOO_MANY_POINTS: { status: 400, summary: 'The query would return more points than query.maxPoints.' },
  QRY_TOO_MANY_SERIES: {
    status: 400,
    summary: 'An InfluxQL statement would read more series than query.maxSeries.',
  },
  QRY_TIMEOUT: {
    status: 400,
    summary: 'An InfluxQL statement ran longer than query.timeout and was stopped.',
  },
  QRY_DATABASE_NOT_FOUND: { status: 404, summary: 'The database does not exist.' },
  QRY_INFLUXQL: {
    status: 400,
    summary: 'An InfluxQL statement cannot run (unsupported function, mixed aggregates, too many points, …).',
  },
  QRY_RETENTION_POLICY: {
    status: 400,
    summary:
      'A retention policy statement sensorhub refuses: a second policy on a database, dropping its one policy, or changing a policy pinned in the config.',
  },
  QRY_INFLUXQL_PARSE: {
    status: 400,
    summary: 'The InfluxQL query does not parse; nothing of it runs (the message gives line and character).',
  },

  // Dashboards
  DASH_INVALID: {
    status: 400,
    summary: 'The dashboard document is invalid; details.errors lists every problem as path: message.',
  },
  DASH_NOT_FOUND: { status: 404, summary: 'No dashboard with this uid.' },
  DASH_EXISTS: { status: 409, summary: 'A dashboard with this uid already exists.' },
  DASH_VERSION_CONFLICT: {
    status: 409,
    summary: 'The dashboard was saved by someone else since this version was loaded.',
  },
  DASH_PROVISIONED: {
    status: 409,
    summary: 'The dashboard comes from a provisioning file; edit the file, or save a copy under a new uid.',
  },

  // HTTP
  HTTP_NOT_FOUND: { status: 404, summary: 'No such route.' },
  HTTP_BAD_REQUEST: { status: 400, summary: 'The request is malformed.' },
  HTTP_BODY_TOO_LARGE: {
    status: 413,
    summary: 'The request body (after gzip decompression) is larger than the endpoint accepts.',
  },
  INTERNAL: { status: 500, summary: 'An unexpected error; the server log has the details.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { bool, byteSize, duration } from './zod-types.js';

export { duration } from './zod-types.js';

import { alertRulesSchema } from '../alerts/model.js';
import { inboundHooksSchema } from '../http/plugins/grafana-hook.js';
import { blobStoreSchema } from '../ingest/blobs/config.js';
import { forwardOutputsSchema } from '../ingest/forward/config.js';
import { rollupsSchema } from '../storage/rollup/config.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const name = z.string().min(1);

/** A string that may reference topic variables: `{device}`, `{topic}`, `{0}`, `{-1}`. */
const template = z.string().min(1);

/**
 * Where a measurement, tag, field or time comes from: a payload path (`$.temp`, `$.env.h`, `$` for the
 * whole payload), or a template of topic variables and constants (`{device}`, `plant-1`).
 */
const valueExpr = z.string().min(1);

const fieldSpec = z.union([
  valueExpr,
  z
    .object({
      value: valueExpr,
      /** Coerce to this type; a value that cannot be is a rejection (ING_MAPPING). */
      type: z.enum(['float', 'int', 'bool', 'string']).optional(),
      /** A missing value leaves the field out instead of rejecting the message. */
      optional: z.boolean().default(false),
    })
    .strict(),
]);

const timeSpec = z.union([
  valueExpr,
  z
    .object({
      value: valueExpr,
      format: z.enum(['auto', 'rfc3339', 's', 'ms', 'us', 'ns']).default('auto'),
    })
    .strict(),
]);

const segmentConstraint = z
  .object({
    pattern: z.string().optional(),
    length: z.number().int().nonnegative().optional(),
    minLength: z.number().int().nonnegative().optional(),
    maxLength: z.number().int().nonnegative().optional(),
    enum: z.array(z.string()).optional(),
  })
  .strict();

export const ruleSchema = z
  .object({
    name: name,
    topic: z.string().min(1),
    format: z.enum(['value', 'json', 'auto', 'influx', 'binary']).default('auto'),
    database: template.optional(),
    /** Template or payload path. Optional for `influx` (each line names its measurement). */
    measurement: valueExpr.optional(),
    tags: z.record(name, valueExpr).default({}),
    /** Field name for `value` payloads (and for a plain value under `auto`). */
    field: template.default('value'),
    /** Explicit field selection: name → payload path (or {value, type, optional}). Default: every member. */
    fields: z.record(name, fieldSpec).optional(),
    /** Without `fields`: keep only flattened members matching one of these globs (`*`, `?`). */
    include: z.array(z.string().min(1)).optional(),
    /** Without `fields`: drop flattened members matching one of these globs. */
    exclude: z.array(z.string().min(1)).optional(),
    /** Without `fields`: rename flattened members (old name → new name). */
    rename: z.record(z.string().min(1), name).optional(),
    /** Point time from the payload (RFC 3339 or epoch s/ms/us/ns); default: arrival time. */
    time: timeSpec.optional(),
    /** Payload path of an array; each element is one reading (paths in fields/tags/time are relative to it). */
    readings: valueExpr.optional(),
    /** Unit of line-protocol timestamps (`influx` format). */
    precision: z.enum(['ns', 'us', 'ms', 's']).default('ns'),
    /** JSON Schema (inline, or a file path relative to the config file) the payload must validate against. */
    schema: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    /** Constraints on named topic wildcards, e.g. seed 002's `client: {length: 10}`. */
    constraints: z.record(name, segmentConstraint).optional(),
    /** Blob content type for `binary` when the publisher gives none (default: sniffed from the bytes). */
    contentType: z.string().optional(),
    /** Forwarding outputs (names from ingest.outputs) that receive what this rule accepts. */
    forward: z.array(name).optional(),
    /**
     * What happens to a message this rule matches but cannot decode: `reject` keeps it as a dead letter
     * (and MQTT 5 publishers get reason code 0x99); `skip` lets the broker carry it without storing.
     */
    onError: z.enum(['reject', 'skip']).default('reject'),
  })
  .strict()
  .refine((r) => r.measurement !== undefined || r.format === 'influx', {
    message: 'measurement is required (except for format influx, where each line names its own)',
    path: ['measurement'],
  });

export type RuleConfig = z.output<typeof ruleSchema>;

/**
 * A retention duration in µs: `7d`, `10s`, `1h30m`, or `INF`/`inf`/`0` (and the number 0) to keep data
 * forever. Numbers are milliseconds, as for every other duration in the config.
 */
const retentionDuration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return Math.round(v * 1000);
  const text = v.trim();
  if (text === 'INF' || text === 'inf' || text === '0') return 0;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a retention duration (e.g. 7d, 12h, 10s; INF or 0 keeps data forever)`,
    });
    return z.NEVER;
  }
  return Math.max(1, Math.round(ms * 1000));
});

export const configSchema = z
  .object({
    /** The YAML file this configuration was read from ('' for none): relative paths in rules resolve from its folder. */
    configFile: z.string().default(''),
    dataDir: z.string().min(1),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    demo: bool,
    mqtt: z
      .object({
        host: z.string().min(1),
        port: port,
        tlsPort: port,
        allowAnonymous: bool,
        maxPacketSize: byteSize,
        maxConnectionsPerUser: z.coerce.number().int().nonnegative(),
        receiveMaximum: z.coerce.number().int().min(1).max(65535),
      })
      .strict(),
    http: z.object({ host: z.string().min(1), port: port }).strict(),
    broker: z
      .object({
        mode: z.enum(['embedded', 'external']),
        url: z.string(),
        username: z.string(),
        clientId: z.string(),
        shareGroup: z.string().regex(/^[^/+#]+$/, 'a share group name cannot contain /, + or #'),
        caFile: z.string(),
      })
      .strict()
      .refine((b) => b.mode === 'embedded' || /^mqtts?:\/\/[^/]+/.test(b.url), {
        message: 'external mode needs broker.url as mqtt://host:port or mqtts://host:port',
        path: ['url'],
      }),
    auth: z.object({ maxFailures: positiveInt, failureWindow: duration, blockFor: duration }).strict(),
    tls: z
      .object({ cert: z.string(), key: z.string() })
      .strict()
      .refine((t) => (t.cert === '') === (t.key === ''), {
        message: 'set both tls.cert and tls.key (files), or neither',
      }),
    ingest: z
      .object({
        database: name,
        maxPayloadSize: byteSize,
        batchMaxPoints: positiveInt,
        maxPendingPoints: positiveInt,
        deadLetterPayloadLimit: byteSize,
        rulesFile: z.string(),
        deadLetterRetention: duration,
        deadLetterMaxCount: positiveInt,
        deadLetterMaxBytes: byteSize,
        /** Rules tried in order before the built-in defaults; the first that matches wins. */
        rules: z.array(ruleSchema).default([]),
        /** Forwarding outputs (HTTP endpoints) that rules name in `forward`; see docs/forwarding.md. */
        outputs: forwardOutputsSchema.default([]),
        /** Set false to drop the built-in rules (sensors/+device/+sensor, then any topic with a number). */
        defaultRules: bool.default(true),
      })
      .strict(),
    /** Alert rules, inbound webhooks, and where transitions are recorded (docs/alerts.md). */
    alerts: z
      .object({
        rules: alertRulesSchema.default([]),
        hooks: inboundHooksSchema.default([]),
        historyDatabase: name.default('_alerts'),
      })
      .strict()
      .prefault({}),
    /** PostgreSQL instead of the embedded DuckDB store (docs/postgresql.md). */
    storage: z
      .object({
        url: z.string().refine((u) => u === '' || /^postgres(ql)?:\/\//.test(u), {
          message:
            'storage.url is postgres://user@host:port/database (the password from SENSORHUB_STORAGE_PASSWORD or _FILE)',
        }),
        schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a schema name is lower-case letters, digits and _'),
        /** Retention per database (docs/retention.md). */
        retention: z
          .object({
            /** For databases created or first written from now on; µs, 0 keeps data forever. */
            default: retentionDuration,
            /** How often the retention job deletes old values (ms); it also runs shortly after start. */
            checkInterval: duration.refine((ms) => ms >= 1, 'must be at least 1ms'),
            /** Databases pinned to a retention here (µs); InfluxQL cannot change them. */
            databases: z.record(name, retentionDuration).default({}),
          })
          .strict(),
        /** Rollup levels (µs) queries read transparently (docs/configuration.md, docs/influxql.md). */
        rollups: rollupsSchema,
      })
      .strict(),
    /** Where `format: binary` payloads go (docs/blobs.md). */
    blobs: blobStoreSchema.prefault({}),
    query: z.object({ maxPoints: positiveInt, maxSeries: positiveInt, timeout: duration }).strict(),
    /**
     * Provisioned dashboards (docs/dashboards.md): a folder of YAML/JSON files; '' for `dashboards/` beside
     * the config file when there is one. A relative path is relative to the config file's folder.
     */
    dashboards: z
      .object({ path: z.string().default('') })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;

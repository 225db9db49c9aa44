import { z } from 'zod';
import { parseByteSize, parseDuration } from '../core/duration.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union(
  [
    z.boolean(),
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  ],
  { error: 'expected true or false' },
);
const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 256KiB, 1MB, 4096)` });
    return z.NEVER;
  }
  return n;
});
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseDuration(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 10s, 5m)` });
    return z.NEVER;
  }
  return n;
});
const positiveInt = z.coerce.number().int().positive();
const name = z.string().min(1);

/** A string that may reference topic variables: `{device}`, `{topic}`, `{0}`, `{-1}`. */
const template = z.string().min(1);

export const ruleSchema = z
  .object({
    name: name,
    topic: z.string().min(1),
    format: z.enum(['value', 'json', 'auto']).default('auto'),
    database: template.optional(),
    measurement: template,
    tags: z.record(name, template).default({}),
    /** Field name for `value` payloads (and for a plain value under `auto`). */
    field: template.default('value'),
    /**
     * What happens to a message this rule matches but cannot decode: `reject` keeps it as a dead letter
     * (and MQTT 5 publishers get reason code 0x99); `skip` lets the broker carry it without storing.
     */
    onError: z.enum(['reject', 'skip']).default('reject'),
  })
  .strict();

export type RuleConfig = z.output<typeof ruleSchema>;

export const configSchema = z
  .object({
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
        /** Rules tried in order before the built-in defaults; the first that matches wins. */
        rules: z.array(ruleSchema).default([]),
        /** Set false to drop the built-in rules (sensors/+device/+sensor, then any topic with a number). */
        defaultRules: bool.default(true),
      })
      .strict(),
    query: z.object({ maxPoints: positiveInt }).strict(),
  })
  .strict();

export type Config = z.output<typeof configSchema>;

import { z } from 'zod';
import { headerName, headerValue, httpAuthSchema, httpUrl } from '../../config/http-client.js';
import { byteSize, duration } from '../../config/zod-types.js';

export type { SecretSource } from '../../config/http-client.js';

/**
 * One forwarding output: where a rule's accepted messages go on to, in which format, and how hard to try.
 * The name is a directory under `<dataDir>/forward/` and a metric label, so it is kept to a safe alphabet.
 */
const outputName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'an output name is 1-64 letters, digits, "_", "." or "-", starting with a letter or digit',
  );

const positiveSize = byteSize.refine((n) => n > 0, { message: 'must be more than 0 bytes' });

const url = httpUrl('https://api.example.com/ingest');

export const forwardOutputSchema = z
  .object({
    name: outputName,
    url,
    /** `json` and `line` send the rule's points, batched; `raw` sends each message's payload unchanged. */
    format: z.enum(['json', 'line', 'raw']).default('json'),
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z.record(headerName, headerValue).default({}),
    auth: httpAuthSchema.optional(),
    /** Most items (points for json/line, messages for raw) per request. */
    batchMaxItems: z.coerce.number().int().min(1).max(100_000).default(500),
    /** How long the first queued item waits for others to fill its batch. */
    batchMaxWait: duration.default(1000),
    /** Per request, from sending to the end of the response body. */
    timeout: duration.pipe(z.number().positive({ error: 'timeout must be more than 0' })).default(10_000),
    /** A message that still cannot be delivered this long after it was queued becomes a dead letter. */
    retryFor: duration.default(86_400_000),
    backoffInitial: duration
      .pipe(z.number().positive({ error: 'backoffInitial must be more than 0' }))
      .default(1000),
    backoffMax: duration.default(300_000),
    queueMaxBytes: positiveSize.default(64 * 1024 * 1024),
  })
  .strict()
  .refine((o) => o.backoffMax >= o.backoffInitial, {
    message: 'backoffMax must be at least backoffInitial',
    path: ['backoffMax'],
  })
  .refine((o) => !Object.keys(o.headers).some((h) => h.toLowerCase() === 'authorization'), {
    // A header value sits inline in the config: credentials go through auth, from env or files.
    message: 'an Authorization header is a secret: use auth.basic or auth.bearer (from env or a file)',
    path: ['headers'],
  });

export type ForwardOutputConfig = z.output<typeof forwardOutputSchema>;
export type ForwardAuth = NonNullable<ForwardOutputConfig['auth']>;

/** The list of outputs (e.g. `ingest.outputs`), with unique names. */
export const forwardOutputsSchema = z.array(forwardOutputSchema).superRefine((outputs, ctx) => {
  const seen = new Set<string>();
  outputs.forEach((o, i) => {
    if (seen.has(o.name)) {
      ctx.addIssue({ code: 'custom', message: `output name "${o.name}" is used twice`, path: [i, 'name'] });
    }
    seen.add(o.name);
  });
});

/**
 * For a config-level check: every name a rule lists in `forward` must be an output. Returns one
 * `path: message`-ready issue per unknown reference.
 */
export function unknownOutputReferences(
  rules: ReadonlyArray<{ readonly forward?: readonly string[] | undefined }>,
  outputs: ReadonlyArray<{ readonly name: string }>,
): Array<{ readonly path: (string | number)[]; readonly message: string }> {
  const names = new Set(outputs.map((o) => o.name));
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  rules.forEach((rule, i) => {
    rule.forward?.forEach((name, j) => {
      if (!names.has(name)) {
        const known =
          names.size > 0 ? `; outputs are: ${[...names].join(', ')}` : '; ingest.outputs is empty';
        issues.push({ path: [i, 'forward', j], message: `no output named "${name}"${known}` });
      }
    });
  });
  return issues;
}

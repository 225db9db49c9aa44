import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { isAppError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { formatPointsAsLines } from '../ingest/explain.js';
import { decodeMessage, previewPoints } from '../ingest/message-decoder.js';
import { RulesSource } from '../ingest/rules-source.js';
import { parseCommand, usage } from './args.js';

const HELP = `Usage:
  sensorhub rules test TOPIC [PAYLOAD] [--config FILE] [--rules FILE] [--client-id ID] [--payload-file FILE] [--json]
      Shows what a message would become under the rules: which rules were tried and why, then the points
      (as line protocol) or the rejection with its error code. Without PAYLOAD, reads it from standard input.
  sensorhub rules check [--config FILE] [--rules FILE]
      Validates the rules (and their schema files); prints every problem as file: path: message.

--config and --rules default to $SENSORHUB_CONFIG and $SENSORHUB_RULES_FILE, as for "sensorhub start".
Exit status: 0 stored (or valid), 1 rejected (or invalid), 3 skipped (no rule stores the topic).
`;

export async function rulesCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'rules',
    argv,
    {
      config: { type: 'string' },
      rules: { type: 'string' },
      'client-id': { type: 'string' },
      'payload-file': { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, topic, payloadArg] = positionals;
  if ((action !== 'test' && action !== 'check') || (action === 'test' && !topic)) return usage(HELP);

  let source: RulesSource;
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({
      file: values.config as string | undefined,
      env: process.env,
      flags: { rules: values.rules },
    });
    source = await RulesSource.fromConfig(config, silentLogger);
  } catch (err) {
    if (!isAppError(err)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (action === 'check') {
    const status = source.status();
    process.stdout.write(
      `ok: ${status.rules} rule(s) from ${status.files.join(', ') || 'the built-in defaults'}${config.ingest.defaultRules ? ', then the built-in defaults' : ''}\n`,
    );
    return 0;
  }

  let payload: Buffer;
  if (values['payload-file']) payload = await readFile(values['payload-file'] as string);
  else if (payloadArg !== undefined) payload = Buffer.from(payloadArg, 'utf8');
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    payload = Buffer.concat(chunks);
  }
  const clientId = (values['client-id'] as string | undefined) ?? 'test';
  const t = topic as string;
  const explain = source.rules.explain(t, clientId);
  const decoded = decodeMessage(
    source.rules,
    { source: 'mqtt', clientId, topic: t, payload, receivedAt: systemClock.nowMicros() },
    { database: config.ingest.database, maxPayloadSize: config.ingest.maxPayloadSize },
  );

  const points = previewPoints(decoded);
  if (values.json) {
    const result =
      decoded.kind === 'reject'
        ? decoded
        : decoded.kind === 'skip'
          ? decoded
          : { kind: 'points', rule: decoded.rule, points };
    process.stdout.write(`${JSON.stringify({ explain, ...result }, null, 2)}\n`);
  } else {
    for (const e of explain) process.stdout.write(`${e.matched ? '→' : '·'} ${e.rule}: ${e.reason}\n`);
    if (decoded.kind === 'reject') {
      process.stdout.write(`rejected by rule "${decoded.rule}": ${decoded.code}: ${decoded.message}\n`);
    } else if (decoded.kind === 'skip' || !points) {
      process.stdout.write('skipped: no rule stores this message (the broker still carries it)\n');
    } else {
      const blob =
        decoded.kind === 'blob' ? ' (the payload goes to the blob store; key and url are added then)' : '';
      process.stdout.write(`stored by rule "${decoded.rule}" as ${points.length} point(s)${blob}:\n`);
      process.stdout.write(`${formatPointsAsLines(points)}\n`);
    }
  }
  return points ? 0 : decoded.kind === 'skip' ? 3 : 1;
}

import type { DeadLetterDto } from '../contract/api.js';
import { adminApi } from './admin-access.js';
import { parseCommand, usage } from './args.js';

const HELP = `Usage:
  sensorhub dead-letters list    [FILTER] [--limit N] [--json]
  sensorhub dead-letters replay  [FILTER] [--limit N] [--dry-run]
  sensorhub dead-letters delete  FILTER | --all

FILTER: --since T --until T (RFC 3339, epoch ms, or relative like -1h), --topic FILTER (+ and # allowed),
        --code CODE, --rule NAME, --client-id ID, --ids 1,2,3
Replay re-runs the kept messages through the server's current rules (fix the rule or schema first, then
reload): the ones that now store are removed, the rest stay; it reports how many of each.

Against a running server through its API: --url URL (default $SENSORHUB_URL or http://localhost:8086), as
admin with SENSORHUB_ADMIN_PASSWORD or SENSORHUB_ADMIN_PASSWORD_FILE.
`;

const FILTERS = ['since', 'until', 'topic', 'code', 'rule', 'client-id', 'ids'] as const;

export async function deadLettersCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'dead-letters',
    argv,
    {
      ...Object.fromEntries(FILTERS.map((f) => [f, { type: 'string' as const }])),
      limit: { type: 'string' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      all: { type: 'boolean' },
      url: { type: 'string' },
    },
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (!['list', 'replay', 'delete'].includes(action ?? '')) return usage(HELP);
  const filter: Record<string, string> = {};
  for (const f of FILTERS) {
    const v = values[f];
    if (typeof v === 'string') filter[f === 'client-id' ? 'clientId' : f] = v;
  }
  if (typeof values.limit === 'string') filter.limit = values.limit;
  const api = await adminApi(values.url);

  if (action === 'list') {
    const qs = new URLSearchParams(filter).toString();
    const res = (await api.call('GET', `/api/v1/dead-letters${qs ? `?${qs}` : ''}`)) as {
      total: number;
      deadLetters: DeadLetterDto[];
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      return 0;
    }
    for (const d of res.deadLetters) {
      const payload = d.payload.length > 60 ? `${d.payload.slice(0, 60)}…` : d.payload;
      process.stdout.write(
        `#${d.id} ${d.time} ${d.topic} (${d.clientId}, rule ${d.rule})\n    ${d.code}: ${d.message}\n    payload: ${JSON.stringify(payload)}\n`,
      );
    }
    process.stdout.write(`${res.deadLetters.length} shown of ${res.total} matching\n`);
    return 0;
  }
  if (action === 'delete') {
    if (Object.keys(filter).length === 0 && !values.all) {
      process.stderr.write('sensorhub dead-letters delete: give a filter, or --all\n');
      return 2;
    }
    const qs = new URLSearchParams(values.all ? { ...filter, all: 'true' } : filter).toString();
    const res = (await api.call('DELETE', `/api/v1/dead-letters?${qs}`)) as { deleted: number };
    process.stdout.write(`deleted ${res.deleted}\n`);
    return 0;
  }
  const body: Record<string, unknown> = { ...filter };
  if (values['dry-run']) body.dryRun = true;
  const r = (await api.call('POST', '/api/v1/dead-letters/replay', body)) as {
    matched: number;
    stored: number;
    points: number;
    rejected: number;
    rejectedByCode: Record<string, number>;
    skipped: number;
    truncated: number;
    examples: Array<{ id: number; topic: string; code: string; message: string }>;
  };
  const verb = values['dry-run'] ? 'would store' : 'stored';
  process.stdout.write(
    `replayed ${r.matched}: ${verb} ${r.stored} (${r.points} points), still rejected ${r.rejected}, skipped ${r.skipped}, truncated ${r.truncated}\n`,
  );
  for (const [code, n] of Object.entries(r.rejectedByCode)) process.stdout.write(`  ${code}: ${n}\n`);
  for (const e of r.examples) process.stdout.write(`  e.g. #${e.id} ${e.topic}: ${e.code}: ${e.message}\n`);
  return r.rejected > 0 ? 1 : 0;
}

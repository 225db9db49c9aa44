import { randomBytes } from 'node:crypto';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { parseCommand, usage } from './args.js';
import { secretFromEnv } from './start.js';

const HELP = `Usage:
  sensorhub storage roles [--url postgres://owner@host:port/db] [--ingest NAME] [--reader NAME] [--schema NAME]

Creates (or updates) the least-privilege PostgreSQL roles for storage.url, as seed 002 had them:
  --ingest NAME   default sensorhub_ingest: may store data and dead letters, never read, change or delete data
  --reader NAME   default sensorhub_reader: may read everything but the meta table (which holds password hashes)

Runs as the owner: --url or SENSORHUB_STORAGE_URL, password from SENSORHUB_STORAGE_PASSWORD (or _FILE).
The roles' passwords come from SENSORHUB_INGEST_PASSWORD and SENSORHUB_READER_PASSWORD (or _FILE); a role
without one gets a generated password, shown once. Safe to run again (after an upgrade, too).
`;

export async function storageCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'storage',
    argv,
    {
      url: { type: 'string' },
      ingest: { type: 'string' },
      reader: { type: 'string' },
      schema: { type: 'string' },
    },
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals[0] !== 'roles') return usage(HELP);
  const url = (values.url as string | undefined) ?? process.env.SENSORHUB_STORAGE_URL;
  if (!url) {
    process.stderr.write('sensorhub storage roles: give --url or set SENSORHUB_STORAGE_URL\n');
    return 2;
  }
  const roles = {
    ingest: (values.ingest as string | undefined) ?? 'sensorhub_ingest',
    reader: (values.reader as string | undefined) ?? 'sensorhub_reader',
  };
  const generated: string[] = [];
  const password = async (kind: 'ingest' | 'reader') => {
    const given = await secretFromEnv(process.env, `SENSORHUB_${kind.toUpperCase()}_PASSWORD`);
    if (given !== undefined) return given;
    const made = randomBytes(18).toString('base64url');
    generated.push(`${roles[kind]}: ${made}`);
    return made;
  };
  const adminPassword = await secretFromEnv(process.env, 'SENSORHUB_STORAGE_PASSWORD');
  await PostgresStore.provisionRoles(url, roles, {
    ...(adminPassword === undefined ? {} : { adminPassword }),
    ...(values.schema === undefined ? {} : { schema: values.schema as string }),
    passwords: { ingest: await password('ingest'), reader: await password('reader') },
  });
  process.stdout.write(`roles ready: ${roles.ingest} (ingest), ${roles.reader} (reader)\n`);
  if (generated.length > 0)
    process.stdout.write(`passwords (shown only now):\n  ${generated.join('\n  ')}\n`);
  return 0;
}

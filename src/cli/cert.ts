import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from 'selfsigned';

const HELP = `Usage: sensorhub cert dev [--out DIR] [--host NAME]... [--days N]

Writes a self-signed certificate and key for local testing (not for production: use a certificate from
your CA or Let's Encrypt there).
  --out DIR     where to write sensorhub-dev.crt and sensorhub-dev.key     default ./certs
  --host NAME   a host name or IP the certificate is valid for (repeatable)  default localhost, 127.0.0.1, ::1, this host's name
  --days N      validity in days                                            default 365
`;

export async function certCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'dev') {
    process.stderr.write(`sensorhub cert: unknown subcommand "${sub}"\n\n${HELP}`);
    return 2;
  }
  let v: { out?: string; host?: string[]; days?: string; help?: boolean };
  try {
    v = parseArgs({
      args: rest,
      strict: true,
      options: {
        out: { type: 'string' },
        host: { type: 'string', multiple: true },
        days: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`sensorhub cert dev: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const days = Number(v.days ?? '365');
  if (!Number.isInteger(days) || days < 1) {
    process.stderr.write('sensorhub cert dev: --days must be a positive integer\n');
    return 2;
  }
  const hosts = v.host?.length ? v.host : ['localhost', '127.0.0.1', '::1', hostname()];
  const out = resolve(v.out ?? 'certs');
  const notBeforeDate = new Date();
  const pems = await generate([{ name: 'commonName', value: hosts[0] as string }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + days * 86_400_000),
    extensions: [
      // Not a CA: if someone trusts this file system-wide, it vouches for these hosts only.
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...new Set(hosts)].map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
      },
    ],
  });
  await mkdir(out, { recursive: true });
  const certFile = join(out, 'sensorhub-dev.crt');
  const keyFile = join(out, 'sensorhub-dev.key');
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  process.stdout.write(`wrote ${certFile} and ${keyFile} (valid ${days} days for ${hosts.join(', ')})

  start:    SENSORHUB_TLS_CERT=${certFile} SENSORHUB_TLS_KEY=${keyFile} npm start
  publish:  mosquitto_pub --cafile ${certFile} -h localhost -p 8883 -u admin -P "$pw" -t sensors/x/t -m 1
  query:    curl --cacert ${certFile} -u admin:"$pw" https://localhost:8086/api/v1/series
`);
  return 0;
}

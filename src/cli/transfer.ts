import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ADMIN_USERNAME } from '../auth/authenticator.js';
import { errorMessage } from '../core/errors.js';
import type { FieldValue } from '../core/point.js';
import { formatLineProtocol } from '../ingest/line-protocol/serialize.js';
import { parseRfc3339 } from '../ingest/mapping/coerce.js';
import { parseCommand, usage } from './args.js';
import { ParquetSink } from './parquet-sink.js';
import { ImportProgress } from './progress.js';
import { secretFromEnv } from './start.js';

const EXPORT_HELP = `Usage:
  sensorhub export --db DB [--measurement M] [--from T] [--to T] [--format lp|csv|parquet] [--out FILE]

Writes the points of a running server as InfluxDB line protocol (default; ns timestamps), CSV
(measurement,time,tags,field,value) or Parquet (needs --out; one row per field value: measurement, time,
tags as a map, field, value_float | value_boolean | value_string). T is RFC 3339 (default: from the epoch
to now). Through the server's
InfluxQL API (--url, default $SENSORHUB_URL or http://localhost:8086) as admin with
SENSORHUB_ADMIN_PASSWORD (or _FILE).
`;

const IMPORT_HELP = `Usage:
  sensorhub import FILE... --db DB [--precision ns|us|ms|s] [--batch 5000]

Reads line protocol (or CSV as written by "sensorhub export --format csv"; gzip when the name ends in .gz)
and writes it to a running server through POST /write, in batches, each acknowledged only once stored. Shows
progress and throughput, and at the end a summary of rejected lines by reason (they are also kept as dead
letters). Through --url (default $SENSORHUB_URL or http://localhost:8086) as admin with
SENSORHUB_ADMIN_PASSWORD (or _FILE).
`;

/**
 * An export reads its range in time windows, so memory stays bounded for any range. Windows start at 6 h,
 * double after a light window (so an export from the epoch crosses empty decades in a few requests) and
 * halve after a heavy one, or when the server refuses one as over query.maxPoints.
 */
const EXPORT_WINDOW_MICROS = 6 * 3600 * 1_000_000;
const LIGHT_WINDOW_POINTS = 20_000;
const HEAVY_WINDOW_POINTS = 200_000;
const MIN_WINDOW_MICROS = 1_000_000;

/** The server at --url / SENSORHUB_URL, as admin with SENSORHUB_ADMIN_PASSWORD (or _FILE). */
export async function serverConnection(urlFlag: unknown): Promise<{ url: string; authorization: string }> {
  const url = String(urlFlag ?? process.env.SENSORHUB_URL ?? 'http://localhost:8086').replace(/\/$/, '');
  const password = await secretFromEnv(process.env, 'SENSORHUB_ADMIN_PASSWORD');
  if (!password) throw new Error('set SENSORHUB_ADMIN_PASSWORD (or _FILE) to reach the server as admin');
  return { url, authorization: `Basic ${Buffer.from(`${ADMIN_USERNAME}:${password}`).toString('base64')}` };
}

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Array<Array<FieldValue | null>>;
}

async function influxql(
  conn: { url: string; authorization: string },
  db: string,
  q: string,
): Promise<InfluxSeries[]> {
  const res = await fetch(
    `${conn.url}/query?db=${encodeURIComponent(db)}&epoch=u&q=${encodeURIComponent(q)}`,
    {
      headers: { authorization: conn.authorization },
    },
  ).catch((err: unknown) => {
    throw new Error(`cannot reach the server at ${conn.url} (${errorMessage(err)})`);
  });
  const body = (await res.json()) as {
    error?: string;
    results?: Array<{ error?: string; series?: InfluxSeries[] }>;
  };
  if (!res.ok || body.error) throw new Error(body.error ?? `HTTP ${res.status}`);
  const r = body.results?.[0];
  if (r?.error) throw new Error(r.error);
  return r?.series ?? [];
}

function timeArg(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const t = parseRfc3339(text);
  if (typeof t === 'string') throw new Error(`--${name}: ${t}`);
  return t;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'export',
    argv,
    {
      db: { type: 'string' },
      measurement: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string' },
    },
    EXPORT_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (!v.db) return usage(EXPORT_HELP);
  const format = (v.format as string | undefined) ?? 'lp';
  if (format !== 'lp' && format !== 'csv' && format !== 'parquet') {
    process.stderr.write(`sensorhub export: --format is lp, csv or parquet, not "${format}"\n`);
    return 2;
  }
  if (format === 'parquet' && !v.out) {
    process.stderr.write(
      'sensorhub export: --format parquet needs --out FILE (Parquet is not written to stdout)\n',
    );
    return 2;
  }
  const conn = await serverConnection(v.url);
  const db = v.db as string;
  const from = timeArg(v.from as string | undefined, 0, 'from');
  const to = timeArg(v.to as string | undefined, Date.now() * 1000 + 1, 'to');
  const parquet = format === 'parquet' ? await ParquetSink.open(v.out as string) : undefined;
  const out: Writable = v.out && !parquet ? createWriteStream(v.out as string) : process.stdout;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  const source = v.measurement ? `"${String(v.measurement).replace(/"/g, '\\"')}"` : '/.*/';
  if (format === 'csv') await write('measurement,time,tags,field,value\n');
  let points = 0;
  try {
    await exportWindows();
  } catch (err) {
    await parquet?.abort();
    throw err;
  }
  if (parquet) await parquet.finish();
  else if (v.out) await new Promise<void>((resolve) => out.end(resolve));
  process.stderr.write(`exported ${points} points from ${db}\n`);
  return 0;

  /** Reads the range window by window; each window's points are written before the next is read. */
  async function exportWindows(): Promise<void> {
    let window = EXPORT_WINDOW_MICROS;
    for (let start = from; start < to; ) {
      const end = Math.min(to, start + window);
      const q = `SELECT * FROM ${source} WHERE time >= ${start}u AND time < ${end}u GROUP BY *`;
      let series: InfluxSeries[];
      try {
        series = await influxql(conn, db, q);
      } catch (err) {
        if (!/query\.maxPoints/.test(errorMessage(err)) || window <= MIN_WINDOW_MICROS) throw err;
        window = Math.max(MIN_WINDOW_MICROS, Math.floor(window / 2));
        continue;
      }
      start = end;
      const values = series.reduce((n, s) => n + s.values.length * Math.max(1, s.columns.length - 1), 0);
      if (values < LIGHT_WINDOW_POINTS) window *= 2;
      else if (values > HEAVY_WINDOW_POINTS) window = Math.max(MIN_WINDOW_MICROS, Math.floor(window / 2));
      let chunk = '';
      for (const s of series) {
        const tags = s.tags ?? {};
        const fieldCols = s.columns.slice(1);
        for (const row of s.values) {
          const time = row[0] as number;
          const fields: Record<string, FieldValue> = {};
          fieldCols.forEach((c, i) => {
            const value = row[i + 1];
            if (value !== null && value !== undefined) fields[c] = value;
          });
          if (Object.keys(fields).length === 0) continue;
          points++;
          if (parquet) parquet.add(s.name, tags, time, fields);
          else if (format === 'lp') {
            chunk += `${formatLineProtocol({ measurement: s.name, tags: { ...tags }, fields, time }, 'ns')}\n`;
          } else {
            const tagText = Object.entries(tags)
              .filter(([, val]) => val !== '')
              .map(([k, val]) => `${k}=${val}`)
              .join(';');
            for (const [f, val] of Object.entries(fields))
              chunk += `${cell(s.name)},${time},${cell(tagText)},${cell(f)},${csv(val)}\n`;
          }
        }
      }
      if (chunk) await write(chunk);
      parquet?.flush();
    }
  }
}

/** A CSV cell. */
function cell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A value cell: strings as JSON strings, so that "1" and 1, "true" and true stay apart. */
function csv(v: FieldValue): string {
  return cell(typeof v === 'string' ? JSON.stringify(v) : String(v));
}

function unquoteCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** A CSV line of `sensorhub export --format csv` as a line-protocol line (µs precision). */
function csvToLine(line: string): string | undefined {
  const [measurement, time, tags, field, value] = unquoteCsv(line);
  if (!measurement || !time || !field || value === undefined) return undefined;
  const parsedValue: FieldValue = value.startsWith('"')
    ? (JSON.parse(value) as string)
    : value === 'true' || value === 'false'
      ? value === 'true'
      : Number(value);
  const tagRecord = Object.fromEntries(
    (tags ?? '')
      .split(';')
      .filter((t) => t.includes('='))
      .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );
  return formatLineProtocol(
    { measurement, tags: tagRecord, fields: { [field]: parsedValue }, time: Number(time) },
    'us',
  );
}

export async function importCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    'import',
    argv,
    {
      db: { type: 'string' },
      precision: { type: 'string' },
      batch: { type: 'string' },
      url: { type: 'string' },
    },
    IMPORT_HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (!v.db || parsed.positionals.length === 0) return usage(IMPORT_HELP);
  const batchSize = Number(v.batch ?? 5000);
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    process.stderr.write(`sensorhub import: --batch is a positive whole number of lines, not "${v.batch}"\n`);
    return 2;
  }
  const precisionFlag = (v.precision as string | undefined) ?? 'ns';
  if (!['ns', 'us', 'ms', 's'].includes(precisionFlag)) {
    process.stderr.write(`sensorhub import: --precision is ns, us, ms or s, not "${precisionFlag}"\n`);
    return 2;
  }
  let totalBytes = 0;
  for (const file of parsed.positionals) {
    const info = await stat(file).catch((err: unknown) => {
      throw new Error(`cannot read ${file}: ${errorMessage(err)}`);
    });
    if (!info.isFile()) throw new Error(`${file} is not a file`);
    totalBytes += info.size;
  }
  const conn = await serverConnection(v.url);
  let sent = 0;
  let rejected = 0;
  let bytesRead = 0;
  const reasons = new Map<string, number>();
  const progress = new ImportProgress(process.stderr, totalBytes);
  const state = () => ({ bytes: bytesRead, lines: sent, rejected });
  const flush = async (lines: string[], precision: string) => {
    if (lines.length === 0) return;
    const res = await fetch(
      `${conn.url}/write?db=${encodeURIComponent(v.db as string)}&precision=${precision}`,
      {
        method: 'POST',
        headers: { authorization: conn.authorization, 'content-type': 'text/plain' },
        body: `${lines.join('\n')}\n`,
      },
    );
    sent += lines.length;
    if (res.status === 400) {
      const body = (await res.json()) as { error?: string };
      const dropped = /dropped=(\d+)/.exec(body.error ?? '');
      rejected += dropped ? Number(dropped[1]) : lines.length;
      const reason = (body.error ?? 'rejected')
        .replace(/'[^']*'/g, "'…'")
        .replace(/ dropped=\d+/, '')
        .slice(0, 160);
      reasons.set(reason, (reasons.get(reason) ?? 0) + (dropped ? Number(dropped[1]) : lines.length));
    } else if (res.status !== 204) {
      throw new Error(`the server answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
    progress.update(state());
  };
  for (const file of parsed.positionals) {
    const isCsv = /\.csv(\.gz)?$/i.test(file);
    const handle = await open(file);
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    await handle.close();
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const raw = createReadStream(file);
    raw.on('data', (chunk) => {
      bytesRead += chunk.length;
    });
    const input: Readable = gzip ? raw.pipe(createGunzip()) : raw;
    const precision = isCsv ? 'us' : precisionFlag;
    let lines: string[] = [];
    let first = true;
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (isCsv && first) {
        first = false;
        continue;
      }
      if (line.trim() === '' || line.startsWith('#')) continue;
      const lp = isCsv ? csvToLine(line) : line;
      if (lp === undefined) {
        rejected++;
        sent++;
        reasons.set(
          'not a CSV line of "sensorhub export --format csv"',
          (reasons.get('not a CSV line of "sensorhub export --format csv"') ?? 0) + 1,
        );
        continue;
      }
      lines.push(lp);
      if (lines.length >= batchSize) {
        await flush(lines, precision);
        lines = [];
      }
    }
    await flush(lines, precision);
  }
  progress.done(state());
  if (reasons.size > 0) {
    process.stderr.write('rejected lines by reason:\n');
    for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
      process.stderr.write(`  ${n} × ${reason}\n`);
    process.stderr.write('the server keeps lines it refused as dead letters: sensorhub dead-letters list\n');
  }
  return rejected > 0 ? 1 : 0;
}

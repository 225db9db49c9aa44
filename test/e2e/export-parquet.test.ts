import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportProgress } from '../../src/cli/progress.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const T0 = 1_704_067_200; // 2024-01-01T00:00:00Z

interface Row {
  measurement: string;
  time: number;
  tags: Record<string, string>;
  field: string;
  value: number | boolean | string;
}

/** What a Parquet file holds, read back with DuckDB's read_parquet. */
async function readParquet(file: string): Promise<Row[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(
    `SELECT measurement, epoch_us(time)::DOUBLE, map_keys(tags), map_values(tags), field,
            value_float, value_boolean, value_string
     FROM read_parquet('${file.replace(/'/g, "''")}') ORDER BY measurement, time, field`,
  );
  const rows = reader.getRowsJS().map(([m, t, keys, values, field, f, b, s]) => {
    const set = [f, b, s].filter((x) => x !== null);
    expect(set).toHaveLength(1);
    const tagKeys = keys as string[];
    return {
      measurement: m as string,
      time: t as number,
      tags: Object.fromEntries(tagKeys.map((k, i) => [k, (values as string[])[i] as string])),
      field: field as string,
      value: set[0] as number | boolean | string,
    };
  });
  const schema = await conn.runAndReadAll(
    `SELECT name, type FROM parquet_schema('${file.replace(/'/g, "''")}') WHERE name IN ('time', 'value_float', 'value_boolean', 'value_string')`,
  );
  expect(Object.fromEntries(schema.getRowsJS() as Array<[string, string]>)).toMatchObject({
    time: 'INT64',
    value_float: 'DOUBLE',
    value_boolean: 'BOOLEAN',
    value_string: 'BYTE_ARRAY',
  });
  conn.closeSync();
  instance.closeSync();
  return rows;
}

describe('sensorhub export --format parquet', () => {
  let dir: string;
  let server: TestServer;
  const expected: Row[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensorhub-parquet-'));
    server = await startTestServer();
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) {
      const t = T0 + i * 97; // 13.5 h: more than one of the export's read windows
      const temp = 20 + (i % 13) / 8;
      lines.push(`env,room=bath\\ 1,floor=${i % 3} t=${temp},ok=${i % 2 === 0} ${t}`);
      expected.push({
        measurement: 'env',
        time: t * 1e6,
        tags: { floor: String(i % 3), room: 'bath 1' },
        field: 'ok',
        value: i % 2 === 0,
      });
      expected.push({
        measurement: 'env',
        time: t * 1e6,
        tags: { floor: String(i % 3), room: 'bath 1' },
        field: 't',
        value: temp,
      });
      if (i % 25 === 0) {
        lines.push(`door state="open, \\"${i}\\"",count=${i}i ${t}`);
        expected.push({ measurement: 'door', time: t * 1e6, tags: {}, field: 'count', value: i });
        expected.push({
          measurement: 'door',
          time: t * 1e6,
          tags: {},
          field: 'state',
          value: `open, "${i}"`,
        });
      }
    }
    const res = await server.api('/write?db=home&precision=s', { method: 'POST', body: lines.join('\n') });
    expect(res.status, await res.text()).toBe(204);
    expected.sort(
      (a, b) =>
        (a.measurement < b.measurement ? -1 : a.measurement > b.measurement ? 1 : 0) ||
        a.time - b.time ||
        (a.field < b.field ? -1 : 1),
    );
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({ SENSORHUB_URL: server.httpUrl, SENSORHUB_ADMIN_PASSWORD: server.password });

  it('writes every value, typed, with time and tags, readable by read_parquet', async () => {
    const out = join(dir, 'home.parquet');
    const exp = await runCli(
      [
        'export',
        '--db',
        'home',
        '--from',
        '2024-01-01T00:00:00Z',
        '--to',
        '2024-01-02T00:00:00Z',
        '--format',
        'parquet',
        '--out',
        out,
      ],
      env(),
    );
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stderr).toContain('exported 520 points from home');
    expect(await readParquet(out)).toEqual(expected);
    // The scratch database beside the output is gone.
    expect(await readdir(dir)).toEqual(['home.parquet']);
  });

  it('exports one measurement', async () => {
    const out = join(dir, 'door.parquet');
    const exp = await runCli(
      ['export', '--db', 'home', '--measurement', 'door', '--format', 'parquet', '--out', out],
      env(),
    );
    expect(exp.code, exp.stderr).toBe(0);
    expect(await readParquet(out)).toEqual(expected.filter((r) => r.measurement === 'door'));
  });

  it('needs --out, and names the formats it knows', async () => {
    const noOut = await runCli(['export', '--db', 'home', '--format', 'parquet'], env());
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--format parquet needs --out FILE');
    const bad = await runCli(['export', '--db', 'home', '--format', 'xlsx'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format is lp, csv or parquet, not "xlsx"');
  });
});

describe('sensorhub import progress', () => {
  it('prints plain lines (no carriage returns) when stderr is not a terminal, then a summary by reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensorhub-import-'));
    const server = await startTestServer();
    try {
      const lines = Array.from({ length: 3000 }, (_, i) => `m v=${i} ${T0 + i}`);
      lines.splice(10, 0, 'broken line', 'm v= 1');
      await writeFile(join(dir, 'a.lp'), lines.join('\n'));
      const imp = await runCli(
        ['import', join(dir, 'a.lp'), '--db', 'imp', '--precision', 's', '--batch', '1000'],
        {
          SENSORHUB_URL: server.httpUrl,
          SENSORHUB_ADMIN_PASSWORD: server.password,
        },
      );
      expect(imp.code).toBe(1);
      expect(imp.stderr).not.toContain('\r');
      expect(imp.stderr).toMatch(/^imported 3000 lines, 2 rejected, \d+ lines\/s in \d+\.\d s$/m);
      expect(imp.stderr).toMatch(/rejected lines by reason:\n {2}2 × partial write: unable to parse/);
      expect(imp.stderr).toContain('sensorhub dead-letters list');

      const badBatch = await runCli(['import', join(dir, 'a.lp'), '--db', 'imp', '--batch', 'lots'], {});
      expect(badBatch.code).toBe(2);
      expect(badBatch.stderr).toContain('--batch is a positive whole number of lines, not "lots"');
      const missing = await runCli(['import', join(dir, 'nope.lp'), '--db', 'imp'], {
        SENSORHUB_ADMIN_PASSWORD: 'x',
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/cannot read .*nope\.lp: ENOENT/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('redraws a bar on a terminal and logs a line every interval otherwise', () => {
    let now = 0;
    const clock = () => now;
    const tty: string[] = [];
    const bar = new ImportProgress({ isTTY: true, write: (t: string) => tty.push(t) }, 1000, clock);
    now = 50;
    bar.update({ bytes: 100, lines: 10, rejected: 0 });
    expect(tty).toEqual([]); // redrawn at most every 100 ms
    now = 1000;
    bar.update({ bytes: 500, lines: 1000, rejected: 2 });
    expect(tty[0]).toBe(
      '\r[############------------]  50%  998 lines, 2 rejected, 998 lines/s, 1 s left\x1b[K',
    );
    bar.done({ bytes: 1000, lines: 2000, rejected: 2 });
    expect(tty[1]).toBe('\r\x1b[Kimported 1998 lines, 2 rejected, 1998 lines/s in 1.0 s\n');

    now = 0;
    const log: string[] = [];
    const lines = new ImportProgress({ isTTY: false, write: (t: string) => log.push(t) }, 1000, clock, 5000);
    for (now = 1000; now <= 12_000; now += 1000) lines.update({ bytes: now / 12, lines: now, rejected: 0 });
    expect(log).toEqual([
      'importing: 41%, 5000 lines, 0 rejected, 1000 lines/s\n',
      'importing: 83%, 10000 lines, 0 rejected, 1000 lines/s\n',
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Large /query answers are streamed from the columns the executor made (json-bytes.ts); here they are
 * checked against the same answer written by the generic path (`pretty=true`: JSON.stringify of the row
 * arrays), over HTTP, with the data in the server's DuckDB store.
 */
const T0 = 1_704_067_200; // 2024-01-01T00:00:00Z, seconds
const SECONDS = 20_000;
const HOSTS = ['a', 'b', 'c'];
const RANGE = `time >= ${T0}s AND time < ${T0 + SECONDS}s`;

describe('/query streams large answers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const lines: string[] = [];
    // One point per second and host, values with up to 17 digits; every 10th second of host c missing.
    for (let i = 0; i < SECONDS; i++)
      for (const [h, host] of HOSTS.entries()) {
        if (host === 'c' && i % 10 === 0) continue;
        lines.push(`cpu,host=${host} v=${(i * (h + 1)) / 7},n=${i}i ${T0 + i}`);
      }
    for (let k = 0; k < lines.length; k += 20_000) {
      const res = await t.api('/write?db=big&precision=s', {
        method: 'POST',
        body: lines.slice(k, k + 20_000).join('\n'),
      });
      expect(res.status).toBe(204);
    }
  }, 60_000);
  afterAll(() => t.stop());

  const get = (q: string, extra = '') =>
    t.api(`/query?db=big&q=${encodeURIComponent(q)}${extra}`, { headers: { 'accept-encoding': 'identity' } });

  it('sends 60,000 rows in chunks, the same answer as the generic writer', async () => {
    // Pushed down to DuckDB (number columns), then an integer field reduced in JS (a column of values).
    const q = [
      `SELECT mean(v), max(v) FROM cpu WHERE ${RANGE} GROUP BY time(1s), host fill(previous)`,
      `SELECT count(v) FROM cpu WHERE ${RANGE} GROUP BY time(1s) ORDER BY time DESC LIMIT 5`,
      `SELECT max(n) FROM cpu WHERE host = 'c' AND ${RANGE} GROUP BY time(1s) fill(linear)`,
    ].join('; ');
    for (const epoch of ['', '&epoch=ms']) {
      const streamed = await get(q, epoch);
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get('transfer-encoding')).toBe('chunked');
      expect(streamed.headers.get('content-length')).toBeNull();
      const body = (await streamed.json()) as {
        results: Array<{ series: Array<{ tags: Record<string, string>; values: unknown[][] }> }>;
      };
      const generic = await (await get(q, `${epoch}&pretty=true`)).json();
      // Compared as text (a deep diff of 60,000 rows takes minutes to print); a difference shows around it.
      const [got, want] = [JSON.stringify(body), JSON.stringify(generic)];
      let at = 0;
      while (at < got.length && got[at] === want[at]) at++;
      expect(got.slice(Math.max(0, at - 60), at + 60)).toBe(want.slice(Math.max(0, at - 60), at + 60));
      expect(got.length).toBe(want.length);
      const series = body.results[0]?.series ?? [];
      expect(series.map((s) => s.tags.host)).toEqual(HOSTS);
      for (const s of series) expect(s.values).toHaveLength(SECONDS);
      // fill(previous) over host c's missing seconds: the value of the second before.
      const c = series[2]?.values ?? [];
      expect(c[10]?.slice(1)).toEqual([(9 * 3) / 7, (9 * 3) / 7]);
      expect(c[11]?.slice(1)).toEqual([(11 * 3) / 7, (11 * 3) / 7]);
      expect(body.results[1]?.series[0]?.values.map((r) => r[1])).toEqual([3, 3, 3, 3, 3]);
      const n = body.results[2]?.series[0]?.values ?? [];
      expect(n).toHaveLength(SECONDS);
      expect(n.slice(9, 12).map((r) => r[1])).toEqual([9, 10, 11]);
    }
  });

  it('sends small answers whole, with their length', async () => {
    const res = await get(`SELECT last(v) FROM cpu WHERE ${RANGE} GROUP BY host`);
    expect(res.headers.get('content-length')).toMatch(/^\d+$/);
    const body = (await res.json()) as { results: Array<{ series: unknown[] }> };
    expect(body.results[0]?.series).toHaveLength(3);
  });
});

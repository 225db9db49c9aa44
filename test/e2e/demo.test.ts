import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponseDto, SeriesListDto } from '../../src/contract/api.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

describe('start --demo', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ flags: { demo: true } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('has simulated devices publishing over MQTT into the store at once', async () => {
    const series = await eventually(async () => {
      const body = (await (await srv.api('/api/v1/series')).json()) as SeriesListDto;
      const names = new Set(body.series.map((s) => `${s.measurement}/${s.tags.device ?? s.tags.topic}`));
      return names.has('temperature/device-1') && names.has('humidity/device-3') && names.has('pot//pot')
        ? names
        : undefined;
    }, 10_000);
    expect(series.size).toBeGreaterThanOrEqual(7);
    const pot = (await (await srv.api('/api/v1/query?measurement=pot&agg=last')).json()) as QueryResponseDto;
    const value = pot.series[0]?.value[0] as number;
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(4095);
    const metrics = await (await srv.api('/metrics', { auth: false })).text();
    expect(metrics).toMatch(/sensorhub_mqtt_clients_connected 4/);
  });

  it('saves a demo dashboard whose every panel query answers with data', async () => {
    const dash = (await (await srv.api('/api/v1/dashboards/demo')).json()) as {
      source: string;
      panels: Array<{ id: string; queries: Array<{ measurement: string; field: string }> }>;
    };
    expect(dash.source).toBe('api');
    expect(dash.panels.length).toBeGreaterThanOrEqual(5);
    for (const p of dash.panels) {
      for (const q of p.queries) {
        const body = await eventually(async () => {
          const res = await srv.api(
            `/query?db=sensorhub&q=${encodeURIComponent(`SELECT last("${q.field}") FROM "${q.measurement}"`)}`,
          );
          const json = (await res.json()) as { results: Array<{ series?: unknown[] }> };
          return json.results[0]?.series ? json : undefined;
        }, 10_000);
        expect(body.results[0]?.series?.length, `${p.id}: ${q.measurement}`).toBeGreaterThan(0);
      }
    }
  });
});

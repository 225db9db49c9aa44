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
});

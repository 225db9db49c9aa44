import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { dashboardsFolderOf, loadDashboardFolder } from '../../src/dashboards/provisioning.js';
import { queryProblems } from '../../src/dashboards/query-check.js';

/**
 * Every example ships a dashboard that its config provisions: each file parses (parseDashboard, through the
 * same loader the server uses), and every InfluxQL query parses with sensorhub's parser once `$timeFilter`,
 * `$__interval` and the dashboard's variables are replaced, so the examples cannot rot.
 */
const EXAMPLES = resolve('examples');
const examples = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'sensorhub.yaml')));

describe('example dashboards', () => {
  it('covers every example', () => {
    expect(examples.sort()).toEqual([
      'bess',
      'echo-ingestion',
      'esp32-bathroom',
      'kpi-collection',
      'pot-alert',
    ]);
  });

  it.each(examples)('examples/%s provisions valid dashboards whose queries parse', async (example) => {
    const config = await loadConfig({ file: join(EXAMPLES, example, 'sensorhub.yaml'), env: {}, flags: {} });
    const folder = dashboardsFolderOf(config);
    expect(folder?.dir).toBe(join(EXAMPLES, example, 'dashboards'));
    const loaded = await loadDashboardFolder(folder?.dir ?? '');
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.dashboards.length).toBeGreaterThan(0);
    for (const d of loaded.dashboards) {
      expect(queryProblems(d), d.uid).toEqual([]);
      expect(d.panels.length, d.uid).toBeGreaterThan(0);
      for (const p of d.panels) expect(p.queries.length, `${d.uid} ${p.id}`).toBeGreaterThan(0);
    }
  });

  it('draws what the examples need: the alert threshold, the alert state, per-battery variables, the camera', async () => {
    const pot = (await loadDashboardFolder(join(EXAMPLES, 'pot-alert/dashboards'))).dashboards[0];
    const series = pot?.panels.find((p) => p.type === 'timeseries');
    expect(series?.options.showThresholds).toBe(true);
    expect(series?.options.thresholds?.map((t) => t.value)).toContain(3000);
    const state = pot?.panels.find((p) => p.type === 'state-timeline');
    expect(state?.queries[0]).toMatchObject({ database: '_alerts' });
    expect(state?.queries[0]?.influxql).toMatch(/FROM "alerts"/);

    const bess = (await loadDashboardFolder(join(EXAMPLES, 'bess/dashboards'))).dashboards[0];
    expect(bess?.variables.map((v) => v.name)).toEqual(['battery']);
    expect(new Set(bess?.panels.map((p) => p.type))).toEqual(new Set(['gauge', 'stat', 'bar', 'timeseries']));

    const kpi = (await loadDashboardFolder(join(EXAMPLES, 'kpi-collection/dashboards'))).dashboards[0];
    expect(kpi?.panels.find((p) => p.type === 'image')?.queries[0]).toMatchObject({
      measurement: 'kpi_image',
      field: 'url',
    });
  });
});

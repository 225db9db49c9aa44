import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readDashboardDocument } from './document.js';
import { grafanaDashboardOf, importGrafanaDashboard } from './grafana-import.js';
import { normaliseMacros, renderBuilderTarget } from './grafana-query.js';
import { type Dashboard, parseDashboard } from './model.js';
import { queryProblems } from './query-check.js';

/** Imports and validates; fails the test with every problem when the result is not a valid dashboard. */
function imported(doc: unknown): { dashboard: Dashboard; unsupported: string[] } {
  const { dashboard, unsupported } = importGrafanaDashboard(doc);
  const parsed = parseDashboard(dashboard);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return { dashboard: parsed.value, unsupported };
}

const target = (over: Record<string, unknown>) => ({
  refId: 'A',
  measurement: 'temperature',
  policy: 'default',
  resultFormat: 'time_series',
  orderByTime: 'ASC',
  select: [
    [
      { type: 'field', params: ['value'] },
      { type: 'mean', params: [] },
    ],
  ],
  tags: [],
  groupBy: [
    { type: 'time', params: ['$__interval'] },
    { type: 'fill', params: ['null'] },
  ],
  ...over,
});

const oneTarget = (t: Record<string, unknown>, panel: Record<string, unknown> = {}) => ({
  schemaVersion: 39,
  uid: 'x',
  title: 'X',
  panels: [
    { id: 1, type: 'timeseries', title: 'P', gridPos: { x: 0, y: 0, w: 12, h: 8 }, targets: [t], ...panel },
  ],
});

describe('seed 003: the BESS Grafana dashboard', () => {
  it('imports every panel with its layout, builder queries and the list of what is not supported', async () => {
    const doc = JSON.parse(
      await readFile(
        new URL('../../test/fixtures/dashboards/grafana-bess-overview.json', import.meta.url),
        'utf8',
      ),
    ) as unknown;
    const { dashboard, unsupported } = imported(doc);
    expect(dashboard).toMatchObject({
      uid: 'ad5b5lz',
      title: 'Bess',
      refresh: '5s',
      time: { from: 'now-5m' },
    });
    expect(
      dashboard.panels.map((p) => [p.title, p.type, p.gridPos.x, p.gridPos.y, p.gridPos.w, p.gridPos.h]),
    ).toEqual([
      ['Bess', 'gauge', 2, 0, 4, 18],
      ['Battery 1 - Power', 'gauge', 6, 0, 4, 9],
      ['Battery 1 -SOC', 'gauge', 10, 0, 4, 9],
      ['Battery 1 - DC', 'gauge', 14, 0, 5, 9],
      ['Battery 1 - AC', 'gauge', 19, 0, 3, 9],
      ['Battery 2 - Power', 'gauge', 6, 9, 4, 9],
      ['Battery 2 - SOC', 'gauge', 10, 9, 4, 9],
      ['Battery 2 - DC', 'gauge', 14, 9, 5, 9],
      ['Battery 2 - AC', 'gauge', 19, 9, 3, 9],
    ]);
    // The builder (rawQuery: false) wins over the stale `query` text Grafana keeps beside it: "Battery 1 - DC"
    // stored SELECT last("ac_current") … group_id = '1', but draws dc_current filtered by $pcs_id_1.
    const dc = dashboard.panels[3];
    expect(dc?.queries).toEqual([
      {
        influxql:
          'SELECT last("dc_current") / 1000 FROM "pcs" WHERE ("id"::tag =~ /^$pcs_id_1$/) AND $timeFilter GROUP BY time($__interval) fill(null)',
        alias: 'DC Current',
      },
      {
        influxql:
          'SELECT last("dc_voltage") / 1000 FROM "pcs" WHERE ("id"::tag =~ /^$pcs_id_1$/) AND $timeFilter GROUP BY time($__interval) fill(null)',
        alias: 'DC Voltage',
      },
    ]);
    expect(dashboard.panels[4]?.queries).toHaveLength(6);
    expect(dashboard.panels[2]?.options).toEqual({
      unit: 'percent',
      thresholds: [
        { value: 0, color: 'green' },
        { value: 80, color: 'red' },
      ],
    });
    expect(dashboard.variables).toEqual([
      { name: 'bess_id', label: 'BESS ID', values: ['1'], current: '1' },
      { name: 'pcs_id_1', label: 'PCS ID 1', values: ['0'], current: '0' },
      { name: 'pcs_id_2', label: 'PCS ID 2', values: ['1'], current: '1' },
    ]);
    expect(unsupported).toEqual([
      'panel "Battery 1 - Power": transformations are not supported (calculateField); left out',
      'panel "Battery 1 - DC": field overrides are not supported (byName "DC Current": unit; byName "DC Voltage": unit); left out',
      'panel "Battery 1 - AC": field overrides are not supported (byName "Voltage A": unit; byName "Voltage B": unit; byName "Voltage C": unit); left out',
      'panel "Battery 2 - Power": transformations are not supported (calculateField); left out',
      'panel "Battery 2 - DC": field overrides are not supported (byName "DC Current": unit; byName "DC Voltage": unit); left out',
      'panel "Battery 2 - AC": field overrides are not supported (byName "Voltage A": unit; byName "Voltage B": unit; byName "Voltage C": unit); left out',
      'variable "ds": data source variables are not needed (sensorhub is the only data source); left out',
      'variable "bess_id": free-text variables are not supported; it is fixed to "1" (edit the dashboard to change it)',
      'variable "pcs_id_1": free-text variables are not supported; it is fixed to "0" (edit the dashboard to change it)',
      'variable "pcs_id_2": free-text variables are not supported; it is fixed to "1" (edit the dashboard to change it)',
    ]);
    // Every query runs through sensorhub's InfluxQL parser once the macros are replaced.
    expect(queryProblems(dashboard)).toEqual([]);
  });
});

describe('detection', () => {
  it('unwraps the {dashboard, meta} of Grafana’s HTTP API and recognises exports', () => {
    const inner = { uid: 'a', title: 'A', schemaVersion: 30, panels: [] };
    expect(grafanaDashboardOf({ dashboard: inner, meta: { slug: 'a' } })).toBe(inner);
    expect(grafanaDashboardOf({ __inputs: [], title: 'T', panels: [] })).toBeDefined();
    expect(grafanaDashboardOf({ title: 'T', panels: [{ id: 3, type: 'text' }] })).toBeDefined();
    expect(grafanaDashboardOf({ title: 'T', panels: [{ targets: [] }] })).toBeDefined();
  });

  it('leaves sensorhub dashboards alone', () => {
    const doc = {
      uid: 'pot',
      title: 'Pot',
      panels: [
        {
          id: 'a',
          type: 'stat',
          gridPos: { x: 0, y: 0, w: 6, h: 4 },
          queries: [{ measurement: 'pot', field: 'value' }],
        },
      ],
    };
    expect(grafanaDashboardOf(doc)).toBeUndefined();
    const read = readDashboardDocument({ ...doc, source: 'api', version: 3, updatedAt: 'x' });
    expect(read).toMatchObject({ ok: true, format: 'sensorhub', unsupported: [] });
  });
});

describe('queries', () => {
  it('maps a builder target that the builder can express onto a builder query', () => {
    const { dashboard, unsupported } = imported(
      oneTarget(
        target({
          alias: '$tag_device [[tag_room]] $col',
          tags: [
            { key: 'device::tag', operator: '=~', value: '/^$device$/' },
            { key: 'site', operator: '=', value: 'north', condition: 'AND' },
          ],
          groupBy: [
            { type: 'time', params: ['$interval'] },
            { type: 'tag', params: ['device'] },
            { type: 'fill', params: ['null'] },
          ],
        }),
      ),
    );
    expect(dashboard.panels[0]?.queries).toEqual([
      {
        measurement: 'temperature',
        field: 'value',
        aggregate: 'mean',
        tags: { device: '$device', site: 'north' },
        groupBy: ['device'],
        alias: '$tag_device $tag_room $field',
      },
    ]);
    expect(unsupported).toEqual([]);
  });

  it('keeps a fixed interval and maps a raw builder target (no aggregate, no time buckets)', () => {
    const fixed = imported(
      oneTarget(
        target({
          groupBy: [{ type: 'time', params: ['1m'] }],
          select: [
            [
              { type: 'field', params: ['v'] },
              { type: 'max', params: [] },
            ],
          ],
        }),
      ),
    );
    expect(fixed.dashboard.panels[0]?.queries[0]).toMatchObject({ aggregate: 'max', interval: '1m' });
    const raw = imported(oneTarget(target({ groupBy: [], select: [[{ type: 'field', params: ['v'] }]] })));
    expect(raw.dashboard.panels[0]?.queries[0]).toEqual({
      measurement: 'temperature',
      field: 'v',
      aggregate: 'raw',
    });
  });

  it.each([
    [
      'fill(previous)',
      {
        groupBy: [
          { type: 'time', params: ['$__interval'] },
          { type: 'fill', params: ['previous'] },
        ],
      },
      'SELECT mean("value") FROM "temperature" WHERE $timeFilter GROUP BY time($__interval) fill(previous)',
    ],
    [
      'two selects',
      {
        select: [
          [
            { type: 'field', params: ['a'] },
            { type: 'mean', params: [] },
          ],
          [
            { type: 'field', params: ['b'] },
            { type: 'max', params: [] },
          ],
        ],
      },
      'SELECT mean("a"), max("b") FROM "temperature" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
    ],
    [
      'math and a transformation',
      {
        select: [
          [
            { type: 'field', params: ['value'] },
            { type: 'mean', params: [] },
            { type: 'non_negative_derivative', params: ['1s'] },
            { type: 'math', params: [' * 8'] },
            { type: 'alias', params: ['rate'] },
          ],
        ],
      },
      'SELECT non_negative_derivative(mean("value"), 1s) * 8 AS "rate" FROM "temperature" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
    ],
    [
      'OR, != and a retention policy',
      {
        policy: 'one_year',
        tags: [
          { key: 'device', operator: '!=', value: "o'brien" },
          { key: 'room', operator: '=', value: 'bath', condition: 'OR' },
        ],
      },
      `SELECT mean("value") FROM "one_year"."temperature" WHERE ("device" != 'o\\'brien' OR "room" = 'bath') AND $timeFilter GROUP BY time($__interval) fill(null)`,
    ],
    [
      'a percentile',
      {
        select: [
          [
            { type: 'field', params: ['value'] },
            { type: 'percentile', params: ['95'] },
          ],
        ],
      },
      'SELECT percentile("value", 95) FROM "temperature" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
    ],
    [
      'DESC order and limits',
      { orderByTime: 'DESC', limit: '10', groupBy: [], select: [[{ type: 'field', params: ['value'] }]] },
      'SELECT "value" FROM "temperature" WHERE $timeFilter ORDER BY time DESC LIMIT 10',
    ],
  ])('renders InfluxQL text when the builder cannot express it: %s', (_name, over, influxql) => {
    const { dashboard, unsupported } = imported(oneTarget(target(over)));
    expect(dashboard.panels[0]?.queries).toEqual([{ influxql }]);
    expect(unsupported).toEqual([]);
    expect(queryProblems(dashboard)).toEqual([]);
  });

  it('normalises the macros of raw InfluxQL and lists the ones it cannot', () => {
    const { dashboard, unsupported } = imported(
      oneTarget({
        refId: 'B',
        rawQuery: true,
        alias: '$m: $tag_device',
        query:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${var:format} syntax, literally.
          'SELECT mean("value") FROM "pot" WHERE "device" =~ /^${device:regex}$/ AND "room" = \'[[room]]\' AND $__timeFilter GROUP BY time($interval) LIMIT $__interval_ms',
      }),
    );
    expect(dashboard.panels[0]?.queries).toEqual([
      {
        influxql:
          'SELECT mean("value") FROM "pot" WHERE "device" =~ /^$device$/ AND "room" = \'$room\' AND $timeFilter GROUP BY time($__interval) LIMIT $__interval_ms',
        alias: '$m: $tag_device',
      },
    ]);
    expect(unsupported).toEqual([
      'panel "P": query B: the format ":regex" of $device is ignored',
      'panel "P": query B: the macro $__interval_ms is not supported',
      'panel "P": query B: the legend "$m: $tag_device" uses the measurement name, which sensorhub cannot fill in here',
    ]);
  });

  it('lists Flux, other data sources, expressions and hidden targets, keeping the panel', () => {
    const doc = {
      schemaVersion: 39,
      title: 'Mixed',
      panels: [
        {
          id: 1,
          type: 'timeseries',
          title: 'M',
          gridPos: { x: 0, y: 0, w: 24, h: 8 },
          targets: [
            { refId: 'A', query: 'from(bucket: "b") |> range(start: -1h)' },
            { refId: 'B', datasource: { type: 'prometheus', uid: 'p' }, expr: 'up' },
            { refId: 'C', datasource: { type: '__expr__' }, expression: '$A * 2' },
            { ...target({ refId: 'D' }), hide: true },
            target({ refId: 'E', measurement: '' }),
          ],
        },
      ],
    };
    const { dashboard, unsupported } = imported(doc);
    expect(dashboard.panels[0]?.queries).toEqual([]);
    expect(unsupported).toEqual([
      'panel "M": query A: Flux queries are not supported (only InfluxQL); left out',
      'panel "M": query B: data source type "prometheus" is not InfluxDB; left out',
      'panel "M": query C: server-side expressions are not supported; left out',
      'panel "M": query D: is hidden in Grafana; left out',
      'panel "M": query E: has no measurement; left out',
    ]);
  });

  it('renders builder targets as Grafana does, including regex measurements and tz', () => {
    expect(
      renderBuilderTarget({
        measurement: '/^cpu/',
        select: [[{ type: 'field', params: ['*'] }]],
        tags: [{ key: 'n', operator: '>', value: '5' }],
        groupBy: [{ type: 'tag', params: ['*'] }],
        slimit: 2,
        tz: 'Europe/Paris',
      }),
    ).toBe('SELECT * FROM /^cpu/ WHERE ("n" > 5) AND $timeFilter GROUP BY * SLIMIT 2 tz(\'Europe/Paris\')');
    expect(normaliseMacros(' $__from $__to ').notes).toEqual([
      'the macro $__from is not supported',
      'the macro $__to is not supported',
    ]);
  });
});

describe('panels', () => {
  const grid = { x: 0, y: 0, w: 12, h: 8 };

  it('maps panel types, and lists those it cannot', () => {
    const types = [
      'timeseries',
      'graph',
      'stat',
      'singlestat',
      'gauge',
      'bargauge',
      'table',
      'state-timeline',
      'text',
      'heatmap',
    ];
    const { dashboard, unsupported } = imported({
      schemaVersion: 39,
      title: 'Types',
      panels: types.map((type, i) => ({ id: i + 1, type, title: type, gridPos: { ...grid, y: i * 8 } })),
    });
    expect(dashboard.panels.map((p) => p.type)).toEqual([
      'timeseries',
      'timeseries',
      'stat',
      'stat',
      'gauge',
      'bar',
      'table',
      'state-timeline',
    ]);
    expect(unsupported).toEqual([
      'panel "text": panel type "text" is not supported; left out',
      'panel "heatmap": panel type "heatmap" is not supported; left out',
    ]);
  });

  it('maps fieldConfig: unit, decimals, min, max, thresholds, value mappings and draw style', () => {
    const { dashboard, unsupported } = imported({
      schemaVersion: 39,
      title: 'Field config',
      panels: [
        {
          id: 1,
          type: 'timeseries',
          title: 'T',
          gridPos: grid,
          fieldConfig: {
            defaults: {
              unit: 'celsius',
              decimals: 1,
              min: 0,
              max: 40,
              custom: { drawStyle: 'bars', fillOpacity: 20, thresholdsStyle: { mode: 'line' } },
              thresholds: {
                mode: 'absolute',
                steps: [
                  { color: 'green', value: null },
                  { color: '#EAB839', value: 25 },
                  { color: 'red', value: 30 },
                ],
              },
            },
            overrides: [],
          },
        },
        {
          id: 2,
          type: 'state-timeline',
          title: 'S',
          gridPos: { ...grid, x: 12 },
          options: {},
          fieldConfig: {
            defaults: {
              thresholds: { mode: 'percentage', steps: [{ color: 'green', value: null }] },
              mappings: [
                {
                  type: 'value',
                  options: { '0': { text: 'off', color: 'grey' }, '1': { text: 'on', color: 'green' } },
                },
                { type: 'range', options: { from: 2, to: 5, result: { text: 'odd' } } },
              ],
            },
          },
        },
        {
          id: 3,
          type: 'stat',
          title: 'Avg',
          gridPos: { ...grid, y: 8 },
          options: { reduceOptions: { calcs: ['mean'] } },
        },
      ],
    });
    expect(dashboard.panels[0]?.options).toEqual({
      unit: 'celsius',
      decimals: 1,
      min: 0,
      max: 40,
      thresholds: [
        { value: null, color: 'green' },
        { value: 25, color: '#EAB839' },
        { value: 30, color: 'red' },
      ],
      drawStyle: 'bars',
      fill: true,
      showThresholds: true,
    });
    expect(dashboard.panels[1]?.options.mappings).toEqual([
      { value: '0', text: 'off', color: 'grey' },
      { value: '1', text: 'on', color: 'green' },
    ]);
    expect(unsupported).toEqual([
      'panel "S": percentage thresholds are not supported; their values are used as absolute values',
      'panel "S": value mappings of type "range" are not supported; left out',
      'panel "Avg": the calculation "mean" is not supported; the last value is shown',
    ]);
  });

  it('maps the old graph and singlestat panels', () => {
    const { dashboard, unsupported } = imported({
      schemaVersion: 16,
      title: 'Old',
      panels: [
        {
          id: 1,
          type: 'graph',
          title: 'G',
          gridPos: grid,
          bars: true,
          fill: 1,
          yaxes: [{ format: 'volt', min: '0', max: '60', decimals: 2 }, { format: 'short' }],
          thresholds: [
            { value: 55, colorMode: 'critical', op: 'gt' },
            { value: 50, colorMode: 'warning', op: 'gt' },
            { value: 10, colorMode: 'ok', op: 'lt' },
          ],
          seriesOverrides: [{ alias: 'x', yaxis: 2 }],
          alert: { name: 'too high' },
        },
        {
          id: 2,
          type: 'singlestat',
          title: 'SoC',
          gridPos: { ...grid, x: 12 },
          format: 'percent',
          decimals: 0,
          thresholds: '20,80',
          colors: ['red', 'orange', 'green'],
          gauge: { show: true, minValue: 0, maxValue: 100 },
          valueName: 'avg',
          valueMaps: [{ op: '=', value: 'null', text: 'N/A' }],
          postfix: ' %',
        },
      ],
    });
    expect(dashboard.panels[0]).toMatchObject({
      type: 'timeseries',
      options: {
        unit: 'volt',
        min: 0,
        max: 60,
        decimals: 2,
        drawStyle: 'bars',
        fill: true,
        showThresholds: true,
        thresholds: [
          { value: null, color: 'green' },
          { value: 50, color: 'orange' },
          { value: 55, color: 'red' },
        ],
      },
    });
    expect(dashboard.panels[1]).toMatchObject({
      type: 'gauge',
      options: {
        unit: 'percent',
        decimals: 0,
        min: 0,
        max: 100,
        thresholds: [
          { value: null, color: 'red' },
          { value: 20, color: 'orange' },
          { value: 80, color: 'green' },
        ],
        mappings: [{ value: 'null', text: 'N/A' }],
      },
    });
    expect(unsupported).toEqual([
      'panel "G": the "below 10" threshold is not supported (thresholds are lower bounds); left out',
      'panel "G": series overrides are not supported; left out',
      'panel "G": legacy panel alerts are not supported; use sensorhub alert rules',
      'panel "SoC": the calculation "avg" is not supported; the last value is shown',
      'panel "SoC": the postfix " %" is not supported; set a unit instead',
    ]);
  });

  it('expands collapsed rows, drops row headers, and lists panel extras', () => {
    const { dashboard, unsupported } = imported({
      schemaVersion: 39,
      title: 'Rows',
      panels: [
        {
          id: 1,
          type: 'row',
          title: 'Open',
          collapsed: false,
          gridPos: { x: 0, y: 0, w: 24, h: 1 },
          panels: [],
        },
        {
          id: 2,
          type: 'stat',
          title: 'A',
          gridPos: { x: 0, y: 1, w: 30, h: 4 },
          links: [{ url: 'x' }],
          repeat: 'device',
          timeShift: '1h',
          interval: '10s',
        },
        {
          id: 3,
          type: 'row',
          title: 'Closed',
          collapsed: true,
          gridPos: { x: 0, y: 5, w: 24, h: 1 },
          panels: [{ id: 2, type: 'gauge', title: 'B', gridPos: { x: 20, y: 6, w: 8, h: 4 } }],
        },
        { id: 9, libraryPanel: { uid: 'lib', name: 'Shared' }, title: 'Lib', gridPos: grid },
      ],
    });
    expect(dashboard.panels.map((p) => [p.id, p.title, p.gridPos])).toEqual([
      ['2', 'A', { x: 0, y: 1, w: 24, h: 4 }],
      ['2-2', 'B', { x: 16, y: 6, w: 8, h: 4 }],
    ]);
    expect(unsupported).toEqual([
      'row "Open": rows are not supported; the row header is left out (its panels are kept)',
      'row "Closed": rows are not supported; its 1 collapsed panel(s) are shown expanded',
      'panel "A": panel links are not supported; left out',
      'panel "A": repeating by $device is not supported; one panel is shown',
      'panel "A": timeShift "1h" is not supported; the dashboard\'s time range is used',
      'panel "A": the minimum interval "10s" is not supported',
      'panel "Lib": library panels are not supported (the dashboard JSON holds only a reference); left out',
    ]);
  });

  it('lays out the pre-5.0 rows of spans', () => {
    const { dashboard, unsupported } = imported({
      title: 'Very old',
      rows: [
        {
          height: '300px',
          panels: [
            { id: 1, type: 'graph', span: 6 },
            { id: 2, type: 'singlestat', span: 6 },
            { id: 3, type: 'table', span: 4 },
          ],
        },
        { height: 150, panels: [{ id: 4, type: 'graph', span: 12 }] },
      ],
    });
    expect(dashboard.panels.map((p) => p.gridPos)).toEqual([
      { x: 0, y: 0, w: 12, h: 10 },
      { x: 12, y: 0, w: 12, h: 10 },
      { x: 0, y: 10, w: 8, h: 10 },
      { x: 0, y: 20, w: 24, h: 5 },
    ]);
    expect(unsupported).toEqual([
      'dashboard: uses the pre-5.0 rows layout; panels were laid out again in the same order',
    ]);
  });
});

describe('dashboard fields and variables', () => {
  it('maps variables of type query, custom, interval and constant, and lists the rest', () => {
    const { dashboard, unsupported } = imported({
      schemaVersion: 39,
      title: 'Vars: Ünïcode & more',
      refresh: '',
      links: [{ title: 'Docs' }],
      annotations: {
        list: [
          { builtIn: 1, name: 'Annotations & Alerts' },
          { name: 'Deploys', datasource: 'influx' },
        ],
      },
      templating: {
        list: [
          {
            type: 'query',
            name: 'device',
            label: 'Device',
            query: 'SHOW TAG VALUES FROM "temperature" WITH KEY = "device"',
            includeAll: true,
            multi: true,
            current: { value: ['$__all'] },
          },
          {
            type: 'query',
            name: 'room',
            query: { query: 'SHOW TAG VALUES WITH KEY = "room"', refId: 'X' },
            current: { value: 'bath' },
            regex: '/b.*/',
          },
          { type: 'custom', name: 'level', query: 'low : 1,high : 9', current: { value: '9' } },
          { type: 'custom', name: 'site', query: 'north,south\\,east', options: [] },
          {
            type: 'interval',
            name: 'every',
            query: '1m,10m,1h',
            auto: true,
            options: [{ value: '$__auto_interval_every' }],
          },
          { type: 'constant', name: 'db', query: 'bess' },
          { type: 'adhoc', name: 'filters' },
          { type: 'query', name: 'p', query: 'label_values(up, job)' },
          { type: 'custom', name: 'bad-name', query: 'a' },
        ],
      },
      panels: [],
    });
    expect(dashboard.uid).toBe('vars-n-code-more');
    expect(dashboard.refresh).toBe('off');
    expect(dashboard.variables).toEqual([
      {
        name: 'device',
        label: 'Device',
        includeAll: true,
        query: 'SHOW TAG VALUES FROM "temperature" WITH KEY = "device"',
      },
      { name: 'room', current: 'bath', query: 'SHOW TAG VALUES WITH KEY = "room"' },
      { name: 'level', current: '9', values: ['1', '9'] },
      { name: 'site', values: ['north', 'south,east'] },
      { name: 'every', values: ['1m', '10m', '1h'] },
      { name: 'db', values: ['bess'], current: 'bess' },
    ]);
    expect(unsupported).toEqual([
      'dashboard: annotation "Deploys" is not supported; left out',
      'dashboard: 1 dashboard link(s) are not supported; left out',
      'variable "device": multi-value selection is not supported; one value is selected',
      'variable "room": the regex filter "/b.*/" is not supported',
      'variable "every": the "auto" interval is not supported; the listed intervals are kept',
      'variable "filters": variables of type "adhoc" are not supported; left out',
      'variable "p": only InfluxQL variable queries are supported; left out',
      'variable "bad-name": the name is not letters, digits and _; left out',
    ]);
  });

  it('sets the database given for the import on the dashboard', () => {
    const { dashboard } = importGrafanaDashboard(
      { schemaVersion: 39, uid: 'u', title: 'T', panels: [] },
      { database: 'bess' },
    );
    expect(dashboard.database).toBe('bess');
  });
});

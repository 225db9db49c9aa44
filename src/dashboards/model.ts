import { z } from 'zod';

/**
 * The dashboard document: what provisioning files hold, what the API stores and returns, what the web app
 * renders. Shaped after Grafana's model where that costs nothing (a 24-column grid with 30 px rows, `now-1h`
 * time ranges, template variables), so Grafana dashboards map onto it and Grafana users find their way.
 *
 * The web app imports only the types (`import type`) and ./constants.ts, so zod stays out of the browser bundle.
 */

import { BUILDER_AGGREGATES, PANEL_TYPES } from './constants.js';

export { BUILDER_AGGREGATES, type BuilderAggregate, PANEL_TYPES, type PanelType } from './constants.js';

const name = z.string().min(1).max(200);

/**
 * One query of a panel: either built from parts (measurement, field, tags, aggregate) or InfluxQL text.
 * Both may use `$timeFilter`, `$__interval` and `$variable` (InfluxQL), or `$variable` in tag values (builder).
 */
export const panelQuerySchema = z
  .object({
    /** Database; the dashboard's, then the server's default when absent. */
    database: name.optional(),
    measurement: name.optional(),
    field: name.optional(),
    /** Tag equality filters; a value may be `$var` (the variable's current value) or `/regex/`. */
    tags: z.record(z.string(), z.string()).optional(),
    /** Tag keys to split series by (`*` for all). */
    groupBy: z.array(z.string()).optional(),
    aggregate: z.enum(BUILDER_AGGREGATES).optional(),
    /** Bucket width (`1m`), or `auto` (default) for the panel width and time range. */
    interval: z.string().optional(),
    /** InfluxQL mode: used instead of the builder fields. */
    influxql: z.string().min(1).optional(),
    /** Legend name; `$tag_<key>` and `$field` are replaced. */
    alias: z.string().optional(),
  })
  .strict()
  .refine((q) => q.influxql !== undefined || (q.measurement !== undefined && q.field !== undefined), {
    message: 'a query needs either influxql, or measurement and field',
  });
export type PanelQuery = z.infer<typeof panelQuerySchema>;

export const thresholdSchema = z
  .object({
    /** The step starts at this value; the first step's value is ignored (it is the base colour). */
    value: z.number().nullable(),
    /** A CSS colour or a theme name: green, yellow, orange, red, blue, purple, grey. */
    color: z.string().min(1),
  })
  .strict();
export type Threshold = z.infer<typeof thresholdSchema>;

export const panelOptionsSchema = z
  .object({
    unit: z.string().optional(),
    decimals: z.number().int().min(0).max(12).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Ascending steps: the colour of a value is that of the last step whose value it reaches. */
    thresholds: z.array(thresholdSchema).optional(),
    /** Time series: draw the thresholds as horizontal lines. */
    showThresholds: z.boolean().optional(),
    /** Time series: stack, draw points, fill under. */
    drawStyle: z.enum(['line', 'points', 'bars']).optional(),
    fill: z.boolean().optional(),
    /** State timeline: value → label and colour (e.g. 0 → off/grey, 1 → on/green). */
    mappings: z
      .array(
        z.object({ value: z.string(), text: z.string().optional(), color: z.string().optional() }).strict(),
      )
      .optional(),
    /** Image: the blob key prefix or the measurement whose `url` field points at the latest image. */
    imageField: z.string().optional(),
  })
  .strict();
export type PanelOptions = z.infer<typeof panelOptionsSchema>;

export const panelSchema = z
  .object({
    id: z.string().min(1).max(100),
    type: z.enum(PANEL_TYPES),
    title: z.string().max(200).default(''),
    description: z.string().max(2000).optional(),
    /** 24 columns; rows are 30 px high. */
    gridPos: z
      .object({
        x: z.number().int().min(0).max(23),
        y: z.number().int().min(0),
        w: z.number().int().min(1).max(24),
        h: z.number().int().min(1).max(100),
      })
      .strict(),
    queries: z.array(panelQuerySchema).max(20).default([]),
    options: panelOptionsSchema.default({}),
  })
  .strict();
export type Panel = z.infer<typeof panelSchema>;

export const variableSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and _'),
    label: z.string().optional(),
    /** InfluxQL that lists the values, e.g. SHOW TAG VALUES FROM "pot" WITH KEY = "device". */
    query: z.string().optional(),
    /** Fixed values (a custom variable), or the values when there is no query. */
    values: z.array(z.string()).optional(),
    /** Selected at load; the first value when absent. */
    current: z.string().optional(),
    /** Adds an "All" choice that becomes a regex over every value. */
    includeAll: z.boolean().optional(),
  })
  .strict();
export type Variable = z.infer<typeof variableSchema>;

/** Relative (`now-5m`, `now`) or absolute (RFC 3339) times. */
export const timeRangeSchema = z.object({ from: z.string().min(1), to: z.string().min(1) }).strict();
export type TimeRange = z.infer<typeof timeRangeSchema>;

export const dashboardSchema = z
  .object({
    /** Stable id in URLs: letters, digits, `-` and `_`. */
    uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'uid is 1–64 letters, digits, - or _'),
    title: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    tags: z.array(z.string()).optional(),
    /** Default database for the panels' queries. */
    database: name.optional(),
    time: timeRangeSchema.default({ from: 'now-1h', to: 'now' }),
    /** `off`, `live` (stream new points), or an interval such as `10s`. */
    refresh: z.string().default('off'),
    variables: z.array(variableSchema).default([]),
    panels: z.array(panelSchema).max(100).default([]),
  })
  .strict();
export type Dashboard = z.infer<typeof dashboardSchema>;
export type DashboardInput = z.input<typeof dashboardSchema>;

/** What the API returns: the document plus where it came from. */
export interface StoredDashboard extends Dashboard {
  /** `file` for provisioned dashboards (read-only through the API), `api` for those saved from the UI. */
  readonly source: 'file' | 'api';
  /** The provisioning file, for `file`. */
  readonly path?: string;
  /** Increases on every save; a save with an older version is refused (409), so two editors cannot clobber. */
  readonly version: number;
  readonly updatedAt: string;
}

/** Every problem of a document as `path: message`, or the parsed dashboard. */
export function parseDashboard(
  input: unknown,
): { ok: true; value: Dashboard } | { ok: false; errors: string[] } {
  const r = dashboardSchema.safeParse(input);
  if (r.success) {
    const ids = new Set<string>();
    const errors: string[] = [];
    r.data.panels.forEach((p, i) => {
      if (ids.has(p.id)) errors.push(`panels[${i}].id: "${p.id}" is used by another panel`);
      ids.add(p.id);
      if (p.gridPos.x + p.gridPos.w > 24) errors.push(`panels[${i}].gridPos: x + w is more than 24 columns`);
    });
    return errors.length === 0 ? { ok: true, value: r.data } : { ok: false, errors };
  }
  return {
    ok: false,
    errors: r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`),
  };
}

/**
 * The lists the dashboard model and the web app share. Kept apart from model.ts (which builds zod schemas) so
 * the browser bundle can import them without zod.
 */
export const PANEL_TYPES = [
  'timeseries',
  'stat',
  'gauge',
  'bar',
  'table',
  'state-timeline',
  'image',
] as const;
export type PanelType = (typeof PANEL_TYPES)[number];

export const BUILDER_AGGREGATES = [
  'mean',
  'median',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'spread',
  'stddev',
  'raw',
] as const;
export type BuilderAggregate = (typeof BUILDER_AGGREGATES)[number];

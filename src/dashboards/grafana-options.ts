import { asArray, asNumber, asObject, asString, type Json } from './grafana-query.js';
import type { PanelOptions, Threshold } from './model.js';

/** Reports one thing that was not carried over, about the panel being converted. */
export type Note = (message: string) => void;

type Mappings = NonNullable<PanelOptions['mappings']>;

/** Reducers the stat, gauge and bar panels show; others are reported (sensorhub shows the last value). */
export const LAST_REDUCERS: ReadonlySet<string> = new Set(['last', 'lastNotNull', 'current']);

/**
 * A panel's display options: `fieldConfig.defaults` (unit, decimals, min, max, thresholds, value mappings,
 * draw style), and the pre-7.0 graph and singlestat equivalents.
 */
export function panelOptionsOf(p: Json, gType: string, note: Note): PanelOptions {
  const defaults = asObject(asObject(p.fieldConfig)?.defaults) ?? {};
  const custom = asObject(defaults.custom) ?? {};
  const opts: PanelOptions = {};
  const unit = asString(defaults.unit);
  if (unit) opts.unit = unit;
  const decimals = asNumber(defaults.decimals);
  if (decimals !== undefined) opts.decimals = Math.max(0, Math.min(12, Math.round(decimals)));
  const min = asNumber(defaults.min);
  if (min !== undefined) opts.min = min;
  const max = asNumber(defaults.max);
  if (max !== undefined) opts.max = max;

  const thresholds = asObject(defaults.thresholds);
  const steps = asArray(thresholds?.steps).flatMap((s): Threshold[] => {
    const o = asObject(s);
    const color = asString(o?.color);
    return o && color ? [{ value: o.value === null ? null : (asNumber(o.value) ?? null), color }] : [];
  });
  if (steps.length > 0) opts.thresholds = steps;
  if (thresholds?.mode === 'percentage') {
    note('percentage thresholds are not supported; their values are used as absolute values');
  }
  const mappings = mappingsOf(asArray(defaults.mappings), note);

  if (gType === 'timeseries') {
    const draw = asString(custom.drawStyle);
    if (draw === 'line' || draw === 'points' || draw === 'bars') opts.drawStyle = draw;
    if ((asNumber(custom.fillOpacity) ?? 0) > 0) opts.fill = true;
    const style = asString(asObject(custom.thresholdsStyle)?.mode);
    if (style !== undefined && style !== 'off') opts.showThresholds = true;
  }
  if (gType === 'graph') graphOptions(p, opts, note);
  if (gType === 'singlestat') singlestatOptions(p, opts, mappings, note);
  if (gType === 'stat' || gType === 'gauge' || gType === 'bargauge') {
    const calcs = asArray(asObject(asObject(p.options)?.reduceOptions)?.calcs).flatMap(
      (c) => asString(c) ?? [],
    );
    const other = calcs.filter((c) => !LAST_REDUCERS.has(c));
    if (other.length > 0) {
      note(`the calculation "${other.join(', ')}" is not supported; the last value is shown`);
    }
  }
  if (mappings.length > 0) opts.mappings = mappings;
  return opts;
}

/** Value mappings, in Grafana ≥ 7's `{type: value, options}` form and the older `{type: 1, value, text}`. */
function mappingsOf(list: unknown[], note: Note): Mappings {
  const out: Mappings = [];
  for (const m of list) {
    const o = asObject(m);
    if (!o) continue;
    if (o.type === 'value') {
      for (const [value, r] of Object.entries(asObject(o.options) ?? {})) {
        const res = asObject(r);
        const text = asString(res?.text);
        const color = asString(res?.color);
        out.push({ value, ...(text ? { text } : {}), ...(color ? { color } : {}) });
      }
    } else if (o.type === 1 && o.value !== undefined) {
      const text = asString(o.text);
      out.push({ value: String(o.value), ...(text ? { text } : {}) });
    } else {
      const kind = o.type === 2 ? 'range' : String(o.type);
      note(`value mappings of type "${kind}" are not supported; left out`);
    }
  }
  return out;
}

function graphOptions(p: Json, opts: PanelOptions, note: Note): void {
  const axis = asObject(asArray(p.yaxes)[0]);
  const format = asString(axis?.format);
  if (format && format !== 'short' && opts.unit === undefined) opts.unit = format;
  const min = asNumber(axis?.min);
  const max = asNumber(axis?.max);
  if (min !== undefined && opts.min === undefined) opts.min = min;
  if (max !== undefined && opts.max === undefined) opts.max = max;
  const decimals = asNumber(axis?.decimals ?? p.decimals);
  if (decimals !== undefined && opts.decimals === undefined) {
    opts.decimals = Math.max(0, Math.min(12, Math.round(decimals)));
  }
  if (p.bars === true) opts.drawStyle = 'bars';
  else if (p.points === true && p.lines === false) opts.drawStyle = 'points';
  if ((asNumber(p.fill) ?? 0) > 0) opts.fill = true;
  const colors: Record<string, string> = { critical: 'red', warning: 'orange', ok: 'green' };
  const steps: Threshold[] = [];
  for (const t of asArray(p.thresholds)) {
    const o = asObject(t);
    const value = asNumber(o?.value);
    if (!o || value === undefined) continue;
    if (o.op === 'lt') {
      note(`the "below ${value}" threshold is not supported (thresholds are lower bounds); left out`);
      continue;
    }
    const color = colors[asString(o.colorMode) ?? ''] ?? asString(o.lineColor) ?? 'red';
    steps.push({ value, color });
  }
  if (steps.length > 0) {
    opts.thresholds = [
      { value: null, color: 'green' },
      ...steps.sort((a, b) => (a.value ?? 0) - (b.value ?? 0)),
    ];
    opts.showThresholds = true;
  }
}

function singlestatOptions(p: Json, opts: PanelOptions, mappings: Mappings, note: Note): void {
  const format = asString(p.format);
  if (format && format !== 'none' && format !== 'short' && opts.unit === undefined) opts.unit = format;
  const decimals = asNumber(p.decimals);
  if (decimals !== undefined) opts.decimals = Math.max(0, Math.min(12, Math.round(decimals)));
  const gauge = asObject(p.gauge);
  if (gauge?.show === true) {
    const min = asNumber(gauge.minValue);
    const max = asNumber(gauge.maxValue);
    if (min !== undefined) opts.min = min;
    if (max !== undefined) opts.max = max;
  }
  const colors = asArray(p.colors).flatMap((c) => asString(c) ?? []);
  const levels = (asString(p.thresholds) ?? '')
    .split(',')
    .map((s) => asNumber(s))
    .filter((n): n is number => n !== undefined);
  if (levels.length > 0 && colors.length > 0) {
    opts.thresholds = [
      { value: null, color: colors[0] as string },
      ...levels.map((value, i) => ({ value, color: colors[Math.min(i + 1, colors.length - 1)] as string })),
    ];
  }
  const valueName = asString(p.valueName);
  if (valueName && !LAST_REDUCERS.has(valueName)) {
    note(`the calculation "${valueName}" is not supported; the last value is shown`);
  }
  for (const v of asArray(p.valueMaps)) {
    const o = asObject(v);
    const text = asString(o?.text);
    if (o && o.value !== undefined && o.value !== null)
      mappings.push({ value: String(o.value), ...(text ? { text } : {}) });
  }
  if (asArray(p.rangeMaps).some((r) => asObject(r)?.from !== undefined) && p.mappingType === 2) {
    note('range mappings are not supported; left out');
  }
  for (const key of ['prefix', 'postfix'] as const) {
    const v = asString(p[key]);
    if (v && v.trim() !== '') note(`the ${key} "${v}" is not supported; set a unit instead`);
  }
}

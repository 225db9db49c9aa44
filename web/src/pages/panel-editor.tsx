import { useEffect, useState } from 'preact/hooks';
import { BUILDER_AGGREGATES, PANEL_TYPES } from '../../../src/dashboards/constants';
import type { Dashboard, Panel, PanelQuery, Threshold } from '../../../src/dashboards/model';
import { influxql } from '../api';
import { ErrorBox, Modal } from '../components/ui';
import { panelQueryText, type VarValues } from '../influxql';
import type { PanelData } from '../panels/data';
import { loadPanel, panelWidthPx } from '../panels/load';
import { PanelView } from '../panels/panel-view';
import { autoIntervalMs, type ResolvedRange } from '../time';

const TYPE_LABELS: Record<string, string> = {
  timeseries: 'Time series',
  stat: 'Stat',
  gauge: 'Gauge',
  bar: 'Bar gauge',
  table: 'Table',
  'state-timeline': 'State timeline',
  image: 'Image',
};

/** Edits one panel: type, title, queries (builder or InfluxQL), display options; a live preview below. */
export function PanelEditor(props: {
  dashboard: Dashboard;
  panel: Panel | undefined;
  range: ResolvedRange;
  vars: VarValues;
  onCancel: () => void;
  onApply: (p: Panel) => void;
}) {
  const [panel, setPanel] = useState<Panel>(() => props.panel ?? newPanel(props.dashboard));
  const [preview, setPreview] = useState<PanelData>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [measurements, setMeasurements] = useState<string[]>([]);
  const db = props.dashboard.database;

  useEffect(() => {
    void influxql('SHOW MEASUREMENTS', db).then(
      ([r]) => setMeasurements((r?.series?.[0]?.values ?? []).map((v) => String(v[0]))),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    const t = setTimeout(() => {
      loadPanel(props.dashboard, panel, props.range, props.vars, false, ctl.signal).then(
        (r) => {
          setPreview(r.data);
          setPreviewError(undefined);
        },
        (err: unknown) => {
          if (!ctl.signal.aborted) setPreviewError(err);
        },
      );
    }, 300);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [panel]);

  const setQuery = (i: number, q: PanelQuery) =>
    setPanel({ ...panel, queries: panel.queries.map((x, j) => (j === i ? q : x)) });
  const o = panel.options;
  const auto = autoIntervalMs(props.range, panelWidthPx(panel));
  return (
    <Modal
      title={props.panel ? `Edit panel: ${props.panel.title}` : 'New panel'}
      wide
      onClose={props.onCancel}
      footer={
        <>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="button" class="primary" onClick={() => props.onApply(panel)}>
            Apply
          </button>
        </>
      }
    >
      <div class="stack">
        <div class="form-grid">
          <label>
            Title
            <input
              value={panel.title}
              onInput={(e) => setPanel({ ...panel, title: e.currentTarget.value })}
            />
          </label>
          <label>
            Visualization
            <select
              value={panel.type}
              onChange={(e) => setPanel({ ...panel, type: e.currentTarget.value as Panel['type'] })}
            >
              {PANEL_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TYPE_LABELS[t] ?? t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Width (of 24)
            <input
              type="number"
              min={1}
              max={24}
              value={panel.gridPos.w}
              onInput={(e) =>
                setPanel({
                  ...panel,
                  gridPos: { ...panel.gridPos, w: clampInt(e.currentTarget.value, 1, 24 - panel.gridPos.x) },
                })
              }
            />
          </label>
          <label>
            Height (rows of 30 px)
            <input
              type="number"
              min={2}
              max={40}
              value={panel.gridPos.h}
              onInput={(e) =>
                setPanel({
                  ...panel,
                  gridPos: { ...panel.gridPos, h: clampInt(e.currentTarget.value, 2, 40) },
                })
              }
            />
          </label>
        </div>
        <datalist id="measurements">
          {measurements.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        {panel.queries.map((q, i) => (
          <QueryEditor
            key={i}
            index={i}
            query={q}
            database={db}
            text={panelQueryText(q, { range: props.range, intervalMs: auto, vars: props.vars })}
            onChange={(nq) => setQuery(i, nq)}
            onRemove={() => setPanel({ ...panel, queries: panel.queries.filter((_, j) => j !== i) })}
          />
        ))}
        <div>
          <button
            type="button"
            onClick={() =>
              setPanel({
                ...panel,
                queries: [
                  ...panel.queries,
                  { measurement: measurements[0] ?? '', field: 'value', aggregate: 'mean' },
                ],
              })
            }
          >
            Add query
          </button>
        </div>
        <fieldset class="card">
          <legend>Display</legend>
          <div class="form-grid">
            <label>
              Unit
              <input
                value={o.unit ?? ''}
                placeholder="°C, %, V"
                onInput={(e) =>
                  setPanel({ ...panel, options: { ...o, unit: e.currentTarget.value || undefined } })
                }
              />
            </label>
            <label>
              Decimals
              <input
                type="number"
                min={0}
                max={12}
                value={o.decimals ?? ''}
                onInput={(e) =>
                  setPanel({
                    ...panel,
                    options: {
                      ...o,
                      decimals:
                        e.currentTarget.value === '' ? undefined : clampInt(e.currentTarget.value, 0, 12),
                    },
                  })
                }
              />
            </label>
            <label>
              Min
              <input
                type="number"
                value={o.min ?? ''}
                onInput={(e) =>
                  setPanel({ ...panel, options: { ...o, min: numOrUndef(e.currentTarget.value) } })
                }
              />
            </label>
            <label>
              Max
              <input
                type="number"
                value={o.max ?? ''}
                onInput={(e) =>
                  setPanel({ ...panel, options: { ...o, max: numOrUndef(e.currentTarget.value) } })
                }
              />
            </label>
            <label>
              Thresholds
              <CommitInput
                value={formatThresholds(o.thresholds)}
                placeholder="green, 80: orange, 90: red"
                onCommit={(v) => setPanel({ ...panel, options: { ...o, thresholds: parseThresholds(v) } })}
              />
            </label>
            {panel.type === 'timeseries' ? (
              <>
                <label>
                  Style
                  <select
                    value={o.drawStyle ?? 'line'}
                    onChange={(e) =>
                      setPanel({ ...panel, options: { ...o, drawStyle: e.currentTarget.value as 'line' } })
                    }
                  >
                    <option value="line">Lines</option>
                    <option value="points">Points</option>
                    <option value="bars">Bars</option>
                  </select>
                </label>
                <label class="row" style={{ flexDirection: 'row', alignItems: 'center' }}>
                  <input
                    type="checkbox"
                    checked={o.showThresholds ?? false}
                    onChange={(e) =>
                      setPanel({ ...panel, options: { ...o, showThresholds: e.currentTarget.checked } })
                    }
                  />
                  Show thresholds as lines
                </label>
                <label class="row" style={{ flexDirection: 'row', alignItems: 'center' }}>
                  <input
                    type="checkbox"
                    checked={o.fill ?? false}
                    onChange={(e) => setPanel({ ...panel, options: { ...o, fill: e.currentTarget.checked } })}
                  />
                  Fill under lines
                </label>
              </>
            ) : null}
          </div>
        </fieldset>
        <div>
          <h3>Preview</h3>
          <ErrorBox error={previewError} />
          <div class="panel" style={{ height: `${Math.max(4, panel.gridPos.h) * 30}px` }}>
            <div class="panel-header">
              <span class="panel-title">{panel.title}</span>
            </div>
            <div class="panel-body">
              <PanelView panel={panel} data={preview} version={0} range={props.range} />
            </div>
          </div>
        </div>
      </div>
    </Modal>
  );
}

function QueryEditor(props: {
  index: number;
  query: PanelQuery;
  database: string | undefined;
  text: string;
  onChange: (q: PanelQuery) => void;
  onRemove: () => void;
}) {
  const q = props.query;
  const [fields, setFields] = useState<string[]>([]);
  const [tagKeys, setTagKeys] = useState<string[]>([]);
  const raw = q.influxql !== undefined;
  useEffect(() => {
    if (raw || !q.measurement) return;
    const m = `"${q.measurement.replace(/"/g, '\\"')}"`;
    void influxql(`SHOW FIELD KEYS FROM ${m}; SHOW TAG KEYS FROM ${m}`, q.database ?? props.database).then(
      (r) => {
        setFields((r[0]?.series?.[0]?.values ?? []).map((v) => String(v[0])));
        setTagKeys((r[1]?.series?.[0]?.values ?? []).map((v) => String(v[0])));
      },
      () => undefined,
    );
  }, [q.measurement, raw]);
  const tagText = Object.entries(q.tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return (
    <fieldset class="card">
      <legend>Query {String.fromCharCode(65 + props.index)}</legend>
      <div class="row" style={{ marginBottom: '8px' }}>
        <button
          type="button"
          class={raw ? '' : 'active'}
          onClick={() => raw && props.onChange({ measurement: '', field: 'value', aggregate: 'mean' })}
        >
          Builder
        </button>
        <button
          type="button"
          class={raw ? 'active' : ''}
          onClick={() =>
            !raw &&
            props.onChange({
              influxql: props.text
                .replace(/time >= \d+ms AND time <= \d+ms/, '$timeFilter')
                .replace(/time\(\d+\w+\)/, 'time($__interval)'),
              ...(q.alias ? { alias: q.alias } : {}),
            })
          }
        >
          InfluxQL
        </button>
        <div class="spacer" />
        <button type="button" class="danger" onClick={props.onRemove}>
          Remove query
        </button>
      </div>
      {raw ? (
        <label>
          InfluxQL ($timeFilter, $__interval and $variables are replaced)
          <textarea
            aria-label="InfluxQL"
            value={q.influxql}
            onInput={(e) => props.onChange({ ...q, influxql: e.currentTarget.value })}
          />
        </label>
      ) : (
        <div class="form-grid">
          <label>
            Measurement
            <CommitInput
              list="measurements"
              value={q.measurement ?? ''}
              onCommit={(v) => props.onChange({ ...q, measurement: v })}
            />
          </label>
          <label>
            Field
            <CommitInput
              list={`fields-${props.index}`}
              value={q.field ?? ''}
              onCommit={(v) => props.onChange({ ...q, field: v })}
            />
            <datalist id={`fields-${props.index}`}>
              {fields.map((f) => (
                <option key={f} value={f} />
              ))}
            </datalist>
          </label>
          <label>
            Aggregate
            <select
              value={q.aggregate ?? 'mean'}
              onChange={(e) =>
                props.onChange({ ...q, aggregate: e.currentTarget.value as PanelQuery['aggregate'] })
              }
            >
              {BUILDER_AGGREGATES.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label>
            Interval
            <CommitInput
              value={q.interval ?? 'auto'}
              placeholder="auto, 10s, 1m"
              onCommit={(v) => props.onChange({ ...q, interval: v === 'auto' || v === '' ? undefined : v })}
            />
          </label>
          <label>
            Tags (k=v, k=$var, k=/re/)
            <CommitInput
              value={tagText}
              placeholder={tagKeys.length > 0 ? `${tagKeys[0]}=…` : ''}
              onCommit={(v) => props.onChange({ ...q, tags: parseTags(v) })}
            />
          </label>
          <label>
            Group by tags
            <CommitInput
              value={(q.groupBy ?? []).join(', ')}
              placeholder={tagKeys.join(', ')}
              onCommit={(v) => props.onChange({ ...q, groupBy: splitList(v) })}
            />
          </label>
        </div>
      )}
      <label style={{ marginTop: '8px' }}>
        Legend (alias; $tag_device, $field)
        <input
          value={q.alias ?? ''}
          onInput={(e) => props.onChange({ ...q, alias: e.currentTarget.value || undefined })}
        />
      </label>
      {raw ? null : (
        <pre class="small" role="note" aria-label="Generated InfluxQL">
          {props.text}
        </pre>
      )}
    </fieldset>
  );
}

/**
 * A text field that applies its text when it is committed (Enter, or leaving the field), for values that are
 * parsed (tags, thresholds) or that start a query (measurement). It keeps what is typed in its own state: a
 * re-render while typing (suggestions or a preview arriving) must not put the old value back.
 */
function CommitInput(props: {
  value: string;
  onCommit: (value: string) => void;
  list?: string;
  placeholder?: string;
}) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  return (
    <input
      value={text}
      list={props.list}
      placeholder={props.placeholder}
      onInput={(e) => setText(e.currentTarget.value)}
      onChange={(e) => {
        if (e.currentTarget.value !== props.value) props.onCommit(e.currentTarget.value);
      }}
    />
  );
}

function newPanel(d: Dashboard): Panel {
  const bottom = d.panels.reduce((m, p) => Math.max(m, p.gridPos.y + p.gridPos.h), 0);
  let n = d.panels.length + 1;
  while (d.panels.some((p) => p.id === `panel-${n}`)) n++;
  return {
    id: `panel-${n}`,
    type: 'timeseries',
    title: 'New panel',
    gridPos: { x: 0, y: bottom, w: 12, h: 8 },
    queries: [{ measurement: '', field: 'value', aggregate: 'mean' }],
    options: {},
  };
}

function parseTags(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of splitList(text)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export function parseThresholds(text: string): Threshold[] | undefined {
  const steps = splitList(text).map((part, i): Threshold => {
    const colon = part.indexOf(':');
    if (colon < 0) return { value: i === 0 ? null : Number.NaN, color: part };
    return { value: Number(part.slice(0, colon)), color: part.slice(colon + 1).trim() };
  });
  const ok = steps.filter((s) => s.value === null || Number.isFinite(s.value));
  return ok.length > 0 ? ok : undefined;
}

export function formatThresholds(t: readonly Threshold[] | undefined): string {
  return (t ?? []).map((s) => (s.value === null ? s.color : `${s.value}: ${s.color}`)).join(', ');
}

const clampInt = (v: string, lo: number, hi: number) =>
  Math.max(lo, Math.min(hi, Math.round(Number(v) || lo)));
const numOrUndef = (v: string) => (v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

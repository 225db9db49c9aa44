import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Dashboard, Panel, StoredDashboard } from '../../../src/dashboards/model';
import { ApiError, canEdit, get, influxql, put, type Session } from '../api';
import { ErrorBox, useInterval } from '../components/ui';
import { escapeRegex, resolveVars, type VarValues, variableValues } from '../influxql';
import { LiveConnection, type LivePoint } from '../live';
import { type Frame, frameKey, frameLabel, groupTagsOf, LiveFrame, type PanelData } from '../panels/data';
import { type LivePlan, liveCapable, loadPanel } from '../panels/load';
import { PanelView } from '../panels/panel-view';
import { mark } from '../panels/timeseries';
import { navigate, setQueryParams } from '../router';
import { isRelative, parseDurationMs, resolveRange } from '../time';
import { PanelEditor } from './panel-editor';
import { PanelEditMenu } from './panel-layout';
import { TimeRangePicker } from './time-range';
import { VariableSelect } from './variable-select';

const REFRESH_CHOICES = ['off', 'live', '5s', '10s', '30s', '1m', '5m'];

interface PanelState {
  data?: PanelData;
  error?: unknown;
  version: number;
  loading: boolean;
}

export function DashboardPage({ uid, session }: { uid: string; session: Session }) {
  const [stored, setStored] = useState<StoredDashboard>();
  const [dash, setDash] = useState<Dashboard>();
  const [loadError, setLoadError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [editing, setEditing] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [editPanel, setEditPanel] = useState<Panel | 'new'>();
  const params = new URLSearchParams(location.search);
  const [timeRange, setTimeRange] = useState<{ from: string; to: string }>();
  const [refresh, setRefresh] = useState<string>();
  const [varOptions, setVarOptions] = useState<Record<string, string[]>>({});
  const [varCurrent, setVarCurrent] = useState<Record<string, string>>({});
  const [panels, setPanels] = useState<Record<string, PanelState>>({});
  const [now, setNow] = useState(Date.now());
  const [liveStatus, setLiveStatus] = useState<string>('');

  useEffect(() => {
    setStored(undefined);
    setLoadError(undefined);
    get<StoredDashboard>(`/api/v1/dashboards/${encodeURIComponent(uid)}`).then(
      (d) => {
        setStored(d);
        setDash(d);
        setTimeRange({ from: params.get('from') ?? d.time.from, to: params.get('to') ?? d.time.to });
        setRefresh(params.get('refresh') ?? d.refresh);
        const cur: Record<string, string> = {};
        for (const v of d.variables) {
          const fromUrl = params.get(`var-${v.name}`);
          if (fromUrl !== null) cur[v.name] = fromUrl;
          else if (v.current !== undefined) cur[v.name] = v.current;
        }
        setVarCurrent(cur);
        document.title = `${d.title} · sensorhub`;
      },
      (err: unknown) => setLoadError(err),
    );
  }, [uid]);

  // Variables: every query-backed variable loads its values, all at once.
  useEffect(() => {
    if (!dash) return;
    const ctl = new AbortController();
    void Promise.all(
      dash.variables.map(async (v): Promise<[string, string[]]> => {
        if (!v.query) return [v.name, variableValues(v, undefined)];
        const [r] = await influxql(v.query, dash.database, ctl.signal).catch(() => []);
        return [v.name, variableValues(v, r?.series ?? [])];
      }),
    ).then((entries) => {
      if (!ctl.signal.aborted) setVarOptions(Object.fromEntries(entries));
    });
    return () => ctl.abort();
  }, [dash?.variables]);

  const live = refresh === 'live' && timeRange !== undefined && isRelative(timeRange);
  const range = useMemo(
    () => (timeRange ? resolveRange(timeRange, now) : { from: 0, to: 0 }),
    [timeRange, now],
  );
  // Keyed by content: a new object with the same values (the variables' options arriving, even for a
  // dashboard without variables) must not reload every panel. It did: each load sent every query twice,
  // the first batch aborted but still run by the server (bench/web.ts: 24 queries for 12 panels).
  const varsKey = JSON.stringify(resolveVars(dash?.variables ?? [], varOptions, varCurrent));
  const vars: VarValues = useMemo(() => JSON.parse(varsKey) as VarValues, [varsKey]);
  const varsReady = (dash?.variables ?? []).every((v) => !v.query || varOptions[v.name] !== undefined);

  // Live frames and plans of each panel, kept outside render state: points mutate them in place.
  const liveFrames = useRef(new Map<string, Map<string, LiveFrame>>());
  const livePlans = useRef(new Map<string, LivePlan[]>());
  const [reloadTick, setReloadTick] = useState(0);

  /**
   * Loads panels: the requests go out together (no waterfall), each panel draws when its data arrives. A
   * load of a panel supersedes the panel's earlier one (its answer is dropped if it comes late).
   */
  const panelSeq = useRef(new Map<string, number>());
  const loadPanels = (panels: readonly Panel[], signal: AbortSignal) => {
    if (!dash || !timeRange) return;
    const resolved = resolveRange(timeRange);
    setNow(Date.now());
    for (const panel of panels) {
      const seq = (panelSeq.current.get(panel.id) ?? 0) + 1;
      panelSeq.current.set(panel.id, seq);
      const current = () => panelSeq.current.get(panel.id) === seq && !signal.aborted;
      setPanels((p) => ({ ...p, [panel.id]: { ...(p[panel.id] ?? { version: 0 }), loading: true } }));
      loadPanel(dash, panel, resolved, vars, live, signal).then(
        ({ data, plans }) => {
          if (!current()) return;
          mark(`panel-data:${panel.id}`);
          const frames = new Map<string, LiveFrame>();
          for (const plan of plans) {
            for (const f of data.frames) {
              if (f.queryIndex !== plan.queryIndex) continue;
              const lf = new LiveFrame(f, plan.aggregate, plan.intervalMs);
              const seed = plan.seed.get(f.key);
              if (seed) lf.seed(seed.times, seed.values);
              frames.set(f.key, lf);
            }
          }
          liveFrames.current.set(panel.id, frames);
          livePlans.current.set(panel.id, plans);
          setPanels((p) => ({
            ...p,
            [panel.id]: { data, version: (p[panel.id]?.version ?? 0) + 1, loading: false },
          }));
        },
        (error: unknown) => {
          if (!current()) return;
          setPanels((p) => ({
            ...p,
            [panel.id]: { ...(p[panel.id] ?? { version: 0 }), error, loading: false },
          }));
        },
      );
    }
  };

  useEffect(() => {
    if (!dash || !timeRange || !varsReady) return;
    const ctl = new AbortController();
    loadPanels(dash.panels, ctl.signal);
    return () => ctl.abort();
  }, [dash, timeRange, vars, varsReady, live, reloadTick]);

  // Live points wait here for the once-a-second flush (see the live interval below).
  const liveQueue = useRef<Array<[Panel, number, readonly LivePoint[]]>>([]);

  // Live mode: one WebSocket; each live-capable query subscribes to its measurement and field.
  useEffect(() => {
    if (!live || !dash) return;
    const conn = new LiveConnection();
    conn.onStatus = (s, err) => setLiveStatus(err ? `live: ${err}` : s === 'open' ? '' : `live: ${s}…`);
    const offs: Array<() => void> = [];
    for (const panel of dash.panels) {
      panel.queries.forEach((q, qi) => {
        if (q.influxql !== undefined || !q.measurement || !q.field) return;
        const tags: Record<string, string> = {};
        for (const [k, v] of Object.entries(q.tags ?? {})) {
          const m = /^\$\{?(\w+)\}?$/.exec(v);
          const vals = m ? vars[m[1] ?? ''] : undefined;
          // A variable's values always go as an anchored, escaped regex: a value that looks like /…/ (a
          // device names its own tags) must match itself exactly, as in the query, not act as a pattern.
          tags[k] = vals ? `/^(${vals.map(escapeRegex).join('|')})$/` : v;
        }
        offs.push(
          conn.subscribe(
            { database: q.database ?? dash.database, measurement: q.measurement, fields: [q.field], tags },
            (points) => liveQueue.current.push([panel, qi, points]),
            () => setReloadTick((t) => t + 1),
          ),
        );
      });
    }
    return () => {
      for (const off of offs) off();
      conn.close();
      liveQueue.current = [];
      setLiveStatus('');
    };
  }, [live, dash, vars]);

  function applyLive(panel: Panel, qi: number, points: readonly LivePoint[]) {
    const plans = livePlans.current.get(panel.id);
    const plan = plans?.find((p) => p.queryIndex === qi);
    const frames = liveFrames.current.get(panel.id);
    if (!plan || !frames) return;
    const q = plan.query;
    const field = q.field ?? 'value';
    let changed = false;
    setPanels((p) => {
      const st = p[panel.id];
      if (!st?.data) return p;
      for (const pt of points) {
        const v = pt.fields[field];
        if (v === undefined) continue;
        const groupTags = groupTagsOf(pt.tags, q.groupBy ?? []);
        const key = frameKey(qi, q.measurement ?? '', groupTags, field);
        let lf = frames.get(key);
        if (!lf) {
          const frame: Frame = {
            key,
            label: frameLabel(q, q.measurement ?? '', groupTags, field, panel.queries.length > 1),
            measurement: q.measurement ?? '',
            tags: groupTags,
            field,
            queryIndex: qi,
            times: [],
            values: [],
          };
          st.data.frames.push(frame);
          lf = new LiveFrame(frame, plan.aggregate, plan.intervalMs);
          frames.set(key, lf);
        }
        if (lf.add(pt.t, v)) changed = true;
      }
      return changed
        ? {
            ...p,
            [panel.id]: { ...st, data: { ...st.data, frames: [...st.data.frames] }, version: st.version + 1 },
          }
        : p;
    });
  }

  // The window slides every second in live mode, and the points that came since are applied in the same
  // tick: one render and one redraw per second for the whole dashboard, however many messages (the server
  // sends up to 10/s), series and panels there are. Applying each message at once cost 3-4× the CPU
  // (bench/web.ts, 50 series at 1 Hz: 25% of a core → 7%).
  // Old points are dropped from live frames.
  useInterval(
    () => {
      const t = Date.now();
      const queued = liveQueue.current;
      liveQueue.current = [];
      for (const [panel, qi, points] of queued) applyLive(panel, qi, points);
      setNow(t);
      if (!timeRange) return;
      const from = resolveRange(timeRange, t).from;
      for (const frames of liveFrames.current.values())
        for (const lf of frames.values()) lf.trim(from - 60_000);
    },
    live ? 1000 : undefined,
  );
  // Auto-refresh reloads every panel; in live mode only the panels live points cannot keep current
  // (InfluxQL text, median/spread/stddev) are re-run, every 5 s; the others never refetch.
  const refreshMs = live ? 5000 : refresh && refresh !== 'off' ? parseDurationMs(refresh) : undefined;
  const refreshCtl = useRef<AbortController | undefined>(undefined);
  useInterval(() => {
    if (!live) {
      setReloadTick((t) => t + 1);
      return;
    }
    const lagging = (dash?.panels ?? []).filter((p) => p.queries.some((q) => !liveCapable(q)));
    if (lagging.length === 0) return;
    refreshCtl.current?.abort();
    refreshCtl.current = new AbortController();
    loadPanels(lagging, refreshCtl.current.signal);
  }, refreshMs);
  useEffect(() => () => refreshCtl.current?.abort(), []);

  if (loadError) {
    return (
      <div class="stack">
        <ErrorBox error={loadError} />
        <a href="/dashboards">Back to dashboards</a>
      </div>
    );
  }
  if (!dash || !stored || !timeRange) return <div class="empty">Loading dashboard…</div>;

  const editable = canEdit(session) && stored.source === 'api';
  const update = (next: Dashboard) => {
    setDash(next);
    setDirty(true);
  };
  const save = async () => {
    setSaveError(undefined);
    try {
      const saved = await put<StoredDashboard>(`/api/v1/dashboards/${encodeURIComponent(uid)}`, {
        ...dash,
        time: timeRange,
        refresh: refresh ?? dash.refresh,
        version: stored.version,
      });
      setStored(saved);
      setDirty(false);
      setEditing(false);
    } catch (err) {
      setSaveError(err);
    }
  };

  return (
    <div>
      <div class="page-header">
        <h1>{dash.title}</h1>
        {liveStatus ? (
          <span class="badge warn">{liveStatus}</span>
        ) : live ? (
          <span class="badge ok" title="New points stream in">
            Live
          </span>
        ) : null}
      </div>
      <div class="dash-toolbar">
        {dash.variables.map((v) => (
          <VariableSelect
            key={v.name}
            variable={v}
            options={varOptions[v.name]}
            current={varCurrent[v.name]}
            onChange={(value) => {
              setVarCurrent((c) => ({ ...c, [v.name]: value }));
              setQueryParams({ [`var-${v.name}`]: value });
            }}
          />
        ))}
        <div class="spacer" />
        <TimeRangePicker
          value={timeRange}
          onChange={(r) => {
            setTimeRange(r);
            setQueryParams({ from: r.from, to: r.to });
          }}
        />
        <label class="row" style={{ flexDirection: 'row', alignItems: 'center' }}>
          <span class="hide-phone">Refresh</span>
          <select
            aria-label="Refresh"
            value={refresh}
            onChange={(e) => {
              const r = e.currentTarget.value;
              setRefresh(r);
              setQueryParams({ refresh: r });
            }}
          >
            {[...new Set([...REFRESH_CHOICES, dash.refresh])].map((r) => (
              <option key={r} value={r}>
                {r === 'live' ? 'Live' : r === 'off' ? 'Off' : `Every ${r}`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setReloadTick((t) => t + 1)} aria-label="Reload">
          ⟳
        </button>
        <a
          class="btn"
          href={`/api/v1/dashboards/${encodeURIComponent(uid)}`}
          download={`${uid}.json`}
          title="Export as JSON"
        >
          Export
        </a>
        {editable ? (
          editing ? (
            <>
              <button type="button" onClick={() => setEditPanel('new')}>
                Add panel
              </button>
              <button type="button" class="primary" onClick={() => void save()} disabled={!dirty}>
                Save
              </button>
              <button
                type="button"
                onClick={() => {
                  setDash(stored);
                  setDirty(false);
                  setEditing(false);
                }}
              >
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          )
        ) : stored.source === 'file' ? (
          <span class="muted small" title={stored.path}>
            Provisioned from a file
          </span>
        ) : null}
      </div>
      <ErrorBox error={saveError} />
      {dash.panels.length === 0 ? (
        <div class="empty card">
          This dashboard has no panels yet.{' '}
          {editable ? (
            <button
              type="button"
              class="primary"
              onClick={() => {
                setEditing(true);
                setEditPanel('new');
              }}
            >
              Add panel
            </button>
          ) : null}
        </div>
      ) : null}
      <div class="dash-grid">
        {dash.panels.map((panel) => {
          const st = panels[panel.id];
          return (
            <section
              key={panel.id}
              class="panel"
              aria-label={panel.title || 'panel'}
              data-panel-id={panel.id}
              data-loaded={st?.data ? 'true' : 'false'}
              style={{
                gridColumn: `${panel.gridPos.x + 1} / span ${panel.gridPos.w}`,
                gridRow: `${panel.gridPos.y + 1} / span ${panel.gridPos.h}`,
                '--mobile-h': `${Math.max(140, panel.gridPos.h * 30)}px`,
              }}
            >
              <div class="panel-header">
                <h2 class="panel-title" title={panel.description ?? panel.title}>
                  {panel.title}
                </h2>
                {st?.loading ? (
                  <span class="muted small" aria-hidden="true">
                    …
                  </span>
                ) : null}
                {editing ? (
                  <PanelEditMenu
                    dashboard={dash}
                    panel={panel}
                    onEdit={() => setEditPanel(panel)}
                    onChange={update}
                  />
                ) : null}
              </div>
              <div class="panel-body">
                {st?.error ? (
                  <div class="panel-error" role="alert">
                    {st.error instanceof ApiError ? `${st.error.code}: ` : ''}
                    {(st.error as Error).message}
                  </div>
                ) : (
                  <PanelView
                    panel={panel}
                    data={st?.data}
                    version={st?.version ?? 0}
                    range={range}
                    onZoom={(from, to) => {
                      const r = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
                      setTimeRange(r);
                      setQueryParams({ from: r.from, to: r.to });
                    }}
                  />
                )}
              </div>
            </section>
          );
        })}
      </div>
      {editPanel ? (
        <PanelEditor
          dashboard={dash}
          panel={editPanel === 'new' ? undefined : editPanel}
          range={range}
          vars={vars}
          onCancel={() => setEditPanel(undefined)}
          onApply={(p) => {
            const exists = dash.panels.some((x) => x.id === p.id);
            update({
              ...dash,
              panels: exists ? dash.panels.map((x) => (x.id === p.id ? p : x)) : [...dash.panels, p],
            });
            setEditPanel(undefined);
          }}
        />
      ) : null}
      {!editable && canEdit(session) && stored.source === 'file' ? (
        <p class="muted small">
          This dashboard comes from {stored.path ?? 'a provisioning file'}: edit the file, or{' '}
          <a
            href={`/dashboards?copy=${encodeURIComponent(uid)}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/dashboards?copy=${encodeURIComponent(uid)}`);
            }}
          >
            save a copy
          </a>{' '}
          to change it here.
        </p>
      ) : null}
    </div>
  );
}

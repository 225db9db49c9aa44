import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Panel, PanelQuery } from '../../../src/dashboards/model';
import { type InfluxSeries, influxql, type Session } from '../api';
import { CopyButton, ErrorBox } from '../components/ui';
import { builderQuery, quoteIdent } from '../influxql';
import { type PanelData, toFrames } from '../panels/data';
import { Table } from '../panels/simple';
import { TimeSeries } from '../panels/timeseries';
import { setQueryParams } from '../router';
import { autoIntervalMs, resolveRange } from '../time';
import { TimeRangePicker } from './time-range';

/**
 * Ad-hoc queries: pick database, measurement, field, tags and aggregate, or type InfluxQL; see a chart and a
 * table; copy the query as InfluxQL or as a curl command.
 */
export function ExplorePage(_: { session: Session }) {
  const params = new URLSearchParams(location.search);
  const [databases, setDatabases] = useState<string[]>([]);
  const [db, setDb] = useState(params.get('db') ?? '');
  const [measurements, setMeasurements] = useState<string[]>([]);
  const [fields, setFields] = useState<string[]>([]);
  const [tagKeys, setTagKeys] = useState<string[]>([]);
  const [q, setQ] = useState<PanelQuery>({
    measurement: params.get('m') ?? '',
    field: params.get('f') ?? '',
    aggregate: 'mean',
  });
  const [mode, setMode] = useState<'builder' | 'influxql'>(params.get('q') ? 'influxql' : 'builder');
  const [text, setText] = useState(params.get('q') ?? '');
  const [range, setRange] = useState({ from: params.get('from') ?? 'now-1h', to: params.get('to') ?? 'now' });
  const [result, setResult] = useState<{
    series: InfluxSeries[];
    data: PanelData;
    ms: number;
    query: string;
  }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Explore · sensorhub';
    void influxql('SHOW DATABASES', undefined).then(([r]) => {
      const names = (r?.series?.[0]?.values ?? []).map((v) => String(v[0]));
      setDatabases(names);
      if (!db && names.length > 0) setDb(names.includes('sensors') ? 'sensors' : (names[0] ?? ''));
    }, setError);
  }, []);
  useEffect(() => {
    if (!db) return;
    void influxql('SHOW MEASUREMENTS', db).then(
      ([r]) => setMeasurements((r?.series?.[0]?.values ?? []).map((v) => String(v[0]))),
      setError,
    );
  }, [db]);
  useEffect(() => {
    if (!db || !q.measurement) return;
    const m = quoteIdent(q.measurement);
    void influxql(`SHOW FIELD KEYS FROM ${m}; SHOW TAG KEYS FROM ${m}`, db).then((r) => {
      const fs = (r[0]?.series?.[0]?.values ?? []).map((v) => String(v[0]));
      setFields(fs);
      setTagKeys((r[1]?.series?.[0]?.values ?? []).map((v) => String(v[0])));
      if (fs.length > 0 && !fs.includes(q.field ?? '')) setQ((old) => ({ ...old, field: fs[0] }));
    }, setError);
  }, [db, q.measurement]);

  const resolved = useMemo(() => resolveRange(range), [range, result]);
  const built =
    q.measurement && q.field
      ? builderQuery(
          q,
          {
            range: resolved,
            intervalMs: autoIntervalMs(resolved, Math.min(window.innerWidth, 2000)),
            vars: {},
          },
          resolved,
          q.aggregate ?? 'mean',
        )
      : '';
  const query = mode === 'builder' ? built : text;

  const run = async () => {
    if (!query) return;
    setBusy(true);
    setError(undefined);
    const t0 = performance.now();
    try {
      const [r] = await influxql(query, db || undefined);
      if (r?.error) throw new Error(r.error);
      const series = r?.series ?? [];
      setResult({
        series,
        data: { frames: toFrames(0, q, series, false), series, errors: [] },
        ms: performance.now() - t0,
        query,
      });
      setQueryParams({
        db,
        q: mode === 'influxql' ? text : undefined,
        m: q.measurement,
        f: q.field,
        from: range.from,
        to: range.to,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (mode === 'builder' && built) void run();
  }, [db, q, range]);

  const panel: Panel = {
    id: 'explore',
    type: 'timeseries',
    title: '',
    gridPos: { x: 0, y: 0, w: 24, h: 10 },
    queries: [q],
    options: {},
  };
  const curl = `curl -G '${location.origin}/query' -u "$SENSORHUB_USER:$SENSORHUB_PASSWORD" --data-urlencode 'db=${db}' --data-urlencode "q=${query.replace(/"/g, '\\"')}"`;
  const chartable = result?.data.frames.some(
    (f) => f.values.some((v) => typeof v === 'number') && f.times.some((t) => t > 0),
  );
  return (
    <div class="stack">
      <div class="page-header">
        <h1>Explore</h1>
        <TimeRangePicker value={range} onChange={setRange} />
      </div>
      <div class="card stack">
        <div class="row">
          <label>
            Database
            <select value={db} onChange={(e) => setDb(e.currentTarget.value)}>
              {databases.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <div class="spacer" />
          <button type="button" class={mode === 'builder' ? 'active' : ''} onClick={() => setMode('builder')}>
            Builder
          </button>
          <button
            type="button"
            class={mode === 'influxql' ? 'active' : ''}
            onClick={() => {
              if (mode === 'builder' && built) setText(built);
              setMode('influxql');
            }}
          >
            InfluxQL
          </button>
        </div>
        {mode === 'builder' ? (
          <div class="form-grid">
            <label>
              Measurement
              <select
                value={q.measurement}
                onChange={(e) => setQ({ ...q, measurement: e.currentTarget.value })}
              >
                <option value="">–</option>
                {measurements.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Field
              <select value={q.field} onChange={(e) => setQ({ ...q, field: e.currentTarget.value })}>
                {fields.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Aggregate
              <select
                value={q.aggregate}
                onChange={(e) => setQ({ ...q, aggregate: e.currentTarget.value as PanelQuery['aggregate'] })}
              >
                {[
                  'mean',
                  'min',
                  'max',
                  'last',
                  'first',
                  'sum',
                  'count',
                  'median',
                  'spread',
                  'stddev',
                  'raw',
                ].map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Group by tag
              <select
                value={q.groupBy?.[0] ?? ''}
                onChange={(e) =>
                  setQ({ ...q, groupBy: e.currentTarget.value ? [e.currentTarget.value] : undefined })
                }
              >
                <option value="">none</option>
                {tagKeys.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
          </div>
        ) : (
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void run();
            }}
          >
            <textarea
              aria-label="InfluxQL"
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  void run();
                }
              }}
              placeholder={'SELECT mean("value") FROM "pot" WHERE time > now() - 1h GROUP BY time(1m)'}
            />
            <div class="row">
              <button type="submit" class="primary" disabled={busy || text.trim() === ''}>
                Run query
              </button>
              <span class="muted small">Ctrl+Enter runs it</span>
            </div>
          </form>
        )}
        {query ? (
          <div class="row">
            <code class="small" style={{ flex: 1, minWidth: 0, overflowWrap: 'anywhere' }}>
              {query}
            </code>
            <CopyButton text={query} label="Copy InfluxQL" />
            <CopyButton text={curl} label="Copy as curl" />
          </div>
        ) : null}
      </div>
      <ErrorBox error={error} />
      {result ? (
        <>
          <div class="muted small">
            {result.series.length} series, {result.series.reduce((n, s) => n + s.values.length, 0)} rows in{' '}
            {Math.round(result.ms)} ms
          </div>
          {chartable ? (
            <div class="panel" style={{ height: '340px' }}>
              <div class="panel-body">
                <TimeSeries panel={panel} frames={result.data.frames} version={0} range={resolved} />
              </div>
            </div>
          ) : null}
          <div class="panel" style={{ maxHeight: '480px' }}>
            <Table panel={panel} series={result.series} />
          </div>
        </>
      ) : null}
    </div>
  );
}

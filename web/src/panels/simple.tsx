import type { Panel } from '../../../src/dashboards/model';
import type { InfluxSeries } from '../api';
import { formatNumber } from '../components/ui';
import { formatTime } from '../time';
import { color, PALETTE, thresholdColor } from './colors';
import { type Cell, type Frame, lastValue } from './data';
import { unitSuffix } from './units';

const fmt = (panel: Panel, v: Cell | undefined) => {
  if (v === undefined || v === null) return '–';
  if (typeof v !== 'number') return String(v);
  return `${formatNumber(v, panel.options.decimals)}${unitSuffix(panel.options.unit)}`;
};

/** The last value of each series, big, coloured by thresholds. */
export function Stat({ panel, frames }: { panel: Panel; frames: readonly Frame[] }) {
  if (frames.length === 0) return <NoData />;
  const shown = frames.slice(0, 12);
  return (
    <div class="row" style={{ height: '100%', flexWrap: 'nowrap', gap: '12px' }}>
      {shown.map((f) => {
        const last = lastValue(f);
        const v = last?.value;
        const c = thresholdColor(typeof v === 'number' ? v : null, panel.options.thresholds, 'var(--text)');
        return (
          <div
            key={f.key}
            style={{ flex: 1, height: '100%', display: 'flex', flexDirection: 'column', minWidth: 0 }}
          >
            {shown.length > 1 ? (
              <div class="muted small" style={{ textAlign: 'center' }}>
                {f.label}
              </div>
            ) : null}
            <div
              class="stat-value"
              data-testid="stat-value"
              title={last ? formatTime(last.time) : 'no data'}
              style={{
                color: c,
                fontSize: `clamp(16px, ${Math.max(14, 48 / Math.sqrt(shown.length))}px, 8vw)`,
                flex: 1,
              }}
            >
              {fmt(panel, v)}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** A 240° arc from min to max, filled to the value, coloured by thresholds. */
export function Gauge({ panel, frames }: { panel: Panel; frames: readonly Frame[] }) {
  if (frames.length === 0) return <NoData />;
  const min = panel.options.min ?? 0;
  const max = panel.options.max ?? 100;
  return (
    <div class="row" style={{ height: '100%', flexWrap: 'nowrap', justifyContent: 'space-around' }}>
      {frames.slice(0, 8).map((f) => {
        const last = lastValue(f);
        const v = typeof last?.value === 'number' ? last.value : null;
        const frac = v === null ? 0 : Math.min(1, Math.max(0, (v - min) / (max - min || 1)));
        const c = thresholdColor(v, panel.options.thresholds, PALETTE[0] ?? '#3b82f6');
        const arc = (from: number, to: number) => {
          const a0 = (-210 + 240 * from) * (Math.PI / 180);
          const a1 = (-210 + 240 * to) * (Math.PI / 180);
          const p = (a: number) => `${50 + 40 * Math.cos(a)} ${55 + 40 * Math.sin(a)}`;
          return `M ${p(a0)} A 40 40 0 ${to - from > 0.75 ? 1 : 0} 1 ${p(a1)}`;
        };
        return (
          <div
            key={f.key}
            style={{ flex: 1, height: '100%', minWidth: 0, display: 'flex', flexDirection: 'column' }}
          >
            <svg
              viewBox="0 0 100 90"
              style={{ flex: 1, minHeight: 0 }}
              role="img"
              aria-label={`${f.label}: ${fmt(panel, v)}`}
            >
              <path d={arc(0, 1)} fill="none" stroke="var(--bg-3)" stroke-width="9" stroke-linecap="round" />
              {frac > 0 ? (
                <path d={arc(0, frac)} fill="none" stroke={c} stroke-width="9" stroke-linecap="round" />
              ) : null}
              <text x="50" y="60" text-anchor="middle" fill="var(--text)" font-size="15" font-weight="600">
                {fmt(panel, v)}
              </text>
            </svg>
            {frames.length > 1 ? (
              <div class="muted small" style={{ textAlign: 'center' }}>
                {f.label}
              </div>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

/** Horizontal bars of each series' last value (Grafana's bar gauge). */
export function Bars({ panel, frames }: { panel: Panel; frames: readonly Frame[] }) {
  if (frames.length === 0) return <NoData />;
  const lasts = frames.map((f) => {
    const v = lastValue(f)?.value;
    return typeof v === 'number' ? v : null;
  });
  const min = panel.options.min ?? Math.min(0, ...lasts.filter((v): v is number => v !== null));
  const max = panel.options.max ?? Math.max(...lasts.filter((v): v is number => v !== null), min + 1);
  return (
    <div class="bars">
      {frames.map((f, i) => {
        const v = lasts[i] ?? null;
        const frac = v === null ? 0 : Math.min(1, Math.max(0, (v - min) / (max - min || 1)));
        const c = thresholdColor(v, panel.options.thresholds, PALETTE[i % PALETTE.length] ?? '#3b82f6');
        return (
          <div class="bar-row" key={f.key}>
            <span
              title={f.label}
              style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
            >
              {f.label}
            </span>
            <div class="bar-track">
              <div class="bar-fill" style={{ width: `${frac * 100}%`, background: c }} />
            </div>
            <span class="mono">{fmt(panel, v)}</span>
          </div>
        );
      })}
    </div>
  );
}

/**
 * The result as a table: one row per series with its tags and latest values when there are several series,
 * else the rows themselves (newest first, at most 500).
 */
export function Table({ panel, series }: { panel: Panel; series: readonly InfluxSeries[] }) {
  if (series.length === 0) return <NoData />;
  if (series.length > 1) {
    const tagKeys = [...new Set(series.flatMap((s) => Object.keys(s.tags ?? {})))].sort();
    const cols = [...new Set(series.flatMap((s) => s.columns))];
    return (
      <div class="table-wrap" style={{ height: '100%', overflow: 'auto', border: 'none' }}>
        <table class="table">
          <thead>
            <tr>
              <th>measurement</th>
              {tagKeys.map((k) => (
                <th key={k}>{k}</th>
              ))}
              {cols.map((c) => (
                <th key={c} class={c === 'time' ? '' : 'num'}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {series.map((s, i) => {
              const row = s.values[s.values.length - 1] ?? [];
              return (
                <tr key={i}>
                  <td>{s.name}</td>
                  {tagKeys.map((k) => (
                    <td key={k}>{s.tags?.[k] ?? ''}</td>
                  ))}
                  {cols.map((c) => {
                    const v = row[s.columns.indexOf(c)];
                    return (
                      <td key={c} class={c === 'time' ? '' : 'num'}>
                        {c === 'time' && typeof v === 'number' ? formatTime(v) : fmt(panel, v ?? null)}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    );
  }
  const s = series[0] as InfluxSeries;
  const rows = s.values.slice(-500).reverse();
  return (
    <div class="table-wrap" style={{ height: '100%', overflow: 'auto', border: 'none' }}>
      <table class="table">
        <thead>
          <tr>
            {s.columns.map((c) => (
              <th key={c} class={c === 'time' ? '' : 'num'}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((v, j) => (
                <td key={j} class={s.columns[j] === 'time' ? '' : 'num'}>
                  {s.columns[j] === 'time' && typeof v === 'number' ? formatTime(v) : fmt(panel, v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Runs of equal values as coloured segments over the time range (alert states, on/off). */
export function StateTimeline({
  panel,
  frames,
  range,
}: {
  panel: Panel;
  frames: readonly Frame[];
  range: { from: number; to: number };
}) {
  if (frames.length === 0) return <NoData />;
  const span = range.to - range.from || 1;
  const mappings = panel.options.mappings ?? [];
  const styleOf = (v: Cell, i: number) => {
    const m = mappings.find((x) => x.value === String(v));
    const c = m?.color
      ? color(m.color)
      : typeof v === 'number'
        ? thresholdColor(v, panel.options.thresholds, PALETTE[i % PALETTE.length] ?? '')
        : PALETTE[hash(String(v)) % PALETTE.length];
    return { text: m?.text ?? fmt(panel, v), color: c ?? '#6b7280' };
  };
  return (
    <div
      style={{
        height: '100%',
        overflow: 'auto',
        display: 'flex',
        flexDirection: 'column',
        justifyContent: 'center',
      }}
    >
      {frames.map((f) => {
        const segs: Array<{ from: number; to: number; v: Cell }> = [];
        for (let i = 0; i < f.times.length; i++) {
          const v = f.values[i] ?? null;
          const t = Math.max(range.from, f.times[i] ?? 0);
          const prev = segs[segs.length - 1];
          if (prev && prev.v === v) continue;
          if (prev) prev.to = t;
          segs.push({ from: t, to: range.to, v });
        }
        return (
          <div class="timeline-row" key={f.key}>
            <div class="timeline-label" title={f.label}>
              {f.label}
            </div>
            <div class="timeline-bar">
              {segs
                .filter((s) => s.v !== null && s.to > range.from)
                .map((s, i) => {
                  const st = styleOf(s.v, i);
                  return (
                    <div
                      key={i}
                      title={`${st.text}: ${formatTime(s.from)} – ${formatTime(s.to)}`}
                      style={{
                        left: `${((s.from - range.from) / span) * 100}%`,
                        width: `${((s.to - s.from) / span) * 100}%`,
                        background: st.color,
                      }}
                    >
                      {st.text}
                    </div>
                  );
                })}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** The newest image: a frame whose value is a URL or a blob key (binary ingest rules store both). */
export function ImagePanel({ frames }: { panel: Panel; frames: readonly Frame[] }) {
  const f = frames[0];
  const last = f ? lastValue(f) : undefined;
  if (!last || typeof last.value !== 'string') return <NoData text="No image yet" />;
  const v = last.value;
  const src = /^(https?:)?\//.test(v) ? v : `/api/v1/blobs/${v.split('/').map(encodeURIComponent).join('/')}`;
  return (
    <div
      style={{ height: '100%', display: 'flex', flexDirection: 'column', alignItems: 'center', gap: '4px' }}
    >
      <img
        src={src}
        alt={`latest image, ${formatTime(last.time)}`}
        style={{ flex: 1, minHeight: 0, maxWidth: '100%', objectFit: 'contain' }}
      />
      <span class="muted small">{formatTime(last.time)}</span>
    </div>
  );
}

export function NoData({ text = 'No data' }: { text?: string }) {
  return (
    <div class="empty" style={{ padding: '8px' }}>
      {text}
    </div>
  );
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

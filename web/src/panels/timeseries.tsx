import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Panel } from '../../../src/dashboards/model';
import { formatNumber } from '../components/ui';
import { cssVar, onThemeChange } from '../theme';
import { color, PALETTE } from './colors';
import type { Frame } from './data';
import { unitSuffix } from './units';

/**
 * Time series with uPlot: multi-series, legend with live values, drag to zoom (double-click resets),
 * tooltips through the legend, thresholds as dashed lines. Redraws are coalesced to one per animation frame,
 * so live updates at any rate cost at most one draw per frame.
 */
export function TimeSeries({
  panel,
  frames,
  version,
  range,
  onZoom,
}: {
  panel: Panel;
  frames: readonly Frame[];
  /** Bumped when frames changed in place (live mode). */
  version: number;
  range: { from: number; to: number };
  onZoom?: (from: number, to: number) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const layout = useRef('');
  const builtFor = useRef<Panel | undefined>(undefined);
  const raf = useRef(0);
  const latest = useRef({ frames, range });
  latest.current = { frames, range };

  const build = () => {
    const host = el.current;
    if (!host) return;
    plot.current?.destroy();
    const { frames: fs } = latest.current;
    const opts = options(panel, fs, host, onZoom);
    let first = true;
    opts.hooks?.draw?.push((u) => {
      // For tests and the benchmark (bench/web.ts): when the panel first drew, and what it holds now.
      if (first) {
        first = false;
        mark(`panel-drawn:${panel.id}`);
      }
      host.dataset.points = String(u.data[0].length);
      host.dataset.series = String(u.series.length - 1);
      host.dataset.lastX = String(u.data[0][u.data[0].length - 1] ?? '');
    });
    plot.current = new uPlot(opts, aligned(fs), host);
    layout.current = frames.map((f) => f.key).join('\n');
    builtFor.current = panel;
  };

  useEffect(() => {
    const ro = new ResizeObserver(() => {
      const host = el.current;
      if (host && plot.current) plot.current.setSize(size(host));
    });
    if (el.current) ro.observe(el.current);
    const off = onThemeChange(() => build());
    return () => {
      ro.disconnect();
      off();
      cancelAnimationFrame(raf.current);
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, []);

  useEffect(() => {
    const keys = frames.map((f) => f.key).join('\n');
    // One effect decides between a rebuild and a cheap setData: a separate effect on `panel` built the chart
    // a second time on mount (twice the work for 100k points).
    if (!plot.current || keys !== layout.current || builtFor.current !== panel) {
      build();
      return;
    }
    cancelAnimationFrame(raf.current);
    raf.current = requestAnimationFrame(() => {
      const u = plot.current;
      if (!u) return;
      u.batch(() => {
        u.setData(aligned(latest.current.frames), false);
        u.setScale('x', { min: latest.current.range.from / 1000, max: latest.current.range.to / 1000 });
      });
    });
  }, [frames, version, range.from, range.to, panel]);

  return <div ref={el} class="ts-host" style={{ width: '100%', height: '100%' }} />;
}

/** A User Timing mark that replaces the previous one of the same name, so repeated loads keep one each. */
export function mark(name: string): void {
  performance.clearMarks(name);
  performance.mark(name);
}

function size(host: HTMLElement) {
  const legend = host.querySelector<HTMLElement>('.u-legend');
  const lh = legend ? legend.offsetHeight : 0;
  return { width: Math.max(50, host.clientWidth), height: Math.max(40, host.clientHeight - lh - 4) };
}

/** Frames → uPlot's aligned columns: one sorted x array (seconds) and a y array per frame. */
export function aligned(frames: readonly Frame[]): uPlot.AlignedData {
  if (frames.length === 0) return [[]];
  if (frames.length === 1) {
    const f = frames[0] as Frame;
    return [f.times.map((t) => t / 1000), f.values.map((v) => (typeof v === 'number' ? v : null))];
  }
  const tables = frames.map(
    (f) =>
      [
        f.times.map((t) => t / 1000),
        f.values.map((v) => (typeof v === 'number' ? v : null)),
      ] as uPlot.AlignedData,
  );
  return uPlot.join(tables);
}

function options(
  panel: Panel,
  frames: readonly Frame[],
  host: HTMLElement,
  onZoom: ((from: number, to: number) => void) | undefined,
): uPlot.Options {
  const o = panel.options;
  const text = cssVar('--text-2');
  const grid = cssVar('--border');
  const unit = unitSuffix(o.unit);
  const fmt = (v: number | null) => (v === null ? '–' : `${formatNumber(v, o.decimals)}${unit}`);
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const thresholds = o.showThresholds ? (o.thresholds ?? []).filter((t) => t.value !== null) : [];
  const paths = o.drawStyle === 'bars' ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
  const { width, height } = {
    width: Math.max(50, host.clientWidth),
    height: Math.max(40, host.clientHeight - 28),
  };
  return {
    width,
    height,
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false, setScale: false } },
    scales: {
      x: { time: true },
      y: {
        // Threshold lines are part of what the panel shows: keep them in view.
        range: (_u, dmin, dmax) => {
          const tv = thresholds.map((t) => t.value as number);
          const min = Math.min(dmin, ...tv);
          const max = Math.max(dmax, ...tv);
          const pad = min === max ? 1 : (max - min) * 0.05;
          return [o.min ?? min - pad, o.max ?? max + pad];
        },
      },
    },
    axes: [axis, { ...axis, size: 56, values: (_u, vals) => vals.map((v) => formatNumber(v, o.decimals)) }],
    series: [
      {},
      ...frames.map((f, i) => {
        const c = PALETTE[i % PALETTE.length] ?? '#3b82f6';
        return {
          label: f.label,
          stroke: c,
          width: 1.5,
          fill: o.fill ? `${c}22` : undefined,
          spanGaps: true,
          value: (_u: uPlot, v: number | null) => fmt(v),
          points: { show: o.drawStyle === 'points' ? true : undefined, size: 4 },
          ...(o.drawStyle === 'points' ? { paths: () => null } : {}),
          ...(paths ? { paths } : {}),
        } satisfies uPlot.Series;
      }),
    ],
    hooks: {
      draw: [
        (u) => {
          if (thresholds.length === 0) return;
          const ctx = u.ctx;
          ctx.save();
          ctx.setLineDash([6, 4]);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          for (const t of thresholds) {
            const y = u.valToPos(t.value as number, 'y', true);
            if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
            ctx.strokeStyle = color(t.color);
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
      setSelect: [
        (u) => {
          if (!onZoom || u.select.width < 5) return;
          const from = u.posToVal(u.select.left, 'x') * 1000;
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(Math.round(from), Math.round(to));
        },
      ],
    },
  };
}

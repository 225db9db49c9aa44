import { useEffect } from 'preact/hooks';
import type { Panel } from '../../../src/dashboards/model';
import type { PanelData } from './data';
import { Bars, Gauge, ImagePanel, NoData, Stat, StateTimeline, Table } from './simple';
import { mark, TimeSeries } from './timeseries';

/** Draws a panel's data with the renderer of its type. */
export function PanelView(props: {
  panel: Panel;
  data: PanelData | undefined;
  version: number;
  range: { from: number; to: number };
  onZoom?: (from: number, to: number) => void;
}) {
  const { panel, data, range } = props;
  // Time series mark their first uPlot draw themselves; the others are drawn once their render is painted.
  useEffect(() => {
    if (data && panel.type !== 'timeseries') mark(`panel-drawn:${panel.id}`);
  }, [data !== undefined, panel.id, panel.type]);
  if (!data) return <NoData text="Loading…" />;
  if (panel.queries.length === 0) return <NoData text="No query: edit the panel to add one" />;
  const errors = data.errors.filter((e) => e !== '');
  if (errors.length > 0 && data.frames.length === 0) {
    return (
      <div class="panel-error" role="alert">
        {errors.map((e) => (
          <div key={e}>{e}</div>
        ))}
      </div>
    );
  }
  switch (panel.type) {
    case 'timeseries':
      return (
        <TimeSeries
          panel={panel}
          frames={data.frames}
          version={props.version}
          range={range}
          {...(props.onZoom ? { onZoom: props.onZoom } : {})}
        />
      );
    case 'stat':
      return <Stat panel={panel} frames={data.frames} />;
    case 'gauge':
      return <Gauge panel={panel} frames={data.frames} />;
    case 'bar':
      return <Bars panel={panel} frames={data.frames} />;
    case 'table':
      return <Table panel={panel} series={data.series} />;
    case 'state-timeline':
      return <StateTimeline panel={panel} frames={data.frames} range={range} />;
    case 'image':
      return <ImagePanel panel={panel} frames={data.frames} />;
  }
}

import type { Dashboard, Panel } from '../../../src/dashboards/model';

/**
 * Moving, resizing and removing panels in edit mode, with buttons (keyboard-usable) rather than dragging.
 * Moves go by 2 columns or one panel height; sizes by 2 columns or 2 rows; the grid is 24 columns wide.
 */
type Change = (p: Panel['gridPos']) => Partial<Panel['gridPos']>;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

const ACTIONS: ReadonlyArray<{ label: string; text: string; change: Change }> = [
  { label: 'Move left', text: '←', change: (g) => ({ x: clamp(g.x - 2, 0, 24 - g.w) }) },
  { label: 'Move right', text: '→', change: (g) => ({ x: clamp(g.x + 2, 0, 24 - g.w) }) },
  { label: 'Move up', text: '↑', change: (g) => ({ y: Math.max(0, g.y - g.h) }) },
  { label: 'Move down', text: '↓', change: (g) => ({ y: g.y + g.h }) },
  { label: 'Narrower', text: '−', change: (g) => ({ w: clamp(g.w - 2, 2, 24 - g.x) }) },
  { label: 'Wider', text: '+', change: (g) => ({ w: clamp(g.w + 2, 2, 24 - g.x) }) },
  { label: 'Taller', text: '⇕', change: (g) => ({ h: clamp(g.h + 2, 2, 40) }) },
  { label: 'Shorter', text: '⇳', change: (g) => ({ h: clamp(g.h - 2, 2, 40) }) },
];

/** The edit-mode buttons of one panel: edit, move, resize, remove. */
export function PanelEditMenu(props: {
  dashboard: Dashboard;
  panel: Panel;
  onEdit: () => void;
  onChange: (d: Dashboard) => void;
}) {
  const { dashboard: d, panel } = props;
  const layout = (change: Change) =>
    props.onChange({
      ...d,
      panels: d.panels.map((p) =>
        p.id === panel.id ? { ...p, gridPos: { ...p.gridPos, ...change(p.gridPos) } } : p,
      ),
    });
  return (
    <div class="row panel-menu" style={{ gap: '2px' }}>
      <button type="button" onClick={props.onEdit} aria-label={`Edit ${panel.title}`}>
        Edit
      </button>
      {ACTIONS.map((a) => (
        <button key={a.label} type="button" onClick={() => layout(a.change)} aria-label={a.label}>
          {a.text}
        </button>
      ))}
      <button
        type="button"
        class="danger"
        aria-label={`Remove ${panel.title}`}
        onClick={() => props.onChange({ ...d, panels: d.panels.filter((p) => p.id !== panel.id) })}
      >
        ✕
      </button>
    </div>
  );
}

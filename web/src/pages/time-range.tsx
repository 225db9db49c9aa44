import { useState } from 'preact/hooks';
import { Modal } from '../components/ui';
import { describeRange, parseTime, QUICK_RANGES } from '../time';

/** Quick ranges (last 5m … 30d) in a select, and a custom from/to dialog (relative or absolute). */
export function TimeRangePicker({
  value,
  onChange,
}: {
  value: { from: string; to: string };
  onChange: (r: { from: string; to: string }) => void;
}) {
  const [custom, setCustom] = useState(false);
  const quick = value.to === 'now' && QUICK_RANGES.some((r) => r.from === value.from) ? value.from : 'custom';
  return (
    <>
      <select
        aria-label="Time range"
        value={quick}
        onChange={(e) => {
          const v = e.currentTarget.value;
          if (v === 'custom') setCustom(true);
          else onChange({ from: v, to: 'now' });
        }}
      >
        {QUICK_RANGES.map((r) => (
          <option key={r.from} value={r.from}>
            {r.label}
          </option>
        ))}
        <option value="custom">{quick === 'custom' ? describeRange(value) : 'Custom…'}</option>
      </select>
      {custom ? (
        <CustomRange
          value={value}
          onClose={() => setCustom(false)}
          onApply={(r) => {
            setCustom(false);
            onChange(r);
          }}
        />
      ) : null}
    </>
  );
}

function CustomRange(props: {
  value: { from: string; to: string };
  onClose: () => void;
  onApply: (r: { from: string; to: string }) => void;
}) {
  const [from, setFrom] = useState(props.value.from);
  const [to, setTo] = useState(props.value.to);
  const now = Date.now();
  const f = parseTime(from, now);
  const t = parseTime(to, now);
  const error =
    f === undefined
      ? 'From is not a time (now-2h, 2026-11-22T08:00:00Z)'
      : t === undefined
        ? 'To is not a time'
        : f >= t
          ? 'From must be before To'
          : '';
  return (
    <Modal
      title="Custom time range"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            class="primary"
            disabled={error !== ''}
            onClick={() => props.onApply({ from, to })}
          >
            Apply
          </button>
        </>
      }
    >
      <div class="form-grid">
        <label>
          From
          <input
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
            placeholder="now-6h or 2026-11-22T08:00:00Z"
          />
        </label>
        <label>
          To
          <input value={to} onInput={(e) => setTo(e.currentTarget.value)} placeholder="now" />
        </label>
      </div>
      <p class="muted small">
        {error || `${new Date(f ?? 0).toLocaleString()} → ${new Date(t ?? 0).toLocaleString()}`}
      </p>
    </Modal>
  );
}

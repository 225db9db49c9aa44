import type { Variable } from '../../../src/dashboards/model';
import { ALL, firstValue } from '../influxql';

/** A dashboard variable's choice: its values (and All where it allows it) in a labelled select. */
export function VariableSelect(props: {
  variable: Variable;
  options: readonly string[] | undefined;
  current: string | undefined;
  onChange: (value: string) => void;
}) {
  const v = props.variable;
  return (
    <label class="row" style={{ flexDirection: 'row', alignItems: 'center' }}>
      {v.label ?? v.name}
      <select
        aria-label={v.label ?? v.name}
        value={props.current ?? firstValue(v, props.options)}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {v.includeAll ? <option value={ALL}>All</option> : null}
        {(props.options ?? v.values ?? []).map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

import { useState } from 'preact/hooks';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { post, put } from '../api';
import { ErrorBox, Modal } from '../components/ui';
import { durationLiteral } from '../time';

/** An alert rule as the API takes and returns it (docs/alerts.md); the server validates it. */
export type AlertRuleConfig = Record<string, unknown> & {
  name?: string;
  source?: unknown;
  condition?: unknown;
  reducer?: unknown;
  window?: unknown;
};

type Format = 'yaml' | 'json';

const REDUCERS = ['avg', 'min', 'max', 'last', 'sum', 'count'];
const OPS = ['>', '>=', '<', '<=', 'outside', 'inside'];
const DURATION_KEYS = ['window', 'for', 'keepFiringFor'] as const;

const NEW_RULE: AlertRuleConfig = {
  name: '',
  source: { measurement: '', field: 'value' },
  groupBy: [],
  reducer: 'avg',
  window: '1m',
  condition: { op: '>', threshold: 0 },
  for: '0s',
};

/** ms as people write it; durationLiteral() rounds 0 up to 1ms, which is not what the rule said. */
const literal = (ms: number) => (ms === 0 ? '0s' : durationLiteral(ms));

/** The server answers durations in ms; the editor shows them as people write them (`10s`). */
function readable(rule: AlertRuleConfig): AlertRuleConfig {
  const out: AlertRuleConfig = structuredClone(rule);
  for (const k of DURATION_KEYS) if (typeof out[k] === 'number') out[k] = literal(out[k] as number);
  const noData = out.noData as { after?: unknown } | undefined;
  if (noData && typeof noData.after === 'number') noData.after = literal(noData.after);
  return out;
}

function serialize(rule: AlertRuleConfig, format: Format): string {
  return format === 'json' ? `${JSON.stringify(rule, null, 2)}\n` : stringifyYaml(rule);
}

function parseText(text: string, format: Format): AlertRuleConfig {
  const v: unknown = format === 'json' ? JSON.parse(text) : parseYaml(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new Error('the rule must be an object (name, source, condition, …)');
  return v as AlertRuleConfig;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
/** A number when the input is one; else the text as typed, so the server names the problem. */
const numberOr = (s: string): number | string | undefined =>
  s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s;
const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/**
 * Create or edit an API-managed alert rule: a form for the common fields and the whole rule as YAML or JSON
 * (labels, noData, actions…), kept in step. The text is what is sent; the server's validation errors
 * (every problem as `path: message`) are shown as they come.
 */
export function RuleEditor({
  rule,
  onClose,
}: {
  rule?: AlertRuleConfig | undefined;
  onClose: (saved: boolean) => void;
}) {
  const original = rule?.name;
  const [format, setFormat] = useState<Format>('yaml');
  const [draft, setDraft] = useState<AlertRuleConfig>(() => readable(rule ?? NEW_RULE));
  const [source, setSource] = useState(() => serialize(draft, 'yaml'));
  const [parseError, setParseError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const update = (change: (r: AlertRuleConfig) => void) => {
    const next = structuredClone(draft);
    change(next);
    setDraft(next);
    setSource(serialize(next, format));
    setParseError(undefined);
  };
  const onText = (t: string) => {
    setSource(t);
    try {
      setDraft(parseText(t, format));
      setParseError(undefined);
    } catch (err) {
      setParseError((err as Error).message);
    }
  };
  const switchFormat = (f: Format) => {
    if (f === format || parseError) return;
    setFormat(f);
    setSource(serialize(draft, f));
  };

  const src = obj(draft.source);
  const cond = obj(draft.condition);
  const op = text(cond.op) || '>';
  const range = op === 'outside' || op === 'inside';
  const tags = obj(src.tags);
  const setSourceKey = (key: string, value: unknown) =>
    update((r) => {
      const s = obj(r.source);
      if (value === undefined) delete s[key];
      else s[key] = value;
      r.source = s;
    });
  const setKey = (key: string, value: unknown) =>
    update((r) => {
      if (value === undefined || value === '') delete r[key];
      else r[key] = value;
    });
  const setCondition = (key: string, value: unknown) =>
    update((r) => {
      const c = obj(r.condition);
      if (key === 'op') {
        const toRange = value === 'outside' || value === 'inside';
        r.condition = toRange
          ? { op: value, low: c.low ?? 0, high: c.high ?? c.threshold ?? 0 }
          : { op: value, threshold: c.threshold ?? c.high ?? 0 };
        return;
      }
      c[key] = value;
      r.condition = c;
    });

  const save = () => {
    let body: AlertRuleConfig;
    try {
      body = parseText(source, format);
    } catch (err) {
      setParseError((err as Error).message);
      return;
    }
    setBusy(true);
    setError(undefined);
    const request =
      original === undefined
        ? post('/api/v1/alerts/rules', body)
        : put(`/api/v1/alerts/rules/${encodeURIComponent(original)}`, body);
    request.then(
      () => onClose(true),
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };

  return (
    <Modal
      title={original === undefined ? 'New alert rule' : `Edit alert rule ${original}`}
      onClose={() => onClose(false)}
      wide
      footer={
        <>
          <button type="button" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="button" class="primary" disabled={busy || parseError !== undefined} onClick={save}>
            {busy ? 'Saving…' : 'Save rule'}
          </button>
        </>
      }
    >
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <div class="form-grid">
          <label>
            Name
            <input
              value={text(draft.name)}
              required
              disabled={original !== undefined}
              onInput={(e) => setKey('name', e.currentTarget.value)}
            />
          </label>
          <label>
            Measurement
            <input
              value={text(src.measurement)}
              placeholder="temperature"
              onInput={(e) => setSourceKey('measurement', e.currentTarget.value)}
            />
          </label>
          <label>
            Field
            <input
              value={text(src.field)}
              placeholder="value"
              onInput={(e) => setSourceKey('field', e.currentTarget.value || undefined)}
            />
          </label>
          <label>
            Tag filters (k=v, …)
            <input
              value={Object.entries(tags)
                .map(([k, v]) => `${k}=${text(v)}`)
                .join(', ')}
              placeholder="device=bathroom"
              onChange={(e) => {
                const pairs = list(e.currentTarget.value).map((p) => {
                  const eq = p.indexOf('=');
                  return eq < 0 ? [p, ''] : [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
                });
                setSourceKey('tags', pairs.length === 0 ? undefined : Object.fromEntries(pairs));
              }}
            />
          </label>
          <label>
            Group by (tags)
            <input
              value={Array.isArray(draft.groupBy) ? draft.groupBy.join(', ') : ''}
              placeholder="device"
              onChange={(e) => setKey('groupBy', list(e.currentTarget.value))}
            />
          </label>
          <label>
            Reducer
            <select
              value={text(draft.reducer) || 'last'}
              onChange={(e) => setKey('reducer', e.currentTarget.value)}
            >
              {REDUCERS.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <label>
            Window
            <input
              value={text(draft.window)}
              placeholder="1m"
              onInput={(e) => setKey('window', e.currentTarget.value)}
            />
          </label>
          <label>
            Condition
            <select value={op} onChange={(e) => setCondition('op', e.currentTarget.value)}>
              {OPS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
          {range ? (
            <>
              <label>
                Low
                <input
                  inputMode="decimal"
                  value={text(cond.low)}
                  onInput={(e) => setCondition('low', numberOr(e.currentTarget.value))}
                />
              </label>
              <label>
                High
                <input
                  inputMode="decimal"
                  value={text(cond.high)}
                  onInput={(e) => setCondition('high', numberOr(e.currentTarget.value))}
                />
              </label>
            </>
          ) : (
            <>
              <label>
                Threshold
                <input
                  inputMode="decimal"
                  value={text(cond.threshold)}
                  onInput={(e) => setCondition('threshold', numberOr(e.currentTarget.value))}
                />
              </label>
              <label>
                Recovery (optional)
                <input
                  inputMode="decimal"
                  value={typeof draft.recovery === 'object' ? '' : text(draft.recovery)}
                  onInput={(e) => setKey('recovery', numberOr(e.currentTarget.value))}
                />
              </label>
            </>
          )}
          <label>
            For
            <input
              value={text(draft.for)}
              placeholder="0s"
              onInput={(e) => setKey('for', e.currentTarget.value)}
            />
          </label>
          <label>
            Keep firing for
            <input
              value={text(draft.keepFiringFor)}
              placeholder="0s"
              onInput={(e) => setKey('keepFiringFor', e.currentTarget.value)}
            />
          </label>
        </div>
        <div class="row">
          <span class="muted small">The whole rule (labels, noData, actions: see docs/alerts.md):</span>
          <span class="spacer" />
          <fieldset class="row segmented">
            <legend class="visually-hidden">Text format</legend>
            {(['yaml', 'json'] as const).map((f) => (
              <button
                key={f}
                type="button"
                class={format === f ? 'active' : ''}
                aria-pressed={format === f}
                disabled={parseError !== undefined && f !== format}
                onClick={() => switchFormat(f)}
              >
                {f.toUpperCase()}
              </button>
            ))}
          </fieldset>
        </div>
        <label>
          <span class="visually-hidden">Rule as {format.toUpperCase()}</span>
          <textarea
            class="rule-text"
            spellcheck={false}
            value={source}
            onInput={(e) => onText(e.currentTarget.value)}
            rows={16}
          />
        </label>
        {parseError ? (
          <div class="error-box" role="alert">
            <div class="code">{format.toUpperCase()}</div>
            <div>{parseError}</div>
          </div>
        ) : null}
        <ErrorBox error={error} />
      </form>
    </Modal>
  );
}

import { useState } from 'preact/hooks';
import { canEdit, del, get, type Session } from '../api';
import { ErrorBox, formatNumber, Modal, useAsync, useInterval } from '../components/ui';
import { durationLiteral, formatTime, timeAgo } from '../time';
import { type AlertRuleConfig, RuleEditor } from './alert-rule-editor';
import './pages.css';

type AlertState = 'normal' | 'pending' | 'firing' | 'recovering' | 'nodata' | 'error';

/** GET /api/v1/alerts: src/alerts/service.ts AlertRuleView with src/alerts/engine.ts InstanceSnapshot. */
interface InstanceSnapshot {
  readonly instance: string;
  readonly labels: Record<string, string>;
  readonly state: AlertState;
  /** Epoch µs. */
  readonly since: number;
  readonly value: number | null;
  readonly lastSeen: number;
  readonly noData: boolean;
  readonly error: string | null;
}

interface AlertRuleView {
  readonly name: string;
  readonly provisioned: boolean;
  readonly config: AlertRuleConfig;
  readonly instances: InstanceSnapshot[];
}

interface HistoryEntry {
  readonly time: string;
  readonly rule: string;
  readonly instance: string;
  readonly from: string;
  readonly to: string;
  readonly value: number | null;
  readonly message: string;
}

interface DeliveryRecord {
  readonly time: string;
  readonly rule: string;
  readonly instance: string;
  readonly action: { readonly index: number; readonly type: string };
  readonly target: string;
  readonly state: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly status?: number;
  readonly error?: string;
  readonly durationMs: number;
}

const REFRESH_MS = 5000;

const STATE_CLASS: Record<string, string> = {
  normal: 'ok',
  pending: 'warn',
  firing: 'err',
  recovering: 'info',
  nodata: '',
  error: 'err',
};

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge ${STATE_CLASS[state] ?? ''}`}>{state}</span>;
}

/** "avg(value) over 10s > 3000" from a rule's config. */
export function describeRule(c: AlertRuleConfig): string {
  const src = c.source as { measurement?: string; field?: string } | undefined;
  const cond = c.condition as { op?: string; threshold?: number; low?: number; high?: number } | undefined;
  const window = typeof c.window === 'number' ? durationLiteral(c.window) : String(c.window ?? '1m');
  const what = `${String(c.reducer ?? 'last')}(${src?.measurement ?? '?'}.${src?.field ?? 'value'}) over ${window}`;
  if (!cond) return what;
  return cond.threshold !== undefined
    ? `${what} ${cond.op} ${cond.threshold}`
    : `${what} ${cond.op} [${cond.low}, ${cond.high}]`;
}

export function AlertsPage({ session }: { session: Session }) {
  const editor = canEdit(session);
  const [rule, setRule] = useState('');
  const [editing, setEditing] = useState<{ rule?: AlertRuleConfig } | undefined>();
  const [deleting, setDeleting] = useState<string | undefined>();
  const ruleParam = rule ? `&rule=${encodeURIComponent(rule)}` : '';
  const rules = useAsync((signal) => get<{ rules: AlertRuleView[] }>('/api/v1/alerts', signal), []);
  const history = useAsync(
    (signal) =>
      get<{ history: HistoryEntry[] }>(`/api/v1/alerts/history?from=-24h&limit=200${ruleParam}`, signal),
    [ruleParam],
  );
  const deliveries = useAsync(
    (signal) =>
      get<{ deliveries: DeliveryRecord[] }>(`/api/v1/alerts/deliveries?limit=100${ruleParam}`, signal),
    [ruleParam],
  );
  useInterval(() => {
    rules.reload();
    history.reload();
    deliveries.reload();
  }, REFRESH_MS);

  const all = rules.data?.rules ?? [];
  const counts = new Map<string, number>();
  for (const r of all) for (const i of r.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const shownRules = rule ? all.filter((r) => r.name === rule) : all;

  return (
    <div class="page alerts-page">
      <div class="page-header">
        <h1>Alerts</h1>
        <label class="inline-label">
          <span class="visually-hidden">Filter by rule</span>
          <select value={rule} onChange={(e) => setRule(e.currentTarget.value)}>
            <option value="">All rules</option>
            {all.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        {editor ? (
          <button type="button" class="primary" onClick={() => setEditing({})}>
            New rule
          </button>
        ) : null}
      </div>
      <ErrorBox error={rules.error} />
      {rules.data ? (
        <div class="stat-tiles">
          <div class="stat-tile">
            <div class="value">{all.length}</div>
            <div class="label">rules</div>
          </div>
          {(['firing', 'pending', 'nodata', 'error', 'normal'] as const).map((s) => (
            <div key={s} class="stat-tile">
              <div class="value">{counts.get(s) ?? 0}</div>
              <div class="label">
                <StateBadge state={s} />
              </div>
            </div>
          ))}
        </div>
      ) : null}

      <section class="section" aria-labelledby="alert-rules-h">
        <h2 id="alert-rules-h">Rules and current state</h2>
        {rules.data && all.length === 0 ? (
          <div class="empty">
            No alert rules.{' '}
            {editor
              ? 'Create one with "New rule", or in the config file (docs/alerts.md).'
              : 'Rules come from the config file or the API (docs/alerts.md).'}
          </div>
        ) : null}
        <div class="stack">
          {shownRules.map((r) => (
            <article key={r.name} class="card rule-card" aria-label={`Alert rule ${r.name}`}>
              <div class="row">
                <h3 class="rule-name">{r.name}</h3>
                {r.provisioned ? (
                  <span class="badge info" title="From the config file: change it there">
                    provisioned
                  </span>
                ) : null}
                <span class="spacer" />
                {editor && !r.provisioned ? (
                  <>
                    <button
                      type="button"
                      onClick={() => setEditing({ rule: r.config })}
                      aria-label={`Edit rule ${r.name}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => setDeleting(r.name)}
                      aria-label={`Delete rule ${r.name}`}
                    >
                      Delete
                    </button>
                  </>
                ) : null}
              </div>
              <div class="mono small">{describeRule(r.config)}</div>
              {r.provisioned ? (
                <p class="muted small">
                  From the config file (alerts.rules): read-only here; edit the file and restart.
                </p>
              ) : null}
              {r.instances.length === 0 ? (
                <p class="muted small">No instances yet: no point has matched the rule's source.</p>
              ) : (
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th>Instance</th>
                        <th>State</th>
                        <th class="num">Value</th>
                        <th>Since</th>
                        <th>Last point</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.instances.map((i) => (
                        <tr key={i.instance}>
                          <td class="mono small">{i.instance || '(all)'}</td>
                          <td>
                            <StateBadge state={i.state} />
                            {i.error ? <div class="err-text small">{i.error}</div> : null}
                          </td>
                          <td class="num">{formatNumber(i.value)}</td>
                          <td class="nowrap" title={formatTime(i.since / 1000)}>
                            {timeAgo(i.since / 1000)}
                          </td>
                          <td class="nowrap" title={formatTime(i.lastSeen / 1000)}>
                            {timeAgo(i.lastSeen / 1000)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </article>
          ))}
        </div>
      </section>

      <section class="section" aria-labelledby="alert-history-h">
        <h2 id="alert-history-h">History (last 24 h)</h2>
        <ErrorBox error={history.error} />
        {history.data && history.data.history.length === 0 ? (
          <div class="empty">No transitions in the last 24 hours.</div>
        ) : null}
        {history.data && history.data.history.length > 0 ? (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Rule</th>
                  <th>Instance</th>
                  <th>Change</th>
                  <th class="num">Value</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {history.data.history.map((h, n) => (
                  <tr key={`${h.time}-${h.rule}-${h.instance}-${n}`}>
                    <td class="nowrap">{formatTime(Date.parse(h.time))}</td>
                    <td>{h.rule}</td>
                    <td class="mono small">{h.instance || '(all)'}</td>
                    <td class="nowrap">
                      <StateBadge state={h.from} /> → <StateBadge state={h.to} />
                    </td>
                    <td class="num">{formatNumber(h.value)}</td>
                    <td class="small">{h.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      <section class="section" aria-labelledby="alert-deliveries-h">
        <h2 id="alert-deliveries-h">Action deliveries</h2>
        <ErrorBox error={deliveries.error} />
        {deliveries.data && deliveries.data.deliveries.length === 0 ? (
          <div class="empty">No actions delivered since the server started.</div>
        ) : null}
        {deliveries.data && deliveries.data.deliveries.length > 0 ? (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Rule</th>
                  <th>Instance</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>State</th>
                  <th>Result</th>
                  <th class="num">Attempts</th>
                  <th class="num">Duration</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.deliveries.map((d, n) => (
                  <tr key={`${d.time}-${d.rule}-${d.instance}-${d.action.index}-${n}`}>
                    <td class="nowrap">{formatTime(Date.parse(d.time))}</td>
                    <td>{d.rule}</td>
                    <td class="mono small">{d.instance || '(all)'}</td>
                    <td>
                      {d.action.type} #{d.action.index}
                    </td>
                    <td class="mono small break">{d.target}</td>
                    <td>
                      <StateBadge state={d.state} />
                    </td>
                    <td>
                      <span class={`badge ${d.ok ? 'ok' : 'err'}`}>
                        {d.ok ? 'delivered' : 'failed'}
                        {d.status !== undefined ? ` (${d.status})` : ''}
                      </span>
                      {d.error ? <div class="err-text small">{d.error}</div> : null}
                    </td>
                    <td class="num">{d.attempts}</td>
                    <td class="num">{formatNumber(d.durationMs, 0)} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {editing ? (
        <RuleEditor
          rule={editing.rule}
          onClose={(saved) => {
            setEditing(undefined);
            if (saved) rules.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteRuleModal
          name={deleting}
          onClose={(deleted) => {
            setDeleting(undefined);
            if (deleted) {
              if (rule === deleting) setRule('');
              rules.reload();
            }
          }}
        />
      ) : null}
    </div>
  );
}

function DeleteRuleModal({ name, onClose }: { name: string; onClose: (deleted: boolean) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      title={`Delete alert rule ${name}?`}
      onClose={() => onClose(false)}
      footer={
        <>
          <button type="button" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              del(`/api/v1/alerts/rules/${encodeURIComponent(name)}`).then(
                () => onClose(true),
                (err: unknown) => {
                  setError(err);
                  setBusy(false);
                },
              );
            }}
          >
            {busy ? 'Deleting…' : 'Delete rule'}
          </button>
        </>
      }
    >
      <p>Its instances and their state go; its history stays in the history database.</p>
      <ErrorBox error={error} />
    </Modal>
  );
}

import { useRef, useState } from 'preact/hooks';
import { get, isAdmin, post, type Session } from '../api';
import { ErrorBox, formatNumber, useAsync, useInterval } from '../components/ui';
import { formatTime, timeAgo } from '../time';
import { DeadLetters } from './dead-letters';
import './pages.css';

/** GET /api/v1/stats (src/http/plugins/stats-api.ts). */
type MetricJson =
  | {
      readonly type: 'counter' | 'gauge';
      readonly value: number;
      readonly samples: ReadonlyArray<{ labels: Record<string, string>; value: number }>;
    }
  | { readonly type: 'histogram'; readonly count: number; readonly sum: number };

interface Stats {
  /** Epoch ms. */
  readonly time: number;
  readonly uptimeSeconds: number;
  readonly metrics: Record<string, MetricJson>;
}

/** GET /api/v1/broker/clients. */
interface BrokerClient {
  readonly clientId: string;
  readonly username: string | null;
  readonly address: string | null;
  readonly transport: string;
  readonly protocolVersion: number;
  readonly cleanSession: boolean;
  readonly connectedAt: string;
  readonly subscriptions: number;
}

interface RuleTest {
  readonly explain: ReadonlyArray<{ rule: string; matched: boolean; reason: string }>;
  readonly result: 'stored' | 'rejected' | 'skipped';
  readonly rule?: string;
  readonly code?: string;
  readonly message?: string;
  readonly lineProtocol?: string;
}

const REFRESH_MS = 5000;
const PROTOCOL: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

function value(s: Stats | undefined, name: string, labels?: Record<string, string>): number | undefined {
  const m = s?.metrics[name];
  if (!m || m.type === 'histogram') return undefined;
  if (!labels) return m.value;
  return m.samples
    .filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
    .reduce((a, x) => a + x.value, 0);
}

/** Per-second rate of a counter between two samples; undefined until there are two. */
function rate(
  prev: Stats | undefined,
  cur: Stats | undefined,
  name: string,
  labels?: Record<string, string>,
): number | undefined {
  if (!prev || !cur || cur.time <= prev.time) return undefined;
  const a = value(prev, name, labels);
  const b = value(cur, name, labels);
  if (a === undefined || b === undefined) return undefined;
  return Math.max(0, (b - a) / ((cur.time - prev.time) / 1000));
}

export function IngestPage({ session }: { session: Session }) {
  const admin = isAdmin(session);
  const [refresh, setRefresh] = useState(0);
  const samples = useRef<{ prev?: Stats; cur?: Stats }>({});
  const stats = useAsync(
    async (signal) => {
      const s = await get<Stats>('/api/v1/stats', signal);
      samples.current = { prev: samples.current.cur, cur: s };
      return s;
    },
    [refresh],
  );
  const clients = useAsync(
    (signal) =>
      get<{ mode: string; visible: boolean; clients: BrokerClient[] }>('/api/v1/broker/clients', signal),
    [refresh],
  );
  useInterval(() => setRefresh((n) => n + 1), REFRESH_MS);

  const { prev, cur } = samples.current;
  const rejectedByCode = cur?.metrics.sensorhub_ingest_rejected_total;
  const tiles: Array<{ label: string; value: string; hint?: string }> = [
    {
      label: 'messages/s',
      value: formatNumber(rate(prev, cur, 'sensorhub_ingest_messages_total'), 1),
      hint: `${formatNumber(value(cur, 'sensorhub_ingest_messages_total'))} in all`,
    },
    {
      label: 'points/s',
      value: formatNumber(rate(prev, cur, 'sensorhub_ingest_points_total'), 1),
      hint: `${formatNumber(value(cur, 'sensorhub_ingest_points_total'))} in all`,
    },
    {
      label: 'rejected/s',
      value: formatNumber(rate(prev, cur, 'sensorhub_ingest_messages_total', { result: 'rejected' }), 1),
      hint: `${formatNumber(value(cur, 'sensorhub_ingest_messages_total', { result: 'rejected' }))} in all`,
    },
    { label: 'pending points', value: formatNumber(value(cur, 'sensorhub_ingest_pending_points')) },
    { label: 'MQTT clients', value: formatNumber(value(cur, 'sensorhub_mqtt_clients_connected')) },
    {
      label: 'devices online',
      value: `${formatNumber(value(cur, 'sensorhub_devices_online'))} / ${formatNumber(value(cur, 'sensorhub_devices'))}`,
    },
    { label: 'rejected messages kept', value: formatNumber(value(cur, 'sensorhub_store_dead_letters')) },
    { label: 'series stored', value: formatNumber(value(cur, 'sensorhub_store_series')) },
  ];

  return (
    <div class="page ingest-page">
      <div class="page-header">
        <h1>Ingest</h1>
        {cur ? (
          <span class="muted small">up {formatUptime(cur.uptimeSeconds)} · refreshes every 5 s</span>
        ) : null}
      </div>
      <ErrorBox error={stats.error} />
      {cur ? (
        <div class="stat-tiles">
          {tiles.map((t) => (
            <div key={t.label} class="stat-tile">
              <div class="value">{t.value}</div>
              <div class="label">{t.label}</div>
              {t.hint ? <div class="muted small">{t.hint}</div> : null}
            </div>
          ))}
        </div>
      ) : null}
      {!prev && cur ? <p class="muted small">Rates appear after the second sample (5 s).</p> : null}
      {rejectedByCode && rejectedByCode.type !== 'histogram' && rejectedByCode.samples.length > 0 ? (
        <p class="small">
          Rejected since start, by reason:{' '}
          {rejectedByCode.samples.map((s) => (
            <span key={s.labels.reason} class="badge err reason-badge">
              {s.labels.reason} {formatNumber(s.value)}
            </span>
          ))}
        </p>
      ) : null}

      <DeadLetters admin={admin} refresh={refresh} />

      <section class="section" aria-labelledby="broker-clients-h">
        <h2 id="broker-clients-h">Broker clients</h2>
        <ErrorBox error={clients.error} />
        {clients.data && !clients.data.visible ? (
          <div class="empty">
            sensorhub takes its data from an external broker: its clients connect there and are not visible
            here.
          </div>
        ) : null}
        {clients.data?.visible && clients.data.clients.length === 0 ? (
          <div class="empty">No MQTT client is connected.</div>
        ) : null}
        {clients.data?.visible && clients.data.clients.length > 0 ? (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Client id</th>
                  <th>User</th>
                  <th>Address</th>
                  <th>Protocol</th>
                  <th>Connected since</th>
                  <th class="num">Subscriptions</th>
                </tr>
              </thead>
              <tbody>
                {clients.data.clients.map((c) => (
                  <tr key={c.clientId}>
                    <td class="mono small break">{c.clientId}</td>
                    <td>{c.username ?? <span class="muted">anonymous</span>}</td>
                    <td class="mono small">{c.address ?? '–'}</td>
                    <td class="nowrap">
                      MQTT {PROTOCOL[c.protocolVersion] ?? c.protocolVersion} · {c.transport}
                      {c.cleanSession ? '' : ' · persistent session'}
                    </td>
                    <td class="nowrap" title={formatTime(Date.parse(c.connectedAt))}>
                      {timeAgo(Date.parse(c.connectedAt))}
                    </td>
                    <td class="num">{c.subscriptions}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      <Rules />
    </div>
  );
}

function formatUptime(s: number): string {
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** The running ingest rules, and a box that runs a message through them without storing it. */
function Rules() {
  const rules = useAsync(
    (signal) =>
      get<{
        rules: Array<Record<string, unknown>>;
        status: { loadedAt: string; files: string[]; errors: string[] };
      }>('/api/v1/rules', signal),
    [],
  );
  const [topic, setTopic] = useState('sensors/bathroom/temperature');
  const [payload, setPayload] = useState('21.5');
  const [result, setResult] = useState<RuleTest | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | undefined>();

  return (
    <section class="section" aria-labelledby="rules-h">
      <h2 id="rules-h">Rules</h2>
      <ErrorBox error={rules.error} />
      {rules.data ? (
        <>
          <p class="muted small">
            {rules.data.status.files.length > 0
              ? `From ${rules.data.status.files.join(', ')}, plus the built-in defaults. `
              : 'The built-in defaults (no rules file). '}
            Loaded {timeAgo(Date.parse(rules.data.status.loadedAt))}. The first rule whose topic matches
            decides.
          </p>
          {rules.data.status.errors.length > 0 ? (
            <div class="error-box" role="alert">
              <div class="code">CFG_INVALID</div>
              <div>The last reload failed; the rules below are still running:</div>
              <ul>
                {rules.data.status.errors.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Topic</th>
                  <th>Format</th>
                  <th>Measurement</th>
                  <th>Tags</th>
                  <th>On error</th>
                  <th>
                    <span class="visually-hidden">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.data.rules.map((r) => {
                  const name = String(r.name ?? '');
                  return [
                    <tr key={name}>
                      <td>{name}</td>
                      <td class="mono small break">{String(r.topic ?? '')}</td>
                      <td>{String(r.format ?? '')}</td>
                      <td class="mono small">{r.measurement === undefined ? '–' : String(r.measurement)}</td>
                      <td class="mono small">
                        {r.tags && typeof r.tags === 'object'
                          ? Object.entries(r.tags as Record<string, unknown>)
                              .map(([k, v]) => `${k}=${String(v)}`)
                              .join(', ')
                          : '–'}
                      </td>
                      <td>{String(r.onError ?? '')}</td>
                      <td>
                        <button
                          type="button"
                          class="ghost"
                          aria-expanded={open === name}
                          aria-label={`Details of rule ${name}`}
                          onClick={() => setOpen(open === name ? undefined : name)}
                        >
                          {open === name ? '▴' : '▾'}
                        </button>
                      </td>
                    </tr>,
                    open === name ? (
                      <tr key={`${name}-details`}>
                        <td colSpan={7}>
                          <pre>{JSON.stringify(r, null, 2)}</pre>
                        </td>
                      </tr>
                    ) : null,
                  ];
                })}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      <form
        class="card stack rule-test"
        aria-labelledby="rule-test-h"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          post<RuleTest>('/api/v1/rules/test', { topic, payload }).then(
            (r) => {
              setResult(r);
              setBusy(false);
            },
            (err: unknown) => {
              setResult(undefined);
              setError(err);
              setBusy(false);
            },
          );
        }}
      >
        <h3 id="rule-test-h">Test a message</h3>
        <div class="form-grid">
          <label class="span-2">
            Topic
            <input value={topic} required onInput={(e) => setTopic(e.currentTarget.value)} />
          </label>
        </div>
        <label>
          Payload
          <textarea value={payload} rows={3} onInput={(e) => setPayload(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Test
          </button>
          <span class="muted small">Runs the rules on it; nothing is stored.</span>
        </div>
        <ErrorBox error={error} />
        {result ? <RuleTestResult result={result} /> : null}
      </form>
    </section>
  );
}

function RuleTestResult({ result }: { result: RuleTest }) {
  return (
    <div class="stack rule-test-result" role="status">
      <div class="row">
        <span
          class={`badge ${result.result === 'stored' ? 'ok' : result.result === 'rejected' ? 'err' : ''}`}
        >
          {result.result}
        </span>
        {result.rule ? (
          <span>
            by rule <strong>{result.rule}</strong>
          </span>
        ) : (
          <span class="muted">no rule stores this topic</span>
        )}
      </div>
      {result.result === 'rejected' ? (
        <div class="error-box">
          <div class="code">{result.code}</div>
          <div>{result.message}</div>
        </div>
      ) : null}
      {result.lineProtocol ? (
        <div>
          <div class="muted small">Points (line protocol):</div>
          <pre>{result.lineProtocol}</pre>
        </div>
      ) : null}
      <ul class="explain small">
        {result.explain.map((x) => (
          <li key={x.rule}>
            <span class={`badge ${x.matched ? 'ok' : ''}`}>{x.rule}</span> {x.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

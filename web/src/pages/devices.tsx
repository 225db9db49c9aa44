import { useMemo, useState } from 'preact/hooks';
import { del, get, type InfluxSeries, influxql, isAdmin, post, type Session } from '../api';
import { CopyButton, ErrorBox, formatNumber, Modal, useAsync, useInterval } from '../components/ui';
import { formatTime, timeAgo } from '../time';
import { type DeviceConnection, deviceSnippets, exampleTopic } from './device-snippets';
import './pages.css';

/** GET /api/v1/devices (src/devices/registry.ts DeviceInfo). */
interface DeviceInfo {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly online: boolean;
  readonly connections: number;
  readonly lastSeen?: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** GET /api/v1/info. */
export interface ServerInfo {
  readonly database: string;
  readonly mqtt:
    | {
        readonly mode: 'embedded';
        readonly port: number;
        readonly tlsPort?: number;
        readonly wsPath: string;
        readonly wsTls: boolean;
      }
    | { readonly mode: 'external'; readonly url: string };
}

interface LatestValue {
  readonly name: string;
  readonly value: number | string | boolean | null;
  readonly time: number;
}

const REFRESH_MS = 5000;

/**
 * The last value of every field of every measurement per `device` tag over the last day, in one request.
 * The built-in rule puts `sensors/<device>/<sensor>` in measurement `<sensor>` with tag `device`; series
 * without the tag (other topics) are left out by `"device" <> ''`.
 */
const LATEST_QUERY = `SELECT last(*) FROM /.*/ WHERE time > now() - 1d AND "device" <> '' GROUP BY "device"`;

function latestByDevice(series: readonly InfluxSeries[]): Map<string, LatestValue[]> {
  const out = new Map<string, LatestValue[]>();
  for (const s of series) {
    const device = s.tags?.device;
    const row = s.values[0];
    if (!device || !row) continue;
    const list = out.get(device) ?? [];
    s.columns.forEach((col, i) => {
      if (i === 0 || !col.startsWith('last_')) return;
      const value = row[i] ?? null;
      if (value === null) return;
      const field = col.slice('last_'.length);
      list.push({ name: field === 'value' ? s.name : `${s.name}.${field}`, value, time: Number(row[0]) });
    });
    out.set(
      device,
      list.sort((a, b) => a.name.localeCompare(b.name)),
    );
  }
  return out;
}

function showValue(v: LatestValue['value']): string {
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

export function DevicesPage({ session }: { session: Session }) {
  const admin = isAdmin(session);
  const [search, setSearch] = useState('');
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<DeviceInfo | undefined>();
  const info = useAsync((signal) => get<ServerInfo>('/api/v1/info', signal), []);
  const devices = useAsync((signal) => get<{ devices: DeviceInfo[] }>('/api/v1/devices', signal), []);
  const database = info.data?.database;
  const latest = useAsync(
    async (signal) => {
      if (database === undefined) return new Map<string, LatestValue[]>();
      const [result] = await influxql(LATEST_QUERY, database, signal);
      if (result?.error) throw new Error(result.error);
      return latestByDevice(result?.series ?? []);
    },
    [database],
  );
  useInterval(() => {
    devices.reload();
    latest.reload();
  }, REFRESH_MS);

  const list = useMemo(() => {
    const q = search.trim().toLowerCase();
    const all = [...(devices.data?.devices ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    return q === ''
      ? all
      : all.filter((d) => d.name.toLowerCase().includes(q) || d.description.toLowerCase().includes(q));
  }, [devices.data, search]);
  const online = devices.data?.devices.filter((d) => d.online).length ?? 0;

  return (
    <div class="page devices-page">
      <div class="page-header">
        <h1>Devices</h1>
        <label class="inline-label">
          <span class="visually-hidden">Search devices</span>
          <input
            type="search"
            placeholder="Search devices"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </label>
        {admin ? (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add device
          </button>
        ) : null}
      </div>
      {devices.data ? (
        <p class="muted small">
          {devices.data.devices.length} devices, {online} online. Refreshes every 5 s.
        </p>
      ) : null}
      <ErrorBox error={devices.error ?? info.error} />
      {latest.error ? (
        <div class="stack-gap">
          <p class="muted small">Latest values could not be loaded:</p>
          <ErrorBox error={latest.error} />
        </div>
      ) : null}
      {devices.data === undefined ? (
        devices.loading ? (
          <div class="empty">Loading devices…</div>
        ) : null
      ) : list.length === 0 ? (
        <div class="empty">
          {search ? `No device matches "${search}".` : 'No devices yet.'}
          {admin && !search ? ' Add one to get its MQTT credentials.' : ''}
        </div>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Device</th>
                <th>Status</th>
                <th>Last seen</th>
                <th class="num">Connections</th>
                <th>Latest values</th>
                <th>May publish to</th>
                {admin ? (
                  <th>
                    <span class="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.name}>
                  <td>
                    <div class="strong">{d.name}</div>
                    {d.description ? <div class="muted small">{d.description}</div> : null}
                  </td>
                  <td>
                    <span class={`badge ${d.online ? 'ok' : ''}`}>{d.online ? 'online' : 'offline'}</span>
                  </td>
                  <td class="nowrap" title={d.lastSeen ? formatTime(Date.parse(d.lastSeen)) : undefined}>
                    {d.online ? (
                      'now'
                    ) : d.lastSeen ? (
                      timeAgo(Date.parse(d.lastSeen))
                    ) : (
                      <span class="muted">never</span>
                    )}
                  </td>
                  <td class="num">{d.connections}</td>
                  <td>
                    <LatestValues values={latest.data?.get(d.name)} />
                  </td>
                  <td class="mono small">{d.publish.join(', ')}</td>
                  {admin ? (
                    <td>
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Delete device ${d.name}`}
                        onClick={() => setDeleting(d)}
                      >
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {adding ? (
        <AddDeviceModal
          info={info.data}
          onClose={() => {
            setAdding(false);
            devices.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteDeviceModal
          device={deleting}
          onClose={(deleted) => {
            setDeleting(undefined);
            if (deleted) devices.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function LatestValues({ values }: { values: LatestValue[] | undefined }) {
  if (!values || values.length === 0) return <span class="muted small">none in 24 h</span>;
  return (
    <div class="value-chips">
      {values.map((v) => (
        <span
          key={v.name}
          class="value-chip"
          title={`${v.name} at ${formatTime(v.time)} (${timeAgo(v.time)})`}
        >
          <span class="muted">{v.name}</span> <span class="mono">{showValue(v.value)}</span>
        </span>
      ))}
    </div>
  );
}

function DeleteDeviceModal({ device, onClose }: { device: DeviceInfo; onClose: (deleted: boolean) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const remove = () => {
    setBusy(true);
    setError(undefined);
    del(`/api/v1/devices/${encodeURIComponent(device.name)}`).then(
      () => onClose(true),
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return (
    <Modal
      title={`Delete device ${device.name}?`}
      onClose={() => onClose(false)}
      footer={
        <>
          <button type="button" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="button" class="danger" disabled={busy} onClick={remove}>
            {busy ? 'Deleting…' : 'Delete device'}
          </button>
        </>
      }
    >
      <p>
        Its MQTT credentials stop working at once and its open connections are closed. The data it sent stays
        in the store.
      </p>
      <ErrorBox error={error} />
    </Modal>
  );
}

function AddDeviceModal({ info, onClose }: { info: ServerInfo | undefined; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ device: DeviceInfo; password: string } | undefined>();

  if (created) {
    return (
      <Modal
        title={`Device ${created.device.name} added`}
        onClose={onClose}
        wide
        footer={
          <button type="button" class="primary" onClick={onClose}>
            Done
          </button>
        }
      >
        <Credentials created={created} info={info} />
      </Modal>
    );
  }
  return (
    <Modal title="Add device" onClose={onClose}>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          post<{ device: DeviceInfo; password: string }>('/api/v1/devices', {
            name: name.trim(),
            ...(description.trim() ? { description: description.trim() } : {}),
          }).then(setCreated, (err: unknown) => {
            setError(err);
            setBusy(false);
          });
        }}
      >
        <div class="form-grid">
          <label>
            Name
            <input
              name="name"
              value={name}
              required
              autocomplete="off"
              placeholder="bathroom"
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="span-2">
            Description
            <input
              name="description"
              value={description}
              placeholder="ESP32 on the bathroom wall"
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          </label>
        </div>
        <p class="muted small">
          The name is the device's MQTT user name and client id. It may publish below{' '}
          <code>sensors/&lt;name&gt;/</code> and read <code>commands/&lt;name&gt;/</code>.
        </p>
        <ErrorBox error={error} />
        <div class="modal-footer">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add device'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function Credentials({
  created,
  info,
}: {
  created: { device: DeviceInfo; password: string };
  info: ServerInfo | undefined;
}) {
  const { device, password } = created;
  const mqtt = info?.mqtt;
  const external = mqtt?.mode === 'external' ? mqtt : undefined;
  const conn: DeviceConnection = {
    host: external ? hostOf(external.url) : location.hostname,
    port: mqtt?.mode === 'embedded' ? mqtt.port : external ? portOf(external.url) : 1883,
    name: device.name,
    password,
    topic: exampleTopic(device.publish, device.name),
  };
  const snippets = deviceSnippets(conn);
  const [tab, setTab] = useState(snippets[0]?.id ?? '');
  const shown = snippets.find((s) => s.id === tab) ?? snippets[0];
  return (
    <div class="stack">
      <div class="once-warning" role="status">
        <strong>Copy the password now.</strong> It is shown only this once: sensorhub keeps only its hash. If
        it is lost, remove the device and add it again.
      </div>
      <dl class="credentials">
        <dt>User name and client id</dt>
        <dd>
          <code>{device.name}</code> <CopyButton text={device.name} label="Copy user name" />
        </dd>
        <dt>Password</dt>
        <dd>
          <code data-testid="device-password">{password}</code>{' '}
          <CopyButton text={password} label="Copy password" />
        </dd>
        <dt>Broker</dt>
        <dd>
          <code>
            {conn.host}:{conn.port}
          </code>
          {mqtt?.mode === 'embedded' && mqtt.tlsPort !== undefined ? (
            <span class="muted small"> (MQTT over TLS on port {mqtt.tlsPort})</span>
          ) : null}
          {mqtt?.mode === 'embedded' ? (
            <span class="muted small">
              {' '}
              · WebSocket {mqtt.wsTls ? 'wss' : 'ws'}://{location.host}
              {mqtt.wsPath}
            </span>
          ) : null}
        </dd>
        <dt>May publish to</dt>
        <dd class="mono small">{device.publish.join(', ') || '–'}</dd>
        <dt>May subscribe to</dt>
        <dd class="mono small">{device.subscribe.join(', ') || '–'}</dd>
      </dl>
      {external ? (
        <p class="warn-note">
          sensorhub takes its data from an external broker ({external.url}); these credentials are checked
          only by sensorhub's own broker. Give the device an account on the external broker.
        </p>
      ) : null}
      <fieldset class="row segmented">
        <legend class="visually-hidden">Connection snippets</legend>
        {snippets.map((s) => (
          <button
            key={s.id}
            type="button"
            class={s.id === tab ? 'active' : ''}
            aria-pressed={s.id === tab}
            onClick={() => setTab(s.id)}
          >
            {s.label}
          </button>
        ))}
      </fieldset>
      {shown ? (
        <div class="snippet">
          <div class="row">
            <span class="muted small">
              Publishes to <code>{conn.topic}</code>
            </span>
            <span class="spacer" />
            <CopyButton text={shown.code} label={`Copy ${shown.label} code`} />
          </div>
          <pre>
            <code>{shown.code}</code>
          </pre>
        </div>
      ) : null}
    </div>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return location.hostname;
  }
}

function portOf(url: string): number {
  try {
    const u = new URL(url);
    if (u.port) return Number(u.port);
    return u.protocol === 'mqtts:' ? 8883 : 1883;
  } catch {
    return 1883;
  }
}

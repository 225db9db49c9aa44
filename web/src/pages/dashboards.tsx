import { useEffect, useState } from 'preact/hooks';
import type { StoredDashboard } from '../../../src/dashboards/model';
import { canEdit, del, get, post, type Session } from '../api';
import { ErrorBox, Modal, useAsync } from '../components/ui';
import { navigate, onLinkClick, useRoute } from '../router';
import { timeAgo } from '../time';

interface DashboardSummary {
  readonly uid: string;
  readonly title: string;
  readonly tags?: string[];
  readonly source: 'file' | 'api';
  readonly updatedAt: string;
  readonly panels: number;
}

/** The dashboards: search, open, create, import (sensorhub or Grafana JSON), delete. */
export function DashboardsPage({ session }: { session: Session }) {
  const list = useAsync(
    (signal) => get<{ dashboards: DashboardSummary[] }>('/api/v1/dashboards', signal),
    [],
  );
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<'new' | 'import'>();
  const [error, setError] = useState<unknown>();
  const route = useRoute();
  const copyOf = route.query.get('copy');
  useEffect(() => {
    document.title = 'Dashboards · sensorhub';
  }, []);
  useEffect(() => {
    if (copyOf) setDialog('new');
  }, [copyOf]);

  const items = (list.data?.dashboards ?? []).filter(
    (d) =>
      filter === '' || `${d.title} ${(d.tags ?? []).join(' ')}`.toLowerCase().includes(filter.toLowerCase()),
  );
  return (
    <div>
      <div class="page-header">
        <h1>Dashboards</h1>
        <input
          type="search"
          aria-label="Search dashboards"
          placeholder="Search"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        {canEdit(session) ? (
          <>
            <button type="button" onClick={() => setDialog('import')}>
              Import
            </button>
            <button type="button" class="primary" onClick={() => setDialog('new')}>
              New dashboard
            </button>
          </>
        ) : null}
      </div>
      <ErrorBox error={list.error ?? error} />
      {list.data && items.length === 0 ? (
        <div class="empty card">
          {filter
            ? 'No dashboard matches.'
            : 'No dashboards yet. Create one, import a Grafana dashboard, or put files in the dashboards folder (docs/dashboards.md).'}
        </div>
      ) : null}
      <div class="cards">
        {items.map((d) => (
          <div class="card" key={d.uid}>
            <div class="row">
              <a
                href={`/d/${encodeURIComponent(d.uid)}`}
                onClick={(e) => onLinkClick(e, `/d/${encodeURIComponent(d.uid)}`)}
                style={{ fontWeight: 600, fontSize: '15px' }}
              >
                {d.title}
              </a>
              <div class="spacer" />
              {d.source === 'file' ? (
                <span class="badge info" title="Provisioned from a file">
                  file
                </span>
              ) : null}
            </div>
            <div class="muted small">
              {d.panels} panel{d.panels === 1 ? '' : 's'} · updated {timeAgo(Date.parse(d.updatedAt))}
            </div>
            {d.tags && d.tags.length > 0 ? (
              <div class="row small" style={{ marginTop: '6px' }}>
                {d.tags.map((t) => (
                  <span class="badge" key={t}>
                    {t}
                  </span>
                ))}
              </div>
            ) : null}
            {canEdit(session) && d.source === 'api' ? (
              <div class="row" style={{ marginTop: '8px' }}>
                <div class="spacer" />
                <button
                  type="button"
                  class="danger"
                  aria-label={`Delete ${d.title}`}
                  onClick={() => {
                    if (!confirm(`Delete dashboard "${d.title}"?`)) return;
                    del(`/api/v1/dashboards/${encodeURIComponent(d.uid)}`).then(list.reload, setError);
                  }}
                >
                  Delete
                </button>
              </div>
            ) : null}
          </div>
        ))}
      </div>
      {dialog === 'new' ? (
        <NewDashboard copyOf={copyOf ?? undefined} onClose={() => setDialog(undefined)} />
      ) : null}
      {dialog === 'import' ? <ImportDashboard onClose={() => setDialog(undefined)} /> : null}
    </div>
  );
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'dashboard';

function NewDashboard({ onClose, copyOf }: { onClose: () => void; copyOf?: string | undefined }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<unknown>();
  const create = async () => {
    try {
      const base = copyOf
        ? await get<StoredDashboard>(`/api/v1/dashboards/${encodeURIComponent(copyOf)}`)
        : undefined;
      const uid = `${slug(title)}-${Math.random().toString(36).slice(2, 7)}`;
      const doc = base
        ? {
            title,
            uid,
            time: base.time,
            refresh: base.refresh,
            variables: base.variables,
            panels: base.panels,
            ...(base.database ? { database: base.database } : {}),
            ...(base.tags ? { tags: base.tags } : {}),
          }
        : { title, uid, panels: [] };
      const created = await post<StoredDashboard>('/api/v1/dashboards', doc);
      onClose();
      navigate(`/d/${encodeURIComponent(created.uid)}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal
      title={copyOf ? 'Save a copy' : 'New dashboard'}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="primary" disabled={title.trim() === ''} onClick={() => void create()}>
            Create
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (title.trim() !== '') void create();
        }}
      >
        <label>
          Title
          <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
      </form>
      <ErrorBox error={error} />
    </Modal>
  );
}

function ImportDashboard({ onClose }: { onClose: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<{ dashboard: StoredDashboard; unsupported: string[] }>();
  const submit = async (overwrite: boolean) => {
    setError(undefined);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      setError(new Error(`not JSON: ${(err as Error).message}`));
      return;
    }
    try {
      setResult(await post(`/api/v1/dashboards/import${overwrite ? '?overwrite=true' : ''}`, doc));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal
      title="Import a dashboard"
      wide
      onClose={onClose}
      footer={
        result ? (
          <button
            type="button"
            class="primary"
            onClick={() => {
              onClose();
              navigate(`/d/${encodeURIComponent(result.dashboard.uid)}`);
            }}
          >
            Open {result.dashboard.title}
          </button>
        ) : (
          <>
            <button type="button" onClick={() => void submit(true)} disabled={text === ''}>
              Import and replace
            </button>
            <button type="button" class="primary" onClick={() => void submit(false)} disabled={text === ''}>
              Import
            </button>
          </>
        )
      }
    >
      {result ? (
        <div class="stack">
          <p>
            Imported <strong>{result.dashboard.title}</strong>.
          </p>
          {result.unsupported.length > 0 ? (
            <div>
              <h3>Not imported ({result.unsupported.length})</h3>
              <ul>
                {result.unsupported.map((u) => (
                  <li key={u}>{u}</li>
                ))}
              </ul>
            </div>
          ) : (
            <p class="muted">Everything was imported.</p>
          )}
        </div>
      ) : (
        <div class="stack">
          <p class="muted small">
            Paste a sensorhub dashboard (as exported) or a Grafana dashboard JSON with InfluxQL queries, or
            pick a file.
          </p>
          <input
            type="file"
            accept=".json,application/json"
            aria-label="Dashboard file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void file.text().then(setText);
            }}
          />
          <textarea
            aria-label="Dashboard JSON"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            style={{ minHeight: '240px' }}
          />
          <ErrorBox error={error} />
        </div>
      )}
    </Modal>
  );
}

import { useState } from 'preact/hooks';
import { api, get, post } from '../api';
import { ErrorBox, Modal, useAsync } from '../components/ui';
import { formatTime, timeAgo } from '../time';

/** GET /api/v1/dead-letters (src/contract/api.ts DeadLetterDto). */
interface DeadLetter {
  readonly id: number;
  readonly time: string;
  readonly source: string;
  readonly clientId: string;
  readonly topic: string;
  readonly payload: string;
  readonly payloadEncoding: 'utf8' | 'base64';
  readonly payloadSize: number;
  readonly payloadTruncated: boolean;
  readonly rule: string;
  readonly code: string;
  readonly message: string;
}

/** POST /api/v1/dead-letters/replay (src/ingest/replay.ts ReplayReport). */
interface ReplayReport {
  readonly matched: number;
  readonly stored: number;
  readonly points: number;
  readonly rejected: number;
  readonly rejectedByCode: Record<string, number>;
  readonly skipped: number;
  readonly truncated: number;
  readonly examples: ReadonlyArray<{ id: number; topic: string; code: string; message: string }>;
  readonly dryRun: boolean;
}

interface Filter {
  code: string;
  topic: string;
  clientId: string;
  since: string;
  until: string;
}

const EMPTY: Filter = { code: '', topic: '', clientId: '', since: '', until: '' };
const PAGE = 50;

function filterParams(f: Filter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v.trim() !== '') out[k] = v.trim();
  return out;
}

/** Base64 → a hex dump, 16 bytes a line, for binary payloads. */
function hexDump(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = [...bytes.subarray(i, i + 16)];
    const hex = chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = chunk.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/**
 * Rejected messages: filter, page (cursors: `beforeId` newest first, `afterId` oldest first), inspect payloads, replay
 * through the current rules, delete. Replay and delete are for admins.
 */
export function DeadLetters({ admin, refresh }: { admin: boolean; refresh: number }) {
  const [form, setForm] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  /** The last ids of the pages before the current one: the cursor of the next page in either order. */
  const [cursors, setCursors] = useState<number[]>([]);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [report, setReport] = useState<ReplayReport | undefined>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<'selected' | 'filtered' | undefined>();

  const cursor = cursors[cursors.length - 1];
  const params = new URLSearchParams({ ...filterParams(filter), limit: String(PAGE), order });
  if (cursor !== undefined) params.set(order === 'asc' ? 'afterId' : 'beforeId', String(cursor));
  const query = params.toString();
  // First page only on the 5 s refresh: the cursor pages stay put while one reads them.
  const live = cursors.length === 0 ? refresh : 0;
  const page = useAsync(
    (signal) => get<{ total: number; deadLetters: DeadLetter[] }>(`/api/v1/dead-letters?${query}`, signal),
    [query, live],
  );

  const letters = page.data?.deadLetters ?? [];
  const filtered = Object.keys(filterParams(filter)).length > 0;
  const apply = (next: Filter) => {
    setFilter(next);
    setCursors([]);
    setSelected(new Set());
  };
  const toggle = (set: ReadonlySet<number>, id: number) => {
    const next = new Set(set);
    if (!next.delete(id)) next.add(id);
    return next;
  };
  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    work().then(
      () => {
        setBusy(false);
        setSelected(new Set());
        page.reload();
      },
      (err: unknown) => {
        setActionError(err);
        setBusy(false);
      },
    );
  };
  const replay = (ids: number[] | undefined, dryRun: boolean) =>
    run(async () => {
      setReport(undefined);
      const body = ids ? { ids: ids.join(','), dryRun } : { ...filterParams(filter), dryRun };
      setReport(await post<ReplayReport>('/api/v1/dead-letters/replay', body));
    });
  const remove = (which: 'selected' | 'filtered') =>
    run(async () => {
      const q =
        which === 'selected'
          ? new URLSearchParams({ ids: [...selected].join(',') })
          : new URLSearchParams(filtered ? filterParams(filter) : { all: 'true' });
      await api<{ deleted: number }>('DELETE', `/api/v1/dead-letters?${q}`);
      setConfirmDelete(undefined);
    });

  return (
    <section class="section" aria-labelledby="dead-letters-h">
      <h2 id="dead-letters-h">Rejected messages</h2>
      <form
        class="filter-bar"
        onSubmit={(e) => {
          e.preventDefault();
          apply(form);
        }}
      >
        <label>
          Code
          <input
            value={form.code}
            placeholder="ING_DECODE"
            onInput={(e) => setForm({ ...form, code: e.currentTarget.value })}
          />
        </label>
        <label>
          Topic filter
          <input
            value={form.topic}
            placeholder="sensors/+/temperature"
            onInput={(e) => setForm({ ...form, topic: e.currentTarget.value })}
          />
        </label>
        <label>
          Client id
          <input
            value={form.clientId}
            onInput={(e) => setForm({ ...form, clientId: e.currentTarget.value })}
          />
        </label>
        <label>
          Since
          <input
            value={form.since}
            placeholder="-24h or 2026-11-22T06:00Z"
            onInput={(e) => setForm({ ...form, since: e.currentTarget.value })}
          />
        </label>
        <label>
          Until
          <input
            value={form.until}
            placeholder="now"
            onInput={(e) => setForm({ ...form, until: e.currentTarget.value })}
          />
        </label>
        <label>
          Order
          <select
            value={order}
            onChange={(e) => {
              setOrder(e.currentTarget.value === 'asc' ? 'asc' : 'desc');
              setCursors([]);
            }}
          >
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </label>
        <div class="row filter-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setForm(EMPTY);
              apply(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorBox error={page.error} />
      {page.data ? (
        <div class="row toolbar">
          <span class="muted small">
            {page.data.total} {filtered ? 'matching' : 'kept'}
            {letters.length > 0 ? `; showing ${letters.length}` : ''}
          </span>
          <span class="spacer" />
          {admin ? (
            <>
              <button
                type="button"
                disabled={busy || selected.size === 0}
                onClick={() => replay([...selected], false)}
              >
                Replay selected ({selected.size})
              </button>
              <button
                type="button"
                class="primary"
                disabled={busy || page.data.total === 0}
                onClick={() => replay(undefined, false)}
              >
                Replay {filtered ? 'filtered' : 'all'}
              </button>
              <button
                type="button"
                disabled={busy || page.data.total === 0}
                onClick={() => replay(undefined, true)}
                title="Decode only: shows what a replay would do"
              >
                Dry run
              </button>
              <button
                type="button"
                class="danger"
                disabled={busy || selected.size === 0}
                onClick={() => setConfirmDelete('selected')}
              >
                Delete selected
              </button>
              <button
                type="button"
                class="danger"
                disabled={busy || page.data.total === 0}
                onClick={() => setConfirmDelete('filtered')}
              >
                Delete {filtered ? 'filtered' : 'all'}
              </button>
            </>
          ) : null}
        </div>
      ) : null}
      <ErrorBox error={actionError} />
      {report ? <ReplayResult report={report} onClose={() => setReport(undefined)} /> : null}
      {page.data && letters.length === 0 ? (
        <div class="empty">
          {filtered
            ? 'No rejected message matches the filters.'
            : 'No rejected messages. Everything published was stored.'}
        </div>
      ) : null}
      {letters.length > 0 ? (
        <div class="table-wrap">
          <table class="table dead-letters">
            <thead>
              <tr>
                {admin ? (
                  <th>
                    <span class="visually-hidden">Select</span>
                  </th>
                ) : null}
                <th>Time</th>
                <th>Topic</th>
                <th>Client</th>
                <th>Code</th>
                <th>Message</th>
                <th>Rule</th>
                <th>Payload</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((d) => (
                <DeadLetterRow
                  key={d.id}
                  letter={d}
                  admin={admin}
                  open={open.has(d.id)}
                  selected={selected.has(d.id)}
                  onToggleOpen={() => setOpen(toggle(open, d.id))}
                  onToggleSelected={() => setSelected(toggle(selected, d.id))}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {page.data ? (
        <div class="row pager">
          {order === 'asc' || page.data.total > letters.length || cursors.length > 0 ? (
            <>
              <button
                type="button"
                disabled={cursors.length === 0}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Previous page
              </button>
              <button
                type="button"
                disabled={letters.length < PAGE}
                onClick={() => {
                  const last = letters[letters.length - 1];
                  if (last) setCursors([...cursors, last.id]);
                }}
              >
                Next page
              </button>
            </>
          ) : null}
        </div>
      ) : null}
      {confirmDelete ? (
        <Modal
          title={
            confirmDelete === 'selected'
              ? `Delete ${selected.size} rejected messages?`
              : `Delete ${page.data?.total ?? 0} ${filtered ? 'matching' : ''} rejected messages?`
          }
          onClose={() => setConfirmDelete(undefined)}
          footer={
            <>
              <button type="button" onClick={() => setConfirmDelete(undefined)}>
                Cancel
              </button>
              <button type="button" class="danger" disabled={busy} onClick={() => remove(confirmDelete)}>
                Delete
              </button>
            </>
          }
        >
          <p>They cannot be replayed afterwards.</p>
          <ErrorBox error={actionError} />
        </Modal>
      ) : null}
    </section>
  );
}

function DeadLetterRow(props: {
  letter: DeadLetter;
  admin: boolean;
  open: boolean;
  selected: boolean;
  onToggleOpen: () => void;
  onToggleSelected: () => void;
}) {
  const d = props.letter;
  const binary = d.payloadEncoding === 'base64';
  const preview = binary
    ? `${d.payloadSize} bytes binary`
    : d.payload.length > 40
      ? `${d.payload.slice(0, 40)}…`
      : d.payload;
  return (
    <>
      <tr class={props.selected ? 'selected' : ''}>
        {props.admin ? (
          <td>
            <input
              type="checkbox"
              checked={props.selected}
              onChange={props.onToggleSelected}
              aria-label={`Select rejected message ${d.id}`}
            />
          </td>
        ) : null}
        <td class="nowrap" title={formatTime(Date.parse(d.time))}>
          {timeAgo(Date.parse(d.time))}
        </td>
        <td class="mono small break">{d.topic}</td>
        <td class="mono small break">{d.clientId}</td>
        <td>
          <span class="badge err">{d.code}</span>
        </td>
        <td class="small">{d.message}</td>
        <td class="small">{d.rule}</td>
        <td>
          <button
            type="button"
            class="ghost payload-toggle"
            aria-expanded={props.open}
            onClick={props.onToggleOpen}
          >
            <span class="mono small">{preview || '(empty)'}</span> {props.open ? '▴' : '▾'}
          </button>
        </td>
      </tr>
      {props.open ? (
        <tr class="payload-row">
          <td colSpan={props.admin ? 8 : 7}>
            <div class="muted small">
              #{d.id} · {d.source} · {formatTime(Date.parse(d.time))} · {d.payloadSize} bytes
              {binary ? ', binary (hex)' : ''}
              {d.payloadTruncated ? ' · truncated when kept: cannot be replayed' : ''}
            </div>
            <pre>{binary ? hexDump(d.payload) : d.payload}</pre>
          </td>
        </tr>
      ) : null}
    </>
  );
}

function ReplayResult({ report, onClose }: { report: ReplayReport; onClose: () => void }) {
  const codes = Object.entries(report.rejectedByCode);
  return (
    <div class="card replay-report" role="status" aria-label="Replay report">
      <div class="row">
        <h3>{report.dryRun ? 'Dry run (nothing stored or deleted)' : 'Replay done'}</h3>
        <span class="spacer" />
        <button type="button" class="ghost" onClick={onClose} aria-label="Close replay report">
          ✕
        </button>
      </div>
      <ul class="report-list">
        <li>
          {report.matched} looked at; <strong>{report.stored}</strong>{' '}
          {report.dryRun ? 'would be stored' : 'stored'} ({report.points} points)
        </li>
        <li>
          <strong>{report.rejected}</strong> still rejected
          {codes.length > 0 ? `: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}` : ''}
        </li>
        <li>{report.skipped} skipped (no rule stores their topic now; kept)</li>
        {report.truncated > 0 ? <li>{report.truncated} truncated when kept: cannot be replayed</li> : null}
      </ul>
      {report.examples.length > 0 ? (
        <ul class="small">
          {report.examples.map((e) => (
            <li key={e.id}>
              #{e.id} <span class="mono">{e.topic}</span>: <span class="mono err-text">{e.code}</span>{' '}
              {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

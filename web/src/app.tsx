import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, type Session, setUnauthorizedHandler } from './api';
import { ErrorBox } from './components/ui';
import { DashboardPage } from './pages/dashboard';
import { DashboardsPage } from './pages/dashboards';
import { ExplorePage } from './pages/explore';
import { LoginPage } from './pages/login';
import { navigate, onLinkClick, useRoute } from './router';
import { applyTheme, initialTheme, type Theme } from './theme';

/**
 * Pages loaded on first visit: the dashboards (where users spend their day) are in the main bundle, the
 * management pages (and the YAML library of the alert rule editor) come as separate chunks.
 */
function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<unknown>();
    useEffect(() => {
      if (Page) return;
      load().then((c) => {
        loaded = c;
        setPage(() => c);
      }, setError);
    }, []);
    if (error) return <ErrorBox error={error} />;
    return Page ? <Page {...props} /> : null;
  };
}

const AlertsPage = lazyPage<{ session: Session }>(() => import('./pages/alerts').then((m) => m.AlertsPage));
const DevicesPage = lazyPage<{ session: Session }>(() =>
  import('./pages/devices').then((m) => m.DevicesPage),
);
const IngestPage = lazyPage<{ session: Session }>(() => import('./pages/ingest').then((m) => m.IngestPage));

const NAV: ReadonlyArray<{ path: string; label: string }> = [
  { path: '/dashboards', label: 'Dashboards' },
  { path: '/explore', label: 'Explore' },
  { path: '/devices', label: 'Devices' },
  { path: '/alerts', label: 'Alerts' },
  { path: '/ingest', label: 'Ingest' },
];

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [theme, setTheme] = useState<Theme>(initialTheme());

  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    get<Session>('/api/v1/session').then(
      (s) => setSession(s.role === null ? null : s),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) setSession(null);
        else setError(err);
      },
    );
  }, []);

  if (error)
    return (
      <div class="main">
        <ErrorBox error={error} />
      </div>
    );
  if (session === undefined) return null;
  if (session === null) {
    return (
      <LoginPage
        onLogin={(s) => {
          setSession(s);
          if (route.path === '/login') navigate('/', true);
        }}
      />
    );
  }

  const logout = async () => {
    await del('/api/v1/session').catch(() => undefined);
    setSession(null);
  };
  const path = route.path;
  let page: preact.JSX.Element;
  if (path === '/' || path === '/login' || path === '/dashboards')
    page = <DashboardsPage session={session} />;
  else if (path.startsWith('/d/'))
    page = <DashboardPage uid={decodeURIComponent(path.slice(3).split('/')[0] ?? '')} session={session} />;
  else if (path === '/explore') page = <ExplorePage session={session} />;
  else if (path === '/devices') page = <DevicesPage session={session} />;
  else if (path === '/alerts') page = <AlertsPage session={session} />;
  else if (path === '/ingest') page = <IngestPage session={session} />;
  else
    page = (
      <div class="empty">
        No page at {path}. <a href="/">Go to dashboards</a>
      </div>
    );

  const section = path === '/' || path.startsWith('/d/') ? '/dashboards' : path;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/" onClick={(e) => onLinkClick(e, '/')}>
          <img src="/favicon.svg" alt="" />
          <span>sensorhub</span>
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => (
            <a
              key={n.path}
              href={n.path}
              aria-current={section === n.path ? 'page' : undefined}
              onClick={(e) => onLinkClick(e, n.path)}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <div class="spacer" />
        <button
          type="button"
          class="ghost"
          aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
          title="Theme"
          onClick={() => {
            const next = theme === 'dark' ? 'light' : 'dark';
            applyTheme(next);
            setTheme(next);
          }}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        {session.username ? (
          <button
            type="button"
            class="ghost"
            onClick={() => void logout()}
            title={`Logged in as ${session.username} (${session.role})`}
          >
            <span class="hide-phone">{session.username}</span> Log out
          </button>
        ) : null}
      </header>
      <main class="main">{page}</main>
    </div>
  );
}

import { useEffect, useState } from 'preact/hooks';

/**
 * A tiny history router: the server serves index.html for every app route, the app picks the page from
 * location.pathname. Links call navigate() so the page does not reload.
 */
const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

export interface Route {
  readonly path: string;
  readonly query: URLSearchParams;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return route;
}

function current(): Route {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Sets query parameters without adding a history entry (time range, variables). */
export function setQueryParams(params: Record<string, string | undefined>): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}

/** An anchor that navigates in-app on a plain click (and still opens a new tab with ctrl/cmd). */
export function onLinkClick(e: MouseEvent, to: string): void {
  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(to);
}

/** Dark or light, remembered per browser; the system's preference until the user picks one. */
export type Theme = 'dark' | 'light';

export function initialTheme(): Theme {
  const saved = localStorage.getItem('sensorhub.theme');
  if (saved === 'dark' || saved === 'light') return saved;
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem('sensorhub.theme', theme);
  for (const l of listeners) l(theme);
}

const listeners = new Set<(t: Theme) => void>();
/** Charts redraw with the new colours. */
export function onThemeChange(l: (t: Theme) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** A CSS variable's current value (charts draw on canvas and need real colours). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

import type { Threshold } from '../../../src/dashboards/model';

/** Series colours: distinct, readable on dark and light backgrounds. */
export const PALETTE = [
  '#3b82f6',
  '#22c55e',
  '#f59e0b',
  '#ef4444',
  '#a855f7',
  '#14b8a6',
  '#ec4899',
  '#84cc16',
  '#f97316',
  '#06b6d4',
  '#8b5cf6',
  '#eab308',
  '#10b981',
  '#e11d48',
  '#0ea5e9',
  '#d946ef',
];

const NAMED: Record<string, string> = {
  green: '#22c55e',
  'dark-green': '#15803d',
  'semi-dark-green': '#16a34a',
  yellow: '#eab308',
  'dark-yellow': '#ca8a04',
  orange: '#f97316',
  'dark-orange': '#c2410c',
  red: '#ef4444',
  'dark-red': '#b91c1c',
  'semi-dark-red': '#dc2626',
  blue: '#3b82f6',
  'dark-blue': '#1d4ed8',
  purple: '#a855f7',
  grey: '#6b7280',
  gray: '#6b7280',
  text: 'var(--text)',
};

/** Theme names (Grafana's too) to CSS colours; anything else is used as given. */
export const color = (c: string) => NAMED[c] ?? c;

/** The colour of a value by ascending threshold steps; the first step is the base. */
export function thresholdColor(
  value: number | null | undefined,
  steps: readonly Threshold[] | undefined,
  fallback: string,
): string {
  if (!steps || steps.length === 0 || value === null || value === undefined) return fallback;
  let c = steps[0]?.color ?? fallback;
  for (const s of steps.slice(1)) if (s.value !== null && value >= s.value) c = s.color;
  return color(c);
}

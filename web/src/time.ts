/**
 * Time ranges as Grafana writes them (`now-5m`, `now`, `now-7d`, RFC 3339), the auto interval of a panel,
 * and InfluxQL duration literals.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration like `5m`, `1h30m`, `250ms` in ms; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  return matched === text.length && text.length > 0 ? total : undefined;
}

/** `now`, `now-5m`, `now+1h`, RFC 3339 or epoch ms → epoch ms. */
export function parseTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^now([+-])(.+)$/.exec(t);
  if (rel) {
    const d = parseDurationMs(rel[2] ?? '');
    return d === undefined ? undefined : rel[1] === '-' ? now - d : now + d;
  }
  if (/^\d{10,}$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface ResolvedRange {
  readonly from: number;
  readonly to: number;
}

export function resolveRange(range: { from: string; to: string }, now = Date.now()): ResolvedRange {
  const from = parseTime(range.from, now) ?? now - 3600_000;
  const to = parseTime(range.to, now) ?? now;
  return from < to ? { from, to } : { from: to - 1, to };
}

/** True when the range ends at `now`: only such ranges can be live. */
export const isRelative = (range: { to: string }) => range.to.trim() === 'now';

const NICE_MS = [
  1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
];

/** About one bucket per `pixelsPerPoint` px of chart width, rounded up to a nice interval (≥ 1 s). */
export function autoIntervalMs(range: ResolvedRange, widthPx: number, pixelsPerPoint = 2): number {
  const buckets = Math.max(1, Math.floor(widthPx / pixelsPerPoint));
  const raw = (range.to - range.from) / buckets;
  return NICE_MS.find((n) => n >= raw) ?? NICE_MS[NICE_MS.length - 1] ?? 60_000;
}

/** ms → an InfluxQL duration literal (`90s` → `90s`, `3600000` → `1h`). */
export function durationLiteral(ms: number): string {
  for (const [unit, size] of [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.max(1, Math.round(ms))}ms`;
}

export const QUICK_RANGES: ReadonlyArray<{ label: string; from: string }> = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
];

export function describeRange(range: { from: string; to: string }): string {
  if (range.to === 'now') {
    const q = QUICK_RANGES.find((r) => r.from === range.from);
    if (q) return q.label;
    return `Last ${range.from.replace(/^now-/, '')}`;
  }
  return `${range.from} → ${range.to}`;
}

export function formatTime(ms: number, withDate = true): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

export function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

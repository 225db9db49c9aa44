import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { MetricsRegistry } from '../../core/metrics.js';
import { requireAuth } from '../auth-hook.js';

export interface MetricSample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A counter or gauge: `value` is the sum over its label sets (e.g. messages of every result). */
export type MetricJson =
  | {
      readonly type: 'counter' | 'gauge';
      readonly help: string;
      readonly value: number;
      readonly samples: MetricSample[];
    }
  | { readonly type: 'histogram'; readonly help: string; readonly count: number; readonly sum: number };

export interface StatsRoutesOptions {
  readonly auth: Authenticator;
  readonly metrics: MetricsRegistry;
  readonly nowMicros: () => number;
}

/**
 * `GET /api/v1/stats`: the Prometheus metrics of `/metrics` as JSON, for the web app's ingest page (it
 * computes rates from two samples and their `time`). Readers only, unlike `/metrics`, since it is part of
 * the API; the numbers are the same.
 */
export const statsRoutes: FastifyPluginAsync<StatsRoutesOptions> = async (app, opts) => {
  const readers = requireAuth(opts.auth, ['admin', 'viewer']);
  app.get('/api/v1/stats', { preHandler: readers }, async () => ({
    time: Math.floor(opts.nowMicros() / 1000),
    uptimeSeconds: Math.round(process.uptime()),
    metrics: parseExposition(opts.metrics.render()),
  }));
};

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Reads the registry's own text rendering back, so every metric, including those added later, shows up
 * here without a second (JSON) form per metric type. Histogram buckets are left out: the page needs only
 * count and sum.
 */
export function parseExposition(text: string): Record<string, MetricJson> {
  const help = new Map<string, string>();
  const out: Record<string, MetricJson> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const space = rest.indexOf(' ');
      help.set(rest.slice(0, space), rest.slice(space + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name = '', type] = line.slice(7).split(' ');
      const h = help.get(name) ?? '';
      out[name] =
        type === 'histogram'
          ? { type, help: h, count: 0, sum: 0 }
          : { type: type === 'counter' ? 'counter' : 'gauge', help: h, value: 0, samples: [] };
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name = '', labelText, valueText = ''] = m;
    const value = Number(valueText);
    const base = name.replace(/_(sum|count|bucket)$/, '');
    const hist = out[base];
    if (hist?.type === 'histogram' && base !== name) {
      if (name.endsWith('_sum')) out[base] = { ...hist, sum: value };
      else if (name.endsWith('_count')) out[base] = { ...hist, count: value };
      continue;
    }
    const metric = out[name];
    if (metric === undefined || metric.type === 'histogram') continue;
    const labels: Record<string, string> = {};
    for (const l of (labelText ?? '').matchAll(LABEL)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out[name] = { ...metric, value: metric.value + value, samples: [...metric.samples, { labels, value }] };
  }
  return out;
}

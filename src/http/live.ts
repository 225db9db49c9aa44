import type { FieldValue, Point } from '../core/point.js';

/**
 * What a live client wants: the committed points of one measurement (in one database), optionally only some
 * fields and only series whose tags match. A tag filter is an exact value, or `/regex/` (a template variable
 * with "All" selected becomes one).
 */
export interface LiveSubscription {
  readonly id: string;
  readonly database: string;
  readonly measurement: string;
  readonly fields?: readonly string[] | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** One point as a live client receives it: time in ms (what charts use), the fields it asked for. */
export interface LivePoint {
  readonly t: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

export interface LiveSink {
  /** Points per subscription id, in commit order. */
  deliver(batch: ReadonlyMap<string, LivePoint[]>): void;
}

interface CompiledSub {
  readonly sub: LiveSubscription;
  readonly fields: ReadonlySet<string> | undefined;
  readonly tags: ReadonlyArray<readonly [string, (v: string | undefined) => boolean]>;
}

/** The most subscriptions one client may hold: a dashboard has at most 100 panels of 20 queries. */
export const MAX_SUBSCRIPTIONS = 2000;

/**
 * Fans committed points out to live clients. Matching is indexed by database and measurement, so a batch
 * costs one map lookup per point plus the subscriptions of its measurement; clients that subscribe to nothing
 * cost nothing. Only committed points are sent: what the chart shows is what a query would return.
 */
export class LiveHub {
  readonly #byMeasurement = new Map<string, Map<LiveSink, CompiledSub[]>>();

  /** Adds or replaces (same id) a subscription of a client. Throws on an invalid regex. */
  subscribe(sink: LiveSink, sub: LiveSubscription): void {
    this.unsubscribe(sink, sub.id);
    const compiled: CompiledSub = {
      sub,
      fields: sub.fields && sub.fields.length > 0 ? new Set(sub.fields) : undefined,
      tags: Object.entries(sub.tags ?? {}).map(([k, v]) => [k, tagMatcher(v)] as const),
    };
    const key = `${sub.database}\u0000${sub.measurement}`;
    let sinks = this.#byMeasurement.get(key);
    if (!sinks) {
      sinks = new Map();
      this.#byMeasurement.set(key, sinks);
    }
    const list = sinks.get(sink) ?? [];
    list.push(compiled);
    sinks.set(sink, list);
  }

  unsubscribe(sink: LiveSink, id: string): void {
    for (const [key, sinks] of this.#byMeasurement) {
      const list = sinks.get(sink);
      if (!list) continue;
      const rest = list.filter((c) => c.sub.id !== id);
      if (rest.length === list.length) continue;
      if (rest.length > 0) sinks.set(sink, rest);
      else sinks.delete(sink);
      if (sinks.size === 0) this.#byMeasurement.delete(key);
    }
  }

  /** Forgets a client (its connection closed). */
  remove(sink: LiveSink): void {
    for (const [key, sinks] of this.#byMeasurement) {
      sinks.delete(sink);
      if (sinks.size === 0) this.#byMeasurement.delete(key);
    }
  }

  subscriptionsOf(sink: LiveSink): number {
    let n = 0;
    for (const sinks of this.#byMeasurement.values()) n += sinks.get(sink)?.length ?? 0;
    return n;
  }

  /** Called with every committed batch. */
  observe(points: readonly Point[]): void {
    if (this.#byMeasurement.size === 0) return;
    const out = new Map<LiveSink, Map<string, LivePoint[]>>();
    for (const p of points) {
      const sinks = this.#byMeasurement.get(`${p.database}\u0000${p.measurement}`);
      if (!sinks) continue;
      for (const [sink, subs] of sinks) {
        for (const c of subs) {
          if (!c.tags.every(([k, match]) => match(p.tags[k]))) continue;
          let fields: Record<string, FieldValue> | undefined;
          if (c.fields === undefined) {
            fields = p.fields as Record<string, FieldValue>;
          } else {
            for (const f of c.fields) {
              const v = p.fields[f];
              if (v === undefined) continue;
              fields ??= {};
              fields[f] = v;
            }
          }
          if (fields === undefined) continue;
          let bySub = out.get(sink);
          if (!bySub) {
            bySub = new Map();
            out.set(sink, bySub);
          }
          let list = bySub.get(c.sub.id);
          if (!list) {
            list = [];
            bySub.set(c.sub.id, list);
          }
          list.push({ t: p.time / 1000, tags: p.tags, fields });
        }
      }
    }
    for (const [sink, batch] of out) sink.deliver(batch);
  }
}

/** Longest tag regex a live client may give. */
export const MAX_TAG_REGEX = 256;
/** Distinct tag values whose regex answer each subscription remembers. */
const MATCH_CACHE = 4096;

/**
 * Tag filters run on the commit path for every point, so a regex must be cheap: short, without nested
 * quantifiers (the classic catastrophic backtracking shape, e.g. `(a+)+`), and evaluated once per distinct
 * tag value (the answer is remembered), so even a slow one costs once, not per point.
 */
function tagMatcher(spec: string): (v: string | undefined) => boolean {
  if (spec.length >= 2 && spec.startsWith('/') && spec.endsWith('/')) {
    const source = spec.slice(1, -1);
    if (source.length > MAX_TAG_REGEX)
      throw new Error(`a tag regex may have at most ${MAX_TAG_REGEX} characters`);
    if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{?]/.test(source)) {
      throw new Error('a tag regex may not repeat a group that itself repeats, e.g. (a+)+');
    }
    const re = new RegExp(source);
    const seen = new Map<string, boolean>();
    return (v) => {
      if (v === undefined) return false;
      let hit = seen.get(v);
      if (hit === undefined) {
        hit = re.test(v);
        if (seen.size >= MATCH_CACHE) seen.clear();
        seen.set(v, hit);
      }
      return hit;
    };
  }
  return (v) => v === spec;
}

export interface QueryTarget {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
}

interface SeriesBody {
  series?: Array<{ value?: unknown[] }>;
}

/** GET /api/v1/query with basic auth; returns the body and the wall time in ms. Throws on non-2xx. */
export async function runQuery(
  target: QueryTarget,
  params: Record<string, string>,
): Promise<{ body: SeriesBody; ms: number }> {
  const url = new URL('/api/v1/query', target.baseUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const auth = Buffer.from(`${target.username}:${target.password}`).toString('base64');
  const start = performance.now();
  const res = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  const text = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`GET ${url.pathname}${url.search} → ${res.status}: ${text.slice(0, 300)}`);
  return { body: JSON.parse(text) as SeriesBody, ms };
}

/** Adds up every value of every series: with agg=count, the number of stored values. */
export function sumValues(body: SeriesBody): number {
  let total = 0;
  for (const series of body.series ?? []) {
    for (const v of series.value ?? []) if (typeof v === 'number') total += v;
  }
  return total;
}

/**
 * Runs `query` every `everyMs` until stop(), one at a time, keeping each latency: what a dashboard user
 * waits for while devices are writing.
 */
export class QuerySampler {
  readonly latenciesMs: number[] = [];
  readonly errors: string[] = [];
  private readonly query: () => Promise<number>;
  private readonly everyMs: number;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(query: () => Promise<number>, everyMs: number) {
    this.query = query;
    this.everyMs = everyMs;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await new Promise((resolve) => setTimeout(resolve, this.everyMs));
      if (!this.running) break;
      try {
        this.latenciesMs.push(await this.query());
      } catch (err) {
        this.errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
}

/**
 * How many dead letters (of any code) the server holds, polling up to 3 s until `expected` are there (they
 * are written in batches off the publish path).
 */
export async function countDeadLetters(target: QueryTarget, expected: number): Promise<number> {
  const url = new URL('/api/v1/dead-letters?limit=1', target.baseUrl);
  const auth = Buffer.from(`${target.username}:${target.password}`).toString('base64');
  const deadline = performance.now() + 3000;
  for (;;) {
    const res = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${url.pathname} → ${res.status}: ${text.slice(0, 300)}`);
    const total = (JSON.parse(text) as { total: number }).total;
    if (total >= expected || performance.now() > deadline) return total;
    await new Promise((r) => setTimeout(r, 100));
  }
}

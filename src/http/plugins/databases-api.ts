import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { formatGoDuration, listAllDatabases, RetentionPolicies } from '../../storage/retention.js';
import type { DatabaseStats, TimeSeriesStore } from '../../storage/store.js';
import { requireAuth } from '../auth-hook.js';

export interface DatabasesRoutesOptions {
  readonly auth: Authenticator;
  readonly store: TimeSeriesStore;
  /** The server's policies; without them, the ones recorded in the store (the same data, read afresh). */
  readonly retention?: RetentionPolicies;
}

/** One database in `GET /api/v1/databases`. Times are RFC 3339, null for a database holding no values. */
export interface DatabaseDto {
  readonly name: string;
  readonly retention: {
    readonly policy: string;
    /** As InfluxDB shows it (`168h0m0s`); `0s` keeps data forever. */
    readonly duration: string;
    /** null: forever. */
    readonly seconds: number | null;
    /** Pinned by storage.retention.databases. */
    readonly provisioned: boolean;
  };
  readonly series: number;
  /** Stored field values. */
  readonly samples: number;
  readonly oldest: string | null;
  readonly newest: string | null;
  /** Estimated bytes on disk; absent when the store cannot tell (memory). */
  readonly bytes?: number;
}

const iso = (us: number | null) => (us === null ? null : new Date(Math.floor(us / 1000)).toISOString());

/**
 * Per-database storage stats and retention, for admins and viewers (and tokens that may read `*`). Counts
 * are read from the store at each request, so they are exact but cost a scan of the stored times.
 */
export const databasesRoutes: FastifyPluginAsync<DatabasesRoutesOptions> = async (app, opts) => {
  const read = requireAuth(opts.auth, ['admin', 'viewer']);

  app.get('/api/v1/databases', { preHandler: read }, async () => {
    const retention = opts.retention ?? new RetentionPolicies({ store: opts.store });
    const [names, stats] = await Promise.all([listAllDatabases(opts.store), opts.store.databaseStats()]);
    const byName = new Map(stats.map((s) => [s.database, s] as const));
    const databases: DatabaseDto[] = [];
    for (const name of names) {
      const p = await retention.policyOf(name);
      const s: DatabaseStats | undefined = byName.get(name);
      databases.push({
        name,
        retention: {
          policy: p.name,
          duration: formatGoDuration(p.duration),
          seconds: p.duration === 0 ? null : p.duration / 1e6,
          provisioned: p.provisioned,
        },
        series: s?.series ?? 0,
        samples: s?.samples ?? 0,
        oldest: iso(s?.oldest ?? null),
        newest: iso(s?.newest ?? null),
        ...(s?.bytes === undefined ? {} : { bytes: s.bytes }),
      });
    }
    return { databases };
  });
};

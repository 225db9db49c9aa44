import type { QueryResponseDto } from '../contract/api.js';
import { AppError } from '../core/errors.js';
import { microsToMs } from '../core/point.js';
import type { SeriesQuery, TimeSeriesStore } from '../storage/store.js';
import { type Fill, fillBuckets } from './fill.js';

export interface QueryPlan extends Omit<SeriesQuery, 'limit'> {
  readonly fill: Fill;
}

/** Runs a plan against the store and shapes the columnar response. Syntax-independent. */
export class QueryService {
  constructor(
    private readonly store: TimeSeriesStore,
    private readonly maxPoints: number,
    private readonly defaultDatabase: string,
  ) {}

  async run(plan: QueryPlan): Promise<QueryResponseDto> {
    // The default database exists before its first write; any other name is checked so a typo is an
    // error instead of an empty chart.
    if (
      plan.database !== this.defaultDatabase &&
      !(await this.store.listDatabases()).includes(plan.database)
    ) {
      throw new AppError('QRY_DATABASE_NOT_FOUND', `database "${plan.database}" does not exist`);
    }
    const { interval, fill, from, to } = plan;
    const bucketed = interval !== undefined && plan.aggregate !== 'raw';
    if (bucketed && fill !== 'none') {
      const buckets = Math.ceil((to - Math.floor(from / interval) * interval) / interval);
      if (buckets > this.maxPoints) {
        throw new AppError(
          'QRY_TOO_MANY_POINTS',
          `${buckets} buckets of ${interval / 1000} ms exceed query.maxPoints (${this.maxPoints}); widen the interval or narrow the range`,
        );
      }
    }
    const result = await this.store.query({ ...plan, limit: this.maxPoints });
    let total = 0;
    const series = result.series.map((s) => {
      const col = bucketed
        ? fillBuckets(s, from, to, interval, fill)
        : { time: s.time, value: s.value as Array<number | boolean | string | null> };
      total += col.time.length;
      return {
        measurement: s.measurement,
        tags: { ...s.tags },
        field: s.field,
        time: col.time.map(microsToMs),
        value: col.value,
      };
    });
    if (total > this.maxPoints) {
      throw new AppError(
        'QRY_TOO_MANY_POINTS',
        `the query returns ${total} values, more than query.maxPoints (${this.maxPoints})`,
      );
    }
    return result.truncated ? { series, truncated: true } : { series };
  }
}

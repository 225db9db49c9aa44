import type { ErrorCode } from '../core/errors.js';
import type { Point } from '../core/point.js';
import type { DeadLetterFilter, StoredDeadLetter, TimeSeriesStore } from '../storage/store.js';
import type { Ingestor } from './ingestor.js';
import { parseLineProtocol } from './line-protocol/parse.js';
import { LINE_PROTOCOL_RULE, V1_PRECISIONS } from './line-protocol/write-api.js';
import { previewPoints } from './message-decoder.js';

export interface ReplayOptions {
  /** Which dead letters to replay (limit: the most to replay in this call). */
  readonly filter: Omit<DeadLetterFilter, 'order' | 'afterId'>;
  /** Decode only: report what would happen, store and delete nothing. */
  readonly dryRun?: boolean;
}

export interface ReplayReport {
  /** Dead letters looked at. */
  readonly matched: number;
  /** Now stored (and removed from the dead letters). */
  readonly stored: number;
  readonly points: number;
  /** Still rejected (kept), by error code. */
  readonly rejected: number;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** No rule stores them any more (kept, so nothing is lost by a replay). */
  readonly skipped: number;
  /** Their payload was cut when kept (ingest.deadLetterPayloadLimit): they cannot be replayed. */
  readonly truncated: number;
  /** A few still-rejected examples, to show what is still wrong. */
  readonly examples: ReadonlyArray<{ id: number; topic: string; code: string; message: string }>;
  readonly dryRun: boolean;
}

const PAGE = 1000;
const EXAMPLES = 5;

/**
 * Re-runs dead letters through the current rules after a fix. Points keep the message's original arrival
 * time, so a replayed reading lands where it belongs. Letters that now store are deleted; the rest stay.
 */
export async function replayDeadLetters(
  store: TimeSeriesStore,
  ingestor: Ingestor,
  opts: ReplayOptions,
): Promise<ReplayReport> {
  const dryRun = opts.dryRun === true;
  let matched = 0;
  let stored = 0;
  let points = 0;
  let rejected = 0;
  let skipped = 0;
  let truncated = 0;
  const rejectedByCode: Record<string, number> = {};
  const examples: Array<{ id: number; topic: string; code: string; message: string }> = [];
  let afterId = 0;
  const max = opts.filter.limit;

  while (matched < max) {
    const page = await store.listDeadLetters({
      ...opts.filter,
      afterId,
      order: 'asc',
      limit: Math.min(PAGE, max - matched),
    });
    if (page.length === 0) break;
    afterId = (page[page.length - 1] as (typeof page)[number]).id;
    const done: number[] = [];
    await Promise.all(
      page.map(async (letter) => {
        matched++;
        if (letter.payloadSize > letter.payload.length) {
          truncated++;
          return;
        }
        const msg = {
          source: letter.source === 'http' ? ('http' as const) : ('mqtt' as const),
          clientId: letter.clientId,
          topic: letter.topic,
          payload: letter.payload,
          receivedAt: letter.time,
        };
        const lines = letter.rule === LINE_PROTOCOL_RULE ? linePoints(letter) : undefined;
        const verdict =
          lines === undefined
            ? dryRun
              ? dryVerdict(ingestor, msg)
              : await ingestor.reprocess(msg)
            : 'code' in lines || dryRun
              ? 'code' in lines
                ? { kind: 'rejected' as const, ...lines }
                : { kind: 'stored' as const, points: lines.length }
              : await ingestor.storePoints(lines);
        if (verdict.kind === 'stored') {
          stored++;
          points += verdict.points;
          done.push(letter.id);
        } else if (verdict.kind === 'skipped') {
          skipped++;
        } else {
          rejected++;
          rejectedByCode[verdict.code] = (rejectedByCode[verdict.code] ?? 0) + 1;
          if (examples.length < EXAMPLES)
            examples.push({
              id: letter.id,
              topic: letter.topic,
              code: verdict.code,
              message: verdict.message,
            });
        }
      }),
    );
    if (!dryRun && done.length > 0) await store.deleteDeadLetters(done);
  }
  return { matched, stored, points, rejected, rejectedByCode, skipped, truncated, examples, dryRun };
}

/**
 * A dead letter from an HTTP line-protocol write (its topic is `/write?db=…[&precision=…]` or
 * `/api/v2/write?bucket=…`): the line parsed again into points of that database, at the letter's time
 * when the line has none. An error when it still does not parse.
 */
function linePoints(letter: StoredDeadLetter): Point[] | { code: ErrorCode; message: string } {
  const url = new URL(letter.topic, 'http://x');
  const database = url.searchParams.get('db') ?? url.searchParams.get('bucket')?.split('/')[0];
  const precision = V1_PRECISIONS[url.searchParams.get('precision') ?? 'ns'];
  if (!database || !precision)
    return { code: 'ING_LINE_PROTOCOL', message: `cannot tell the database or precision of ${letter.topic}` };
  const parsed = parseLineProtocol(letter.payload, { precision });
  const first = parsed.errors[0];
  if (first) return { code: 'ING_LINE_PROTOCOL', message: `${first.message} (column ${first.column})` };
  return parsed.points.map((p) => ({
    database,
    measurement: p.measurement,
    tags: p.tags,
    fields: p.fields,
    time: p.time ?? letter.time,
  }));
}

function dryVerdict(
  ingestor: Ingestor,
  msg: Parameters<Ingestor['decode']>[0],
):
  | { kind: 'stored'; points: number }
  | { kind: 'skipped' }
  | { kind: 'rejected'; code: string; message: string } {
  const d = ingestor.decode(msg);
  const points = previewPoints(d);
  if (points) return { kind: 'stored', points: points.length };
  if (d.kind === 'skip' || d.kind === 'points' || d.kind === 'blob') return { kind: 'skipped' };
  return { kind: 'rejected', code: d.code, message: d.message };
}

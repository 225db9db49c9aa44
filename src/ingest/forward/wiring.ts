import type { EpochMicros, Point } from '../../core/point.js';
import type { DeadLetter } from '../../storage/store.js';
import { pointsJson } from './formats.js';
import type { Forwarder } from './forwarder.js';
import type { ForwardItem } from './item.js';
import type { ForwardFailureCode } from './output.js';

/** The parts of an accepted message that forwarding needs (an IngestMessage has them all). */
export interface AcceptedMessage {
  readonly topic: string;
  readonly clientId: string;
  readonly payload: Buffer;
  readonly receivedAt: EpochMicros;
}

/**
 * Queues an accepted message for each of a rule's outputs, in the form each output takes. Resolves when
 * every item is durable in its queue (or dead-lettered, if it could not be queued): the ingestor awaits
 * this before it acknowledges the message.
 */
export function forwardAccepted(
  forwarder: Forwarder,
  outputs: readonly string[],
  msg: AcceptedMessage,
  points: readonly Point[],
): Promise<void> {
  let raw: ForwardItem | undefined;
  let pts: ForwardItem | undefined;
  const queued: Promise<void>[] = [];
  for (const output of outputs) {
    if (forwarder.accepts(output) === 'raw') {
      // One copy for every raw output: the payload is a view into a socket buffer that is reused.
      raw ??= {
        kind: 'raw',
        topic: msg.topic,
        clientId: msg.clientId,
        time: msg.receivedAt,
        payload: Buffer.from(msg.payload),
      };
      queued.push(forwarder.enqueue(output, raw));
    } else {
      pts ??= { kind: 'points', points, topic: msg.topic, clientId: msg.clientId };
      queued.push(forwarder.enqueue(output, pts));
    }
  }
  if (queued.length === 1) return queued[0] as Promise<void>;
  return Promise.all(queued).then(() => undefined);
}

/**
 * The dead-letter record of an item a forwarding output gave up on. `rule` is `forward:<output>`, so
 * `GET /api/v1/dead-letters?rule=forward:<output>` lists one output's failures; the payload is the raw
 * message, or for points the JSON body that was (or would have been) sent, cut to payloadLimit bytes.
 */
export function forwardDeadLetter(
  item: ForwardItem,
  output: string,
  code: ForwardFailureCode,
  message: string,
  payloadLimit: number,
): DeadLetter {
  const payload =
    item.kind === 'raw' ? item.payload : Buffer.from(`{"points":[${pointsJson(item.points)}]}`, 'utf8');
  return {
    time: item.kind === 'raw' ? item.time : (item.points[0]?.time ?? 0),
    source: 'forward',
    clientId: item.kind === 'raw' ? item.clientId : (item.clientId ?? ''),
    topic: item.kind === 'raw' ? item.topic : (item.topic ?? ''),
    payload: Buffer.from(payload.subarray(0, payloadLimit)),
    payloadSize: payload.length,
    rule: `forward:${output}`,
    code,
    message,
  };
}

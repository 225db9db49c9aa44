import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Ingestor } from '../../ingest/ingestor.js';
import type { RuleSet } from '../../ingest/rules.js';
import { RedeliveryCache } from '../redelivery-cache.js';
import { MqttSession } from './mqtt-session.js';

export interface ExternalIngestOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly ca: Buffer | undefined;
  /** Shared-subscription group: processes in one group split the messages between them. */
  readonly shareGroup: string;
  readonly rules: RuleSet;
  readonly ingestor: Ingestor;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The topic filters that cover every rule: `sensors/+device/+sensor` → `sensors/+/+`. */
export function filtersFor(rules: RuleSet): string[] {
  const filters = new Set<string>();
  for (const rule of rules.rules) {
    const filter = rule.topic.source
      .split('/')
      .map((level) => (level.startsWith('+') ? '+' : level.startsWith('#') ? '#' : level))
      .join('/');
    filters.add(filter);
  }
  // '#' covers everything else; subscribing to both would deliver messages twice.
  return filters.has('#') ? ['#'] : [...filters];
}

/**
 * External-broker mode: no broker of our own. Ingest subscribes on an existing broker (Mosquitto, EMQX,
 * HiveMQ, …) with MQTT 5 shared subscriptions, so several sensorhub processes split the load, in a
 * persistent session, and acknowledges each message only after it is stored.
 */
export class ExternalIngest {
  #session: MqttSession | undefined;
  readonly #redelivery = new RedeliveryCache();

  constructor(private readonly opts: ExternalIngestOptions) {}

  get connected(): boolean {
    return this.#session?.connected ?? false;
  }

  async start(): Promise<void> {
    const { opts } = this;
    const filters = filtersFor(opts.rules).map((f) => `$share/${opts.shareGroup}/${f}`);
    this.#session = new MqttSession({
      url: opts.url,
      clientId: opts.clientId,
      username: opts.username,
      password: opts.password,
      ca: opts.ca,
      filters,
      sessionExpirySeconds: 7 * 24 * 3600,
      receiveMaximum: 1000,
      keepaliveSeconds: 30,
      logger: opts.logger,
      onMessage: async (packet) => {
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        // A message the broker re-sends after a lost PUBACK keeps its first time: the same point.
        const receivedAt = this.#redelivery.receivedAt(
          opts.clientId,
          packet,
          payload,
          opts.clock.nowMicros(),
        );
        // Rejected messages are acknowledged too: the dead-letter record keeps them, and a redelivery
        // would only be rejected again. Store failures reject, which withholds the ack.
        await opts.ingestor.ingest({
          source: 'mqtt',
          clientId: 'external',
          topic: packet.topic,
          payload,
          receivedAt,
          contentType: packet.properties?.contentType,
        });
        return 0;
      },
    });
    await this.#session.start();
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    if (!this.#session) return Promise.reject(new Error('not started'));
    return this.#session.publish(topic, payload, qos, retain);
  }

  /** Acknowledges what is in flight once it is stored, then leaves (the session stays on the broker). */
  async stop(): Promise<void> {
    await this.#session?.stop();
  }
}

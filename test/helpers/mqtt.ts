import mqtt from 'mqtt';

/** Connects and reports `connected`, or the CONNACK return/reason code (or error message) of a refusal. */
export async function connectOutcome(url: string, opts: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { ...opts, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    return await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (err) => resolve(String((err as Error & { code?: number }).code ?? err.message)));
    });
  } finally {
    client.end(true);
  }
}

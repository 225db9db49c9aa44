/**
 * The live-mode WebSocket (`/api/v1/live`): one per dashboard. Panels subscribe to what they chart; the
 * server sends committed points every 100 ms at most. Reconnects with backoff and re-subscribes; a `gap`
 * (the server dropped points because we read too slowly) or a reconnect tells panels to reload.
 */
export interface LivePoint {
  readonly t: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | string | boolean>>;
}

export interface LiveSpec {
  readonly database?: string | undefined;
  readonly measurement: string;
  readonly fields?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

interface Sub {
  readonly spec: LiveSpec;
  readonly onPoints: (points: readonly LivePoint[]) => void;
  readonly onGap: () => void;
}

export class LiveConnection {
  #ws: WebSocket | undefined;
  readonly #subs = new Map<string, Sub>();
  #nextId = 1;
  #closed = false;
  #retryMs = 500;
  #timer: ReturnType<typeof setTimeout> | undefined;
  onStatus: (status: 'connecting' | 'open' | 'closed', error?: string) => void = () => {};

  constructor() {
    this.#connect();
  }

  subscribe(spec: LiveSpec, onPoints: Sub['onPoints'], onGap: Sub['onGap']): () => void {
    const id = String(this.#nextId++);
    this.#subs.set(id, { spec, onPoints, onGap });
    this.#send({ type: 'subscribe', id, ...spec });
    return () => {
      this.#subs.delete(id);
      this.#send({ type: 'unsubscribe', id });
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close();
  }

  #send(msg: unknown): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(msg));
  }

  #connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/live`);
    this.#ws = ws;
    this.onStatus('connecting');
    ws.onopen = () => {
      this.#retryMs = 500;
      this.onStatus('open');
      for (const [id, s] of this.#subs) this.#send({ type: 'subscribe', id, ...s.spec });
      // Points committed between the panels' load and this subscription are in neither: reload (the live
      // frames skip what the reload already has). The same after a reconnect.
      for (const s of this.#subs.values()) s.onGap();
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as {
        type: string;
        data?: Record<string, LivePoint[]>;
        id?: string;
        error?: string;
      };
      if (msg.type === 'points' && msg.data) {
        for (const [id, points] of Object.entries(msg.data)) this.#subs.get(id)?.onPoints(points);
      } else if (msg.type === 'gap') {
        for (const s of this.#subs.values()) s.onGap();
      } else if (msg.type === 'error') {
        this.onStatus('open', msg.error);
      }
    };
    ws.onclose = () => {
      if (this.#closed) return;
      this.onStatus('closed');
      this.#timer = setTimeout(() => {
        this.#connect();
      }, this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 15_000);
    };
  }
}

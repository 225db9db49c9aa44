/** A tiny typed event bus: the "live bus" from the architecture brief. Subscribing returns a disposer. */
export class EventBus<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  readonly #handlers = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<K extends keyof Events>(event: K, handler: Events[K]): () => void {
    let set = this.#handlers.get(event);
    if (!set) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    for (const handler of set) (handler as (...a: Parameters<Events[K]>) => void)(...args);
  }

  listenerCount(event: keyof Events): number {
    return this.#handlers.get(event)?.size ?? 0;
  }
}

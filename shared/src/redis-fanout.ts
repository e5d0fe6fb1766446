// One Redis pub/sub channel fanned out to this process's listeners. A subscribed connection can do
// nothing else, so the first listener opens one (a duplicate of the caller's), every listener
// shares it, and the last one to stop closes it. Delivery is Redis pub/sub's: at most once, in
// order; what arrives while the connection is down is lost (it reconnects and resubscribes).
import type { Redis } from "ioredis";

export class RedisFanout<T> {
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #parse: (raw: string) => T | null;
  readonly #listeners = new Set<(event: T) => void>();
  #subscriber: Promise<Redis> | undefined;

  /** `parse` turns a message into an event, or null to drop it (malformed). */
  constructor(redis: Redis, channel: string, parse: (raw: string) => T | null) {
    this.#redis = redis;
    this.#channel = channel;
    this.#parse = parse;
  }

  /** Calls `listener` with each event from now on (each listener gets its own copy); resolves the stop. */
  async listen(listener: (event: T) => void): Promise<() => Promise<void>> {
    const own = (e: T) => listener(e); // the same function listening twice is two listeners
    this.#listeners.add(own);
    try {
      await (this.#subscriber ??= this.#subscribe());
    } catch (err) {
      this.#listeners.delete(own);
      throw err;
    }
    return async () => {
      if (!this.#listeners.delete(own) || this.#listeners.size > 0) return;
      const subscriber = this.#subscriber;
      this.#subscriber = undefined; // a listen() from now on opens a new one
      await subscriber?.then((s) => s.quit()).catch(() => {});
    };
  }

  async #subscribe(): Promise<Redis> {
    const sub = this.#redis.duplicate();
    sub.on("error", () => {}); // reconnects by itself (and resubscribes)
    sub.on("message", (from: string, raw: string) => {
      if (from !== this.#channel) return;
      const event = this.#parse(raw);
      if (event) for (const listener of this.#listeners) listener({ ...event });
    });
    try {
      await sub.subscribe(this.#channel);
    } catch (err) {
      this.#subscriber = undefined;
      sub.disconnect();
      throw err;
    }
    return sub;
  }
}

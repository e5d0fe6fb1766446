// Who is connected to chat, by name, across instances: a whisper to a player nobody serves is
// refused at once instead of vanishing. In-process for the embedded mode; in Redis, one hash per
// name with a field per instance holding an expiry, refreshed while the instance lives, so the
// players of a crashed instance read as offline within a refresh period or two.
import type { Redis } from "ioredis";

export interface Roster {
  /** The first connection of `name` (lower case) on this instance. */
  add(name: string): Promise<void>;
  /** The last connection of `name` on this instance closed. */
  remove(name: string): Promise<void>;
  isOnline(name: string): Promise<boolean>;
  close(): Promise<void>;
}

export class LocalRoster implements Roster {
  readonly #names = new Map<string, number>();
  async add(name: string) {
    this.#names.set(name, (this.#names.get(name) ?? 0) + 1);
  }
  async remove(name: string) {
    const n = (this.#names.get(name) ?? 1) - 1;
    if (n <= 0) this.#names.delete(name);
    else this.#names.set(name, n);
  }
  async isOnline(name: string) {
    return this.#names.has(name);
  }
  async close() {}
}

const onlineKey = (prefix: string, name: string) => `${prefix}chat:online:${name}`;

export class RedisRoster implements Roster {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #instance: string;
  readonly #ttlMs: number;
  readonly #names = new Set<string>();
  readonly #timer: NodeJS.Timeout;

  constructor(redis: Redis, options: { prefix: string; instance: string; ttlMs?: number }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#instance = options.instance;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#timer = setInterval(() => void this.#refresh().catch(() => {}), this.#ttlMs / 3);
    this.#timer.unref();
  }

  #write(pipeline: ReturnType<Redis["pipeline"]>, name: string) {
    const key = onlineKey(this.#prefix, name);
    pipeline.hset(key, this.#instance, String(Date.now() + this.#ttlMs));
    pipeline.pexpire(key, this.#ttlMs);
  }

  async #refresh() {
    if (this.#names.size === 0) return;
    const p = this.#redis.pipeline();
    for (const name of this.#names) this.#write(p, name);
    await p.exec();
  }

  async add(name: string) {
    this.#names.add(name);
    const p = this.#redis.pipeline();
    this.#write(p, name);
    await p.exec();
  }

  async remove(name: string) {
    this.#names.delete(name);
    await this.#redis.hdel(onlineKey(this.#prefix, name), this.#instance);
  }

  async isOnline(name: string) {
    const fields = await this.#redis.hgetall(onlineKey(this.#prefix, name));
    const now = Date.now();
    return Object.values(fields).some((until) => Number(until) > now);
  }

  async close() {
    clearInterval(this.#timer);
    if (this.#names.size === 0) return;
    const p = this.#redis.pipeline();
    for (const name of this.#names) p.hdel(onlineKey(this.#prefix, name), this.#instance);
    this.#names.clear();
    await p.exec().catch(() => {});
  }
}

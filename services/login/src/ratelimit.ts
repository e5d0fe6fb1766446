// Fixed-window request counters: "at most `limit` hits per `windowMs` for this key". One interface,
// two implementations: in-process for the embedded mode, Redis for the cluster (every login
// instance shares the counters). Both take their time from an injected clock so tests step it.
import type { Redis } from "ioredis";

export interface RateDecision {
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  /** When refused: how long until the window resets, in ms (for Retry-After). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` and says whether it is within `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** Whether a hit now would be allowed, without counting one (a gate in front of a check). */
  peek(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export type Clock = () => number;

const decide = (count: number, limit: number, windowMs: number, now: number): RateDecision => {
  const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs;
  return count <= limit
    ? { allowed: true, count, retryAfterMs: 0 }
    : { allowed: false, count, retryAfterMs: windowEnd - now };
};

export function createLocalRateLimiter(clock: Clock = Date.now): RateLimiter {
  const windows = new Map<string, { window: number; count: number; expires: number }>();
  let lastSweep = clock();
  return {
    async hit(key, limit, windowMs) {
      const now = clock();
      // Drop finished windows now and then so a spray of distinct IPs cannot grow the map forever.
      if (now - lastSweep > 10_000) {
        lastSweep = now;
        for (const [k, w] of windows) if (w.expires <= now) windows.delete(k);
      }
      const window = Math.floor(now / windowMs);
      const id = `${windowMs}:${key}`;
      let w = windows.get(id);
      if (!w || w.window !== window) {
        w = { window, count: 0, expires: (window + 1) * windowMs };
        windows.set(id, w);
      }
      w.count++;
      return decide(w.count, limit, windowMs, now);
    },
    async peek(key, limit, windowMs) {
      const now = clock();
      const w = windows.get(`${windowMs}:${key}`);
      const count = w && w.window === Math.floor(now / windowMs) ? w.count : 0;
      return decide(count + 1, limit, windowMs, now);
    },
    async close() {
      windows.clear();
    },
  };
}

/**
 * One Redis key per (key, window): INCR then PEXPIRE in one MULTI. The key's name carries the window
 * number, so instances agree without a script and a stale key just expires.
 */
export function createRedisRateLimiter(redis: Redis, prefix: string, clock: Clock = Date.now): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      const now = clock();
      const window = Math.floor(now / windowMs);
      const k = `${prefix}ratelimit:${windowMs}:${key}:${window}`;
      const results = await redis
        .multi()
        .incr(k)
        .pexpire(k, windowMs * 2)
        .exec();
      const [err, count] = results?.[0] ?? [new Error("rate limit transaction discarded")];
      if (err) throw err;
      return decide(Number(count), limit, windowMs, now);
    },
    async peek(key, limit, windowMs) {
      const now = clock();
      const count = await redis.get(`${prefix}ratelimit:${windowMs}:${key}:${Math.floor(now / windowMs)}`);
      return decide(Number(count ?? 0) + 1, limit, windowMs, now);
    },
    async close() {},
  };
}

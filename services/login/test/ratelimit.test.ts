// One suite over both rate limiters: in-process (embedded) and Redis (cluster). Time is stepped
// through an injected clock, never slept.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { createLocalRateLimiter, createRedisRateLimiter, type RateLimiter } from "../src/ratelimit.js";

const redises: Redis[] = [];
const prefix = testRedisPrefix();
after(async () => {
  const r = redises[0];
  if (r) {
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
  }
  await Promise.all(redises.map((r) => r.quit()));
});

interface Kind {
  name: string;
  /** Two limiters sharing state where the implementation shares it (two login instances). */
  make(clock: () => number): Promise<[RateLimiter, RateLimiter]>;
  shared: boolean;
}

const kinds: Kind[] = [
  {
    name: "in-process",
    shared: false,
    make: async (clock) => [createLocalRateLimiter(clock), createLocalRateLimiter(clock)],
  },
  {
    name: "redis",
    shared: true,
    make: async (clock) => {
      const a = await connectRedis(TEST_REDIS_URL);
      const b = await connectRedis(TEST_REDIS_URL);
      redises.push(a, b);
      const p = `${prefix}${Math.random().toString(36).slice(2)}:`;
      return [createRedisRateLimiter(a, p, clock), createRedisRateLimiter(b, p, clock)];
    },
  },
];

for (const kind of kinds) {
  describe(`rate limiter: ${kind.name}`, () => {
    test("allows `limit` hits per window, then refuses with the time left in the window", async () => {
      let now = 60_000 * 20_000_000; // on a window boundary
      const [limiter] = await kind.make(() => now);
      for (let i = 1; i <= 3; i++)
        assert.deepEqual(await limiter.hit("ip:1", 3, 60_000), { allowed: true, count: i, retryAfterMs: 0 });
      now += 15_000;
      const refused = await limiter.hit("ip:1", 3, 60_000);
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfterMs, 45_000);
      // Other keys are counted apart.
      assert.equal((await limiter.hit("ip:2", 3, 60_000)).allowed, true);
      // The next window starts afresh.
      now += 45_000;
      assert.deepEqual(await limiter.hit("ip:1", 3, 60_000), { allowed: true, count: 1, retryAfterMs: 0 });
    });

    test("peek says whether a hit would be allowed, and counts nothing", async () => {
      let now = 60_000 * 20_000_100;
      const [limiter] = await kind.make(() => now);
      assert.deepEqual(await limiter.peek("fail:1", 2, 60_000), { allowed: true, count: 1, retryAfterMs: 0 });
      await limiter.hit("fail:1", 2, 60_000);
      await limiter.peek("fail:1", 2, 60_000);
      assert.equal((await limiter.peek("fail:1", 2, 60_000)).allowed, true);
      await limiter.hit("fail:1", 2, 60_000);
      now += 10_000;
      assert.deepEqual(await limiter.peek("fail:1", 2, 60_000), { allowed: false, count: 3, retryAfterMs: 50_000 });
      assert.equal((await limiter.peek("fail:2", 2, 60_000)).allowed, true);
      now += 50_000;
      assert.equal((await limiter.peek("fail:1", 2, 60_000)).allowed, true);
    });

    test("windows of different lengths on the same key do not mix", async () => {
      const now = 2_000_000_000_000;
      const [limiter] = await kind.make(() => now);
      assert.equal((await limiter.hit("k", 1, 1_000)).allowed, true);
      assert.equal((await limiter.hit("k", 1, 60_000)).allowed, true);
      assert.equal((await limiter.hit("k", 1, 1_000)).allowed, false);
    });

    test(kind.shared ? "two instances share the count" : "each instance counts alone", async () => {
      const now = 3_000_000_000_000;
      const [a, b] = await kind.make(() => now);
      await a.hit("acct:x", 2, 60_000);
      await a.hit("acct:x", 2, 60_000);
      assert.equal((await b.hit("acct:x", 2, 60_000)).allowed, !kind.shared);
    });
  });
}

test("redis: counters expire on their own, so a spray of keys does not fill Redis", async () => {
  const redis = await connectRedis(TEST_REDIS_URL);
  redises.push(redis);
  const p = `${prefix}ttl:`;
  await createRedisRateLimiter(redis, p).hit("ip:9", 5, 60_000);
  const [key] = await redis.keys(`${p}*`);
  assert.ok(key);
  const ttl = await redis.pttl(key);
  assert.ok(ttl > 0 && ttl <= 120_000, `ttl ${ttl}`);
});

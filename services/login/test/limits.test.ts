// Abuse limits through the real HTTP API, in both modes: in-process counters (embedded) and Redis
// counters (cluster). The window is stepped with an injected clock. The outage test kills its own
// redis-server, never the shared one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { call, databaseFixture, type Fixture, type Running, startLogin } from "./helpers.js";

let fx: Fixture;
let redis: Redis;
const prefix = testRedisPrefix();
before(async () => {
  fx = await databaseFixture();
  redis = await connectRedis(TEST_REDIS_URL);
});
after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await fx.close();
});

const LIMITS = {
  STARLANE_LOGIN_RATE_WINDOW_S: "60",
  STARLANE_LOGIN_RATE_REGISTER_PER_IP: "3",
  STARLANE_LOGIN_RATE_REGISTER_PER_ACCOUNT: "2",
  STARLANE_LOGIN_RATE_LOGIN_PER_IP: "6",
  STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT: "2",
  STARLANE_LOGIN_RATE_REFRESH_PER_IP: "8",
  STARLANE_LOGIN_RATE_REFRESH_PER_SESSION: "3",
};

for (const mode of ["in-process", "redis"] as const) {
  describe(`rate limits (${mode})`, () => {
    let now = 60_000 * 30_000_000 + (mode === "redis" ? 60_000 : 0);
    let login: Running;
    before(async () => {
      login = await startLogin(
        fx.pool,
        { ...LIMITS, STARLANE_KEY_PREFIX: `${prefix}${mode}:` },
        { clock: () => now, ...(mode === "redis" ? { redis } : {}) },
      );
    });
    after(() => login.close());

    const post = (path: string, body: unknown) => call(login.base, "POST", path, body);
    const tag = mode === "redis" ? "r" : "l";

    test("register: per IP, with Retry-After, and open again in the next window", async () => {
      for (let i = 0; i < 3; i++) {
        assert.equal((await post("/v1/accounts", { name: `reg_${tag}_${i}`, password: "correct horse" })).status, 201);
      }
      now += 20_000;
      const refused = await post("/v1/accounts", { name: `reg_${tag}_3`, password: "correct horse" });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, "STARLANE_ERR_RATE_LIMITED");
      assert.equal(refused.headers.get("retry-after"), "40");
      now += 40_000;
      assert.equal((await post("/v1/accounts", { name: `reg_${tag}_3`, password: "correct horse" })).status, 201);
      if (mode === "redis") {
        assert.ok((await redis.keys(`${prefix}redis:ratelimit:*`)).length > 0, "counters live in Redis");
      }
    });

    test("log in: per account even with the right password; other accounts are unaffected", async () => {
      now += 60_000;
      const name = `reg_${tag}_0`;
      assert.equal((await post("/v1/sessions", { name, password: "wrong horse" })).status, 401);
      assert.equal((await post("/v1/sessions", { name: name.toUpperCase(), password: "wrong horse" })).status, 401);
      const refused = await post("/v1/sessions", { name, password: "correct horse" });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "60");
      assert.equal((await post("/v1/sessions", { name: `reg_${tag}_1`, password: "correct horse" })).status, 200);
      now += 60_000;
      assert.equal((await post("/v1/sessions", { name, password: "correct horse" })).status, 200);
    });

    test("log in: per IP across many account names, including unknown ones", async () => {
      now += 60_000;
      for (let i = 0; i < 6; i++) {
        assert.equal((await post("/v1/sessions", { name: `ghost_${i}`, password: "guess guess" })).status, 401);
      }
      const refused = await post("/v1/sessions", { name: `reg_${tag}_2`, password: "correct horse" });
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
    });

    test("refresh: per session (token family) and per IP, with Retry-After; open again next window", async () => {
      now += 60_000;
      const name = `reg_${tag}_1`;
      const a = (await post("/v1/sessions", { name, password: "correct horse" })).body.refreshToken as string;
      now += 60_000;
      const b = (await post("/v1/sessions", { name, password: "correct horse" })).body.refreshToken as string;
      let token = a;
      for (let i = 0; i < 3; i++) {
        const r = await post("/v1/sessions/refresh", { refreshToken: token });
        assert.equal(r.status, 200);
        token = r.body.refreshToken;
      }
      // The fourth use of the session in the window is refused, even with a fresh (unspent) token.
      const refused = await post("/v1/sessions/refresh", { refreshToken: token });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, "STARLANE_ERR_RATE_LIMITED");
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
      // Another session of the same account, from the same IP, is not held back by that one.
      const other = await post("/v1/sessions/refresh", { refreshToken: b });
      assert.equal(other.status, 200);
      // Per IP: guessed tokens count too (budget 8 a window: 5 used above, then 3 guesses).
      for (let i = 0; i < 3; i++) {
        const guess = await post("/v1/sessions/refresh", { refreshToken: "A".repeat(43 - String(i).length) + i });
        assert.equal(guess.status, 401);
      }
      const byIp = await post("/v1/sessions/refresh", { refreshToken: other.body.refreshToken });
      assert.equal(byIp.status, 429);
      // The refused refresh did not spend the token: next window it still works.
      now += 60_000;
      assert.equal((await post("/v1/sessions/refresh", { refreshToken: token })).status, 200);
      assert.equal((await post("/v1/sessions/refresh", { refreshToken: other.body.refreshToken })).status, 200);
    });
  });
}

test("per-IP limits use X-Forwarded-For only from trusted proxies", async () => {
  let now = 60_000 * 40_000_000;
  const env = { ...LIMITS, STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT: "1000" };
  const direct = await startLogin(fx.pool, env, { clock: () => now });
  const proxied = await startLogin(fx.pool, { ...env, STARLANE_LOGIN_TRUSTED_PROXY_HOPS: "1" }, { clock: () => now });
  try {
    const attempt = (base: string, forwardedFor: string) =>
      call(
        base,
        "POST",
        "/v1/sessions",
        { name: "proxy_user", password: "guess guess" },
        { headers: { "x-forwarded-for": forwardedFor } },
      );
    // Directly exposed: rotating a forged header does not buy more attempts.
    const direct7 = [];
    for (let i = 0; i < 7; i++) direct7.push((await attempt(direct.base, `198.51.100.${i}`)).status);
    assert.deepEqual(direct7, [401, 401, 401, 401, 401, 401, 429]);
    // Behind one proxy: each client has its own bucket, and a forged first entry does not help.
    now += 60_000;
    for (let i = 0; i < 6; i++) assert.equal((await attempt(proxied.base, `6.6.6.${i}, 203.0.113.1`)).status, 401);
    assert.equal((await attempt(proxied.base, "203.0.113.1")).status, 429);
    assert.equal((await attempt(proxied.base, "203.0.113.2")).status, 401);
  } finally {
    await Promise.all([direct.close(), proxied.close()]);
  }
});

test("a burst past the hash queue gets 503 with Retry-After; the server keeps answering", async () => {
  const burst = await startLogin(fx.pool, {
    // A dearer hash than the default (~100 ms) so the four requests surely overlap.
    STARLANE_LOGIN_ARGON2_MEMORY_KIB: "65536",
    STARLANE_LOGIN_ARGON2_TIME_COST: "3",
    STARLANE_LOGIN_HASH_CONCURRENCY: "1",
    STARLANE_LOGIN_HASH_QUEUE: "0",
  });
  try {
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        call(burst.base, "POST", "/v1/accounts", { name: `burst_${i}`, password: "correct horse" }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.ok(statuses.includes(201), statuses.join());
    const busy = answers.filter((a) => a.status === 503);
    assert.ok(busy.length > 0, statuses.join());
    for (const b of busy) {
      assert.equal(b.body.code, "STARLANE_ERR_UNAVAILABLE");
      assert.equal(b.headers.get("retry-after"), "1");
    }
    assert.equal((await call(burst.base, "GET", "/healthz")).status, 200);
  } finally {
    await burst.close();
  }
});

test("with Redis gone, register and log in answer 503 with Retry-After (not 500, no crash); they recover", async () => {
  const port = await freePort();
  const start = () =>
    spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
  let server = start();
  const own = await waitFor("own redis-server", async () => {
    try {
      return await connectRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    } catch {
      return undefined;
    }
  });
  const login = await startLogin(fx.pool, LIMITS, { redis: own });
  try {
    const register = (name: string) => call(login.base, "POST", "/v1/accounts", { name, password: "correct horse" });
    assert.equal((await register("before_outage")).status, 201);

    server.kill("SIGKILL");
    await once(server, "exit");
    for (const r of [
      await register("during_outage"),
      await call(login.base, "POST", "/v1/sessions", { name: "before_outage", password: "correct horse" }),
    ]) {
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "STARLANE_ERR_UNAVAILABLE");
      assert.equal(r.headers.get("retry-after"), "1");
    }
    assert.equal((await call(login.base, "GET", "/healthz")).status, 200);

    server = start();
    await waitFor("recovery", async () => (await register("after_outage")).status === 201, 10_000, 100);
  } finally {
    await login.close();
    own.disconnect();
    server.kill("SIGKILL");
  }
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { transportSmoke } from "./transport-smoke.js";

test("Colyseus on uWebSockets.js with RedisPresence + RedisDriver: the SDK client sees state", async () => {
  // A key prefix of its own keeps this run's room listings apart from any other run on this Redis.
  const url = new URL(TEST_REDIS_URL);
  const options = { host: url.hostname, port: Number(url.port || 6379), keyPrefix: testRedisPrefix() };
  const state = await transportSmoke(new RedisPresence(options), new RedisDriver(options));
  assert.equal(state.greeting, "hello from uWS");
  assert.ok(state.ticks >= 2);
});

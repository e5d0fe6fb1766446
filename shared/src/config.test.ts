import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig, setting } from "./config.js";

const spec = {
  port: setting.port("STARLANE_PORT", "port", 8080),
  tickHz: setting.int("STARLANE_TICK_HZ", "ticks per second", 20, 1, 120),
  redisUrl: setting.url("REDIS_URL", "Redis", ["redis", "rediss"]),
  mode: setting.oneOf("STARLANE_MODE", "mode", ["a", "b"] as const, "a"),
  debug: setting.bool("STARLANE_DEBUG", "debug", false),
};

test("unset settings take their defaults; unset settings without a default stay undefined", () => {
  const c = loadConfig(spec, {});
  assert.deepEqual(c, { port: 8080, tickHz: 20, redisUrl: undefined, mode: "a", debug: false });
});

test("set values are parsed to their types", () => {
  const c = loadConfig(spec, {
    STARLANE_PORT: "0",
    STARLANE_TICK_HZ: "30",
    REDIS_URL: "redis://127.0.0.1:6379",
    STARLANE_MODE: "b",
    STARLANE_DEBUG: "yes",
  });
  assert.deepEqual(c, { port: 0, tickHz: 30, redisUrl: "redis://127.0.0.1:6379", mode: "b", debug: true });
});

test("a bad value fails naming the setting", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ STARLANE_PORT: "80a" }, /^config STARLANE_PORT: expected a whole number/],
    [{ STARLANE_PORT: "70000" }, /^config STARLANE_PORT: expected 0\.\.65535/],
    [{ STARLANE_TICK_HZ: "0" }, /^config STARLANE_TICK_HZ: expected 1\.\.120/],
    [{ REDIS_URL: "localhost:6379" }, /^config REDIS_URL: /],
    [{ REDIS_URL: "http://x" }, /^config REDIS_URL: expected a redis or rediss URL/],
    [{ STARLANE_MODE: "c" }, /^config STARLANE_MODE: expected one of a, b/],
    [{ STARLANE_DEBUG: "maybe" }, /^config STARLANE_DEBUG: expected true or false/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(spec, env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

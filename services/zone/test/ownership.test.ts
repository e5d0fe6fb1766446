// The ship ownership records, one suite over both implementations (in-process and Redis).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { LocalShipOwnership, RedisShipOwnership, type ShipOwnership } from "../src/ownership.js";

const prefix = testRedisPrefix();
const redis = await connectRedis(TEST_REDIS_URL);
after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

for (const [name, make] of [
  ["local", () => new LocalShipOwnership()],
  ["redis", () => new RedisShipOwnership(redis, { prefix: `${prefix}${Math.random()}:` })],
] as [string, () => ShipOwnership][]) {
  describe(`ShipOwnership (${name})`, () => {
    test("a free ship is taken from version 0; every move bumps the version", async () => {
      const o = make();
      assert.equal(await o.get("s"), null);
      assert.deepEqual(await o.move("s", "", 0, "region-1-1"), { region: "region-1-1", version: 1 });
      assert.deepEqual(await o.move("s", "region-1-1", 1, "region-2-1"), { region: "region-2-1", version: 2 });
      assert.deepEqual(await o.get("s"), { region: "region-2-1", version: 2 });
      assert.deepEqual(await o.move("s", "region-2-1", 2, ""), { region: "", version: 3 });
    });

    test("a move from a stale region or version is refused (a replayed or raced handoff)", async () => {
      const o = make();
      await o.move("s", "", 0, "a");
      assert.equal(await o.move("s", "a", 0, "b"), null, "old version");
      assert.equal(await o.move("s", "x", 1, "b"), null, "not the owner");
      const race = await Promise.all([o.move("s", "a", 1, "b"), o.move("s", "a", 1, "c")]);
      assert.equal(race.filter((r) => r !== null).length, 1, "two racing moves: exactly one wins");
      assert.equal((await o.get("s"))!.version, 2);
    });
  });
}

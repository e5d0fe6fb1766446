// One suite over both RelocationBoard implementations: one order per region, each step once.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  LocalRelocationBoard,
  RedisRelocationBoard,
  type RelocationBoard,
  type RelocationOrder,
} from "./relocation.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "./testing.js";

const redis = await connectRedis(TEST_REDIS_URL);
after(() => redis.disconnect());

const implementations: Record<string, () => RelocationBoard> = {
  "in-process": () => new LocalRelocationBoard(),
  Redis: () => new RedisRelocationBoard(redis, { prefix: testRedisPrefix() }),
};

const order = (id: string, to = "zone-b"): RelocationOrder => ({
  id,
  region: "region-1-1",
  from: "zone-a",
  to,
  by: "test",
  at: Date.now(),
  state: "ordered",
});

for (const [name, make] of Object.entries(implementations)) {
  describe(`RelocationBoard (${name})`, () => {
    test("one order per region under way: the second operator is told which one is in the way", async () => {
      const board = make();
      assert.equal(await board.place(order("o1")), null);
      assert.equal((await board.place(order("o2", "zone-c")))?.id, "o1");
      assert.equal((await board.get("region-1-1"))?.to, "zone-b");
      // Once settled, a new order may be placed.
      assert.ok(await board.advance("region-1-1", "o1", "ordered", { state: "failed", reason: "x" }));
      assert.equal(await board.place(order("o3")), null);
      await board.clear("region-1-1", "o1");
      assert.equal((await board.get("region-1-1"))?.id, "o3", "clear takes down only its own order");
      await board.clear("region-1-1", "o3");
      assert.equal(await board.get("region-1-1"), null);
    });

    test("each step happens once (compare-and-set on id and state), and watchers hear of it", async () => {
      const board = make();
      const heard: string[] = [];
      const stop = await board.watch((r) => heard.push(r));
      try {
        await board.place(order("o1"));
        assert.equal(await board.advance("region-1-1", "o0", "ordered", { state: "stopped" }), false, "other id");
        assert.equal(await board.advance("region-1-1", "o1", "stopped", { state: "adopting" }), false, "wrong state");
        assert.ok(await board.advance("region-1-1", "o1", "ordered", { state: "stopped", epoch: 7, tick: 40 }));
        assert.equal(await board.advance("region-1-1", "o1", "ordered", { state: "stopped" }), false, "only once");
        const seats = { p1: { sessionId: "s", roomId: "region-1-1" } };
        assert.ok(await board.advance("region-1-1", "o1", "stopped", { state: "adopted", seats, newEpoch: 8 }));
        const o = await board.get("region-1-1");
        assert.deepEqual([o?.state, o?.epoch, o?.tick, o?.newEpoch, o?.seats], ["adopted", 7, 40, 8, seats]);
        await waitFor("the changes are announced", () => heard.length >= 3, 5000);
        assert.ok(heard.every((r) => r === "region-1-1"));
      } finally {
        await stop();
      }
    });

    test("draining marks", async () => {
      const board = make();
      assert.equal(await board.draining("zone-a"), false);
      await board.markDraining("zone-a", 5000);
      assert.equal(await board.draining("zone-a"), true);
      assert.equal(await board.draining("zone-b"), false);
    });
  });
}

// The ship ownership records, one suite over both implementations (in-process and Redis).
import assert from "node:assert/strict";
import { after, describe, type TestContext, test } from "node:test";
import {
  LocalShipOwnership,
  type OwnershipChange,
  ownershipChannel,
  RedisShipOwnership,
  type ShipOwnership,
} from "./ownership.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "./testing.js";

const prefix = testRedisPrefix();
const redis = await connectRedis(TEST_REDIS_URL);
after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Watches `o` until the test ends (even a failed one: a subscribed connection would keep the process alive). */
async function watching(t: TestContext, o: ShipOwnership, listener: (c: OwnershipChange) => void) {
  const stop = await o.watch(listener);
  t.after(stop);
  return stop;
}

/** Collects what a watcher is told; `until` waits for a change of `ship` to `to` to arrive. */
function recorder() {
  const seen: OwnershipChange[] = [];
  return {
    seen,
    listener: (c: OwnershipChange) => seen.push(c),
    until: (ship: string, to: string) =>
      waitFor(`${ship} -> ${to}`, () => seen.some((c) => c.ship === ship && c.to === to)),
    of: (ship: string) => seen.filter((c) => c.ship === ship),
  };
}

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

    test("shipsIn names the ships whose record names the region, as moves leave them", async () => {
      const o = make();
      await o.move("s", "", 0, "a");
      await o.move("t", "", 0, "a");
      await o.move("u", "", 0, "b");
      assert.deepEqual((await o.shipsIn("a")).sort(), ["s", "t"]);
      await o.move("s", "a", 1, "b");
      assert.equal(await o.move("t", "a", 0, "b"), null, "a refused move changes nothing");
      await o.move("u", "b", 1, "b");
      assert.deepEqual(await o.shipsIn("a"), ["t"]);
      assert.deepEqual((await o.shipsIn("b")).sort(), ["s", "u"]);
      await o.move("t", "a", 1, "");
      assert.deepEqual(await o.shipsIn("a"), []);
      assert.deepEqual(await o.shipsIn(""), [], "released ships are in no region");
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

    test("a watcher is told every change once, in order per ship, with from, to and version", async (t) => {
      const o = make();
      const w = recorder();
      const stop = await watching(t, o, w.listener);
      await o.move("s", "", 0, "region-1-1"); // join
      await o.move("t", "", 0, "region-2-2");
      await o.move("s", "region-1-1", 1, "region-2-1"); // handoff
      await o.move("s", "region-2-1", 2, "region-2-1"); // a failed handoff fenced by its owner
      await o.move("t", "region-2-2", 1, ""); // leave
      await o.move("s", "region-2-1", 3, "");
      await o.move("end", "", 0, "done");
      await w.until("end", "done"); // delivery is ordered: everything before it has arrived
      assert.deepEqual(w.of("s"), [
        { ship: "s", from: "", to: "region-1-1", version: 1 },
        { ship: "s", from: "region-1-1", to: "region-2-1", version: 2 },
        { ship: "s", from: "region-2-1", to: "region-2-1", version: 3 },
        { ship: "s", from: "region-2-1", to: "", version: 4 },
      ]);
      assert.deepEqual(w.of("t"), [
        { ship: "t", from: "", to: "region-2-2", version: 1 },
        { ship: "t", from: "region-2-2", to: "", version: 2 },
      ]);
      assert.equal(w.seen.length, 7);
      await stop();
    });

    test("a refused compare-and-set publishes nothing; of two racing moves only the winner is told", async (t) => {
      const o = make();
      const w = recorder();
      const stop = await watching(t, o, w.listener);
      await o.move("s", "", 0, "a");
      assert.equal(await o.move("s", "a", 0, "b"), null);
      assert.equal(await o.move("s", "x", 1, "b"), null);
      const race = await Promise.all([o.move("s", "a", 1, "b"), o.move("s", "a", 1, "c")]);
      const winner = race.find((r) => r !== null)!;
      await o.move("end", "", 0, "done");
      await w.until("end", "done");
      assert.deepEqual(w.of("s"), [
        { ship: "s", from: "", to: "a", version: 1 },
        { ship: "s", from: "a", to: winner.region, version: 2 },
      ]);
      await stop();
    });

    test("unsubscribing stops delivery to that watcher only; watchers started later see later changes", async (t) => {
      const o = make();
      const a = recorder();
      const b = recorder();
      const stopA = await watching(t, o, a.listener);
      const stopB = await watching(t, o, b.listener);
      await o.move("s", "", 0, "r1");
      await a.until("s", "r1");
      await b.until("s", "r1");
      await stopA();
      await stopA(); // twice is harmless
      await o.move("s", "r1", 1, "r2");
      await b.until("s", "r2");
      assert.deepEqual(
        a.seen.map((c) => c.to),
        ["r1"],
        "nothing after unsubscribing",
      );
      const c = recorder();
      const stopC = await watching(t, o, c.listener);
      await o.move("s", "r2", 2, "r3");
      await c.until("s", "r3");
      assert.deepEqual(
        c.seen.map((x) => x.to),
        ["r3"],
        "a new watcher starts from now",
      );
      await stopB();
      await stopC();
    });
  });
}

describe("ShipOwnership (redis, across connections)", () => {
  test("a change made by one process reaches another's watcher; the last unsubscribe closes the subscription", async (t) => {
    const p = `${prefix}${Math.random()}:`;
    const zone = new RedisShipOwnership(redis, { prefix: p });
    const follower = new RedisShipOwnership(redis, { prefix: p });
    const subscribers = async () => ((await redis.pubsub("NUMSUB", ownershipChannel(p))) as [string, number])[1];
    const w = recorder();
    const stop = await watching(t, follower, w.listener);
    const stop2 = await watching(t, follower, () => {});
    assert.equal(await subscribers(), 1, "one subscribed connection per instance, however many watchers");
    await zone.move("s", "", 0, "region-0-0");
    await w.until("s", "region-0-0");
    assert.deepEqual(w.seen, [{ ship: "s", from: "", to: "region-0-0", version: 1 }]);
    await stop();
    assert.equal(await subscribers(), 1, "still watched");
    await stop2();
    assert.equal(await subscribers(), 0, "the subscribed connection is closed with the last watcher");
    // Watching again after that opens a new subscription.
    const again = recorder();
    const stop3 = await watching(t, follower, again.listener);
    await zone.move("s", "region-0-0", 1, "region-1-0");
    await again.until("s", "region-1-0");
    await stop3();
  });
});

// One suite over both RegionDirectory implementations: they must behave the same.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { LocalRegionDirectory, RedisRegionDirectory, type RegionDirectory } from "./regions.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix } from "./testing.js";

interface Harness {
  dir: RegionDirectory;
  /** Lets `ms` of lease time pass. */
  advance(ms: number): Promise<void>;
}

const redis = await connectRedis(TEST_REDIS_URL);
after(() => redis.disconnect());

const implementations: Record<string, () => Harness> = {
  "in-process": () => {
    let now = 1_000_000;
    return {
      dir: new LocalRegionDirectory({ now: () => now }),
      advance: async (ms) => {
        now += ms;
      },
    };
  },
  Redis: () => ({
    dir: new RedisRegionDirectory(redis, { prefix: testRedisPrefix() }),
    // Redis expires keys on its own clock: wait it out (kept short).
    advance: (ms) => new Promise((r) => setTimeout(r, ms + 15)),
  }),
};

const A = { zoneId: "zone-a", address: "ws://a:2567" };
const B = { zoneId: "zone-b", address: "ws://b:2568" };

for (const [name, make] of Object.entries(implementations)) {
  describe(`RegionDirectory (${name})`, () => {
    test("transfer: only from the live owner at its epoch, to a higher epoch; the old owner's renewal is then refused", async () => {
      const { dir } = make();
      const a = (await dir.claim("region-0-0", A, 5000))!;
      const C = { zoneId: "zone-c", address: "ws://c:2569" };
      assert.equal(await dir.transfer!("region-0-0", { zoneId: A.zoneId, epoch: a.epoch + 1 }, B, 5000), null);
      assert.equal(await dir.transfer!("region-0-0", { zoneId: C.zoneId, epoch: a.epoch }, B, 5000), null);
      const b = await dir.transfer!("region-0-0", { zoneId: A.zoneId, epoch: a.epoch }, B, 5000, 40);
      assert.equal(b?.zoneId, B.zoneId);
      assert.equal(b?.epoch, 41, "above the floor");
      assert.deepEqual(await dir.owner("region-0-0"), b);
      assert.equal(await dir.renew("region-0-0", A.zoneId, a.epoch, 5000), false);
      // A second transfer from the same (now old) owner is refused: one move wins.
      assert.equal(await dir.transfer!("region-0-0", { zoneId: A.zoneId, epoch: a.epoch }, C, 5000), null);
      assert.equal(await dir.transfer!("region-1-0", { zoneId: A.zoneId, epoch: 1 }, B, 5000), null, "never claimed");
    });

    test("a claim wins once; another zone is refused while the lease lives; owner() tells who", async () => {
      const { dir } = make();
      assert.equal(await dir.owner("region-0-0"), null);
      const a = await dir.claim("region-0-0", A, 10_000);
      assert.deepEqual(a, { ...A, epoch: 1 });
      assert.equal(await dir.claim("region-0-0", B, 10_000), null);
      assert.deepEqual(await dir.owner("region-0-0"), { ...A, epoch: 1 });
      assert.deepEqual(
        await dir.claim("region-0-0", A, 10_000),
        { ...A, epoch: 1 },
        "re-claim by the holder is a no-op",
      );
      assert.deepEqual(await dir.claim("region-1-0", B, 10_000), { ...B, epoch: 1 }, "regions are independent");
    });

    test("the epoch only grows: release and re-claim, by anyone, gets a higher one", async () => {
      const { dir } = make();
      const a = await dir.claim("r", A, 10_000);
      assert.ok(a);
      assert.equal(await dir.release("r", B.zoneId, a.epoch), false, "only the holder can release");
      assert.equal(await dir.release("r", A.zoneId, a.epoch + 1), false, "and only at its epoch");
      assert.equal(await dir.release("r", A.zoneId, a.epoch), true);
      assert.equal(await dir.owner("r"), null);
      const b = await dir.claim("r", B, 10_000);
      assert.equal(b?.epoch, a.epoch + 1);
      await dir.release("r", B.zoneId, b!.epoch);
      const a2 = await dir.claim("r", A, 10_000);
      assert.equal(a2?.epoch, a.epoch + 2);
    });

    test("renewing keeps the lease; a lapsed lease is lost for good and can be taken over", async () => {
      const { dir, advance } = make();
      // Real time for Redis: the margins (400 ms) absorb timer lateness on a loaded machine.
      const a = await dir.claim("r", A, 1000);
      assert.ok(a);
      await advance(600);
      assert.equal(await dir.renew("r", A.zoneId, a.epoch, 1000), true);
      const left = await dir.expiresInMs("r");
      assert.ok(left !== null && left > 0 && left <= 1000, `a renewed lease runs out within its TTL (${left} ms)`);
      await advance(600);
      assert.deepEqual(await dir.owner("r"), a, "renewed lease still alive after the first TTL");
      assert.equal(await dir.renew("r", B.zoneId, a.epoch, 1000), false, "someone else cannot renew it");
      await advance(1000);
      assert.equal(await dir.owner("r"), null, "the lease ran out");
      assert.equal(await dir.expiresInMs("r"), null, "no time left on a lapsed lease");
      assert.equal(await dir.renew("r", A.zoneId, a.epoch, 1000), false, "a lapsed lease cannot be renewed");
      const b = await dir.claim("r", B, 10_000);
      assert.ok(b && b.epoch > a.epoch, "the new owner has a higher epoch than the old");
      assert.equal(await dir.renew("r", A.zoneId, a.epoch, 120), false, "the old owner stays out");
      assert.equal(await dir.release("r", A.zoneId, a.epoch), false);
      assert.deepEqual(await dir.owner("r"), b);
    });

    test("concurrent claims: exactly one zone wins", async () => {
      const { dir } = make();
      const zones = Array.from({ length: 8 }, (_, i) => ({ zoneId: `z${i}`, address: `ws://z${i}` }));
      const results = await Promise.all(zones.map((z) => dir.claim("contested", z, 10_000)));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.deepEqual(await dir.owner("contested"), winners[0]);
    });

    test("a claim's epoch is above the durable floor even when the directory forgot its counter", async () => {
      const { dir } = make();
      // The directory lost its data (Redis restarted empty) but PostgreSQL has seen epoch 41.
      const a = await dir.claim("floored", A, 10_000, 41);
      assert.equal(a?.epoch, 42);
      assert.ok(await dir.release("floored", A.zoneId, 42));
      // A stale (lower) floor never lowers the epoch: the counter kept 42.
      assert.equal((await dir.claim("floored", B, 10_000, 3))?.epoch, 43);
      assert.equal(await dir.lastEpoch("floored"), 43);
      assert.equal(await dir.lastEpoch("never-claimed"), 0);
    });
  });
}

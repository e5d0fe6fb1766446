// One suite over both RegionSnapshots stores: they must behave the same.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { LocalRegionDirectory, RedisRegionDirectory, type RegionDirectory } from "./regions.js";
import {
  LocalRegionSnapshots,
  RedisRegionSnapshots,
  type RegionSnapshot,
  type RegionSnapshots,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
} from "./snapshots.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix } from "./testing.js";

const redis = await connectRedis(TEST_REDIS_URL);
after(() => redis.disconnect());

interface Harness {
  store: RegionSnapshots;
  directory: RegionDirectory;
  putRaw(region: string, epoch: number, raw: string): Promise<void>;
}

const implementations: Record<string, () => Harness> = {
  "in-process": () => {
    const directory = new LocalRegionDirectory();
    const store = new LocalRegionSnapshots(directory);
    return { store, directory, putRaw: async (r, e, raw) => store.putRaw(r, e, raw) };
  },
  Redis: () => {
    const prefix = testRedisPrefix();
    const store = new RedisRegionSnapshots(redis, { prefix });
    return {
      store,
      directory: new RedisRegionDirectory(redis, { prefix }),
      putRaw: (r, e, raw) => store.putRaw(r, e, raw),
    };
  },
};

const snap = (epoch: number, tick: number): RegionSnapshot => ({
  format: SNAPSHOT_FORMAT,
  region: "region-1-1",
  epoch,
  tick,
  takenAt: 1_700_000_000_000 + tick,
  ships: [
    {
      id: "p1",
      name: "Pilot",
      x: 1500.5,
      y: 1700.25,
      vx: 3,
      vy: -4,
      heading: 1.25,
      hull: 80,
      cargo: 7,
      credits: 120,
      holdLevel: 1,
      cooldown: 0.1,
      respawnIn: 0,
      thrust: 1,
      turn: -0.5,
      ack: 42,
      version: 1_700_000_000_123,
      ledgerVersion: 3,
    },
  ],
  ore: { "ast-0": 12, "ast-1": 0 },
});

for (const [name, make] of Object.entries(implementations)) {
  describe(`RegionSnapshots (${name})`, () => {
    test("the newest snapshot comes back whole (ships with their acknowledged input, ore)", async () => {
      const { store } = make();
      assert.equal(await store.load("region-1-1"), null);
      const r1 = await store.save(snap(1, 10));
      assert.equal(r1.stored, true);
      assert.ok(r1.bytes > 100);
      assert.equal((await store.save(snap(1, 20))).stored, true, "the same epoch writes again");
      assert.deepEqual(await store.load("region-1-1"), snap(1, 20));
    });

    test("an older epoch than the stored snapshot's is refused and changes nothing", async () => {
      const { store } = make();
      assert.equal((await store.save(snap(5, 50))).stored, true);
      assert.equal((await store.save(snap(4, 99))).stored, false);
      assert.deepEqual(await store.load("region-1-1"), snap(5, 50));
    });

    test("an epoch older than the directory has issued is refused, even before the new owner wrote", async () => {
      const { store, directory } = make();
      const a = await directory.claim("region-1-1", { zoneId: "a", address: "a" }, 60_000);
      assert.equal((await store.save(snap(a!.epoch, 1))).stored, true);
      await directory.release("region-1-1", "a", a!.epoch);
      const b = await directory.claim("region-1-1", { zoneId: "b", address: "b" }, 60_000);
      // Zone a wakes up and writes under its old epoch: refused.
      assert.equal((await store.save(snap(a!.epoch, 2))).stored, false);
      assert.equal((await store.load("region-1-1"))?.tick, 1);
      assert.equal((await store.save(snap(b!.epoch, 3))).stored, true);
    });

    test("a snapshot of another format is refused on load with SnapshotFormatError", async () => {
      const { store, putRaw } = make();
      await putRaw("region-1-1", 1, JSON.stringify({ ...snap(1, 1), format: SNAPSHOT_FORMAT + 1 }));
      await assert.rejects(store.load("region-1-1"), (err: unknown) => {
        return (
          err instanceof SnapshotFormatError && err.format === SNAPSHOT_FORMAT + 1 && /not restored/.test(err.message)
        );
      });
    });
  });
}

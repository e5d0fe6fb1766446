// One suite over both ZoneStatusBoards (in-process and Redis, the real one), and the cluster view
// built from a directory and a board.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { LocalRegionDirectory, RedisRegionDirectory, type RegionDirectory } from "./regions.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "./testing.js";
import { defineWorld } from "./world.js";
import {
  LocalZoneStatusBoard,
  RedisZoneStatusBoard,
  readClusterStatus,
  type ZoneReport,
  type ZoneStatusBoard,
} from "./zone-status.js";

const redis = await connectRedis(TEST_REDIS_URL);
after(() => redis.quit());

const world = defineWorld({ width: 2000, height: 1000, cols: 2, rows: 1 });
const report = (id: string, name: string, regions: ZoneReport["regions"]): ZoneReport => ({
  name,
  id,
  address: `${id}.local:1`,
  leaseTtlMs: 6000,
  regions,
});

const pairs: [string, () => { board: ZoneStatusBoard; directory: RegionDirectory }][] = [
  ["in-process", () => ({ board: new LocalZoneStatusBoard(), directory: new LocalRegionDirectory() })],
  [
    "Redis",
    () => {
      const prefix = testRedisPrefix();
      return {
        board: new RedisZoneStatusBoard(redis, { prefix }),
        directory: new RedisRegionDirectory(redis, { prefix }),
      };
    },
  ],
];

for (const [kind, make] of pairs) {
  describe(`${kind} zone status board`, () => {
    test("a report is listed while fresh, gone after its TTL or when withdrawn", async () => {
      const { board } = make();
      await board.publish(report("zone-a1", "zone-1", []), 200);
      await board.publish(report("zone-b2", "zone-2", []), 60_000);
      assert.deepEqual((await board.list()).map((r) => r.id).sort(), ["zone-a1", "zone-b2"]);
      await waitFor("expired report dropped", async () => (await board.list()).length === 1, 3000);
      await board.withdraw("zone-b2");
      assert.deepEqual(await board.list(), []);
    });

    test("the cluster view: owners from the directory, figures from the owner's report at that epoch", async () => {
      const { board, directory } = make();
      const owner = await directory.claim("region-0-0", { zoneId: "zone-a1", address: "zone-a1.local:1" }, 6000);
      assert.ok(owner);
      await board.publish(
        report("zone-a1", "zone-1", [
          { id: "region-0-0", epoch: owner.epoch, players: 7, tickP99Ms: 3.5 },
          // A report for a region the directory says it does not hold is not believed.
          { id: "region-1-0", epoch: 9, players: 99, tickP99Ms: 1 },
        ]),
        60_000,
      );
      const s = await readClusterStatus(world, directory, board);
      assert.deepEqual(s.unowned, ["region-1-0"]);
      assert.equal(s.zones.length, 1);
      const z = s.zones[0]!;
      assert.deepEqual(
        { name: z.name, id: z.id, address: z.address, regions: z.regions },
        {
          name: "zone-1",
          id: "zone-a1",
          address: "zone-a1.local:1",
          regions: [{ id: "region-0-0", epoch: owner.epoch, players: 7, tickP99Ms: 3.5 }],
        },
      );
      if (kind === "Redis") assert.ok(z.leaseAgeMs !== null && z.leaseAgeMs >= 0 && z.leaseAgeMs < 6000);
      else assert.equal(z.leaseAgeMs, null, "the in-process directory does not tell lease times");
    });

    test("an owner that has not reported shows with its id as name, no figures", async () => {
      const { board, directory } = make();
      const owner = await directory.claim("region-1-0", { zoneId: "zone-c3", address: "c:1" }, 6000);
      const s = await readClusterStatus(world, directory, board);
      assert.deepEqual(s.zones[0]!.regions, [{ id: "region-1-0", epoch: owner!.epoch, players: 0, tickP99Ms: null }]);
      assert.equal(s.zones[0]!.name, "zone-c3");
    });
  });
}

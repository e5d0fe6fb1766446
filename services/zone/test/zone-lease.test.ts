// Region ownership: a region whose lease is lost (another zone took it at a higher epoch) stops
// being served at once and its players are told to go back through world entry; the others keep
// running; closing gives back what is still ours. (One zone server per file: Colyseus's
// matchMaker is a per-process singleton.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloseCode, LocalRegionDirectory } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { startZone } from "./harness.js";

test("losing one region's lease closes that room with 4106 (RegionMoved); close releases the rest", async () => {
  const directory = new LocalRegionDirectory();
  const zone = await startZone({ STARLANE_ZONE_REGIONS: "1-1,2-1" }, directory);
  try {
    assert.equal(zone.server.notReadyReason(), null);
    assert.deepEqual(
      zone.server
        .regions()
        .map((r) => r.region)
        .sort(),
      ["region-1-1", "region-2-1"],
    );
    const p = await zone.join({ id: "passenger" });
    const q = await zone.join({ id: "other", region: "region-2-1" });
    // An operator (or failover) takes region-1-1 away and another zone claims it at a higher epoch.
    assert.ok(await directory.release("region-1-1", zone.server.zoneId, 1));
    const taken = await directory.claim("region-1-1", { zoneId: "rescuer", address: "r:1" }, 60_000);
    assert.equal(taken?.epoch, 2);
    await zone.server.renewNow();
    assert.equal(await p.closed, CloseCode.RegionMoved);
    await waitFor("the room to be gone", () => zone.server.room("region-1-1") === undefined);
    assert.deepEqual(zone.server.regions(), [{ region: "region-2-1", epoch: 1 }]);
    assert.equal(zone.server.notReadyReason(), null, "still serving region-2-1");
    zone.server.step();
    await waitFor("region-2-1 still ticks", () => q.state().tick >= 1);
  } finally {
    await zone.close();
  }
  assert.deepEqual(
    await directory.owner("region-1-1"),
    { zoneId: "rescuer", address: "r:1", epoch: 2 },
    "not released by the loser",
  );
  assert.equal(await directory.owner("region-2-1"), null, "released on close");
});

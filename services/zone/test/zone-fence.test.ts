// The self-fence on a real zone: when its renewals stop being confirmed (the directory is cut off),
// the zone stops ticking and closes the region's clients with 4106 before the lease can expire,
// and writes nothing more. (One zone server per file: Colyseus's matchMaker is a singleton.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloseCode, LocalRegionDirectory, type RegionDirectory } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { REGION, startZone } from "./harness.js";

test("a zone whose renewals go unanswered fences itself before its lease expires (4106, no more ticks)", async () => {
  const inner = new LocalRegionDirectory();
  let cut = false;
  // The directory stops answering (a partition): renewals hang, as ioredis queues them while offline.
  const directory: RegionDirectory = {
    claim: (...args) => inner.claim(...args),
    release: (...args) => inner.release(...args),
    owner: (region) => inner.owner(region),
    lastEpoch: (region) => inner.lastEpoch(region),
    expiresInMs: (region) => inner.expiresInMs(region),
    renew: (...args) => (cut ? new Promise(() => {}) : inner.renew(...args)),
  };
  const zone = await startZone({ STARLANE_ZONE_LEASE_TTL_MS: "4000" }, directory);
  try {
    const p = await zone.join({ id: "pilot" });
    zone.server.step(3);
    await waitFor("ticks reach the client", () => p.state().tick >= 3);
    // Let one renewal round land, then cut the directory off.
    await zone.server.renewNow();
    cut = true;
    const cutAt = Date.now();
    // The zone's timers are unref'd: keep the test's event loop alive while it waits.
    const alive = setInterval(() => {}, 100);
    const code = await p.closed.finally(() => clearInterval(alive));
    const fencedAfter = Date.now() - cutAt;
    assert.equal(code, CloseCode.RegionMoved);
    assert.ok(await inner.owner(REGION), "the lease had not expired yet when the zone stopped acting");
    assert.ok(fencedAfter < 4000, `fenced ${fencedAfter} ms after the last renewal, under the 4000 ms TTL`);
    assert.deepEqual(zone.server.regions(), []);
    const tick = zone.server.room(REGION)?.sim.tick;
    assert.equal(tick, undefined, "the room is no longer served");
  } finally {
    await zone.close();
  }
});

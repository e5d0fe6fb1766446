// Takeover without sockets: who claims a dead zone's regions (fair share over every live zone), and
// when (the moment the silent owner's lease runs out, not a scan interval later).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, LocalRegionDirectory } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { Takeover } from "../src/takeover.js";

const log = createLogger("test", "silent");
const regions = Array.from({ length: 16 }, (_, i) => `region-${i % 4}-${Math.floor(i / 4)}`);

function zone(id: string, directory: LocalRegionDirectory, liveZones?: () => Promise<string[]>, everyMs = 500) {
  const held = new Set<string>();
  const takeover = new Takeover({
    directory,
    zoneId: id,
    regions,
    everyMs,
    ttlMs: 2000,
    held: () => [...held],
    take: async (region) => {
      const won = await directory.claim(region, { zoneId: id, address: id }, 60_000);
      if (won) held.add(region);
      return won !== null;
    },
    log,
    ...(liveZones ? { liveZones } : {}),
  });
  return { takeover, held };
}

test("a zone that holds no region counts in the fair share: a dead zone's regions are spread over both survivors", async () => {
  let now = 0;
  const directory = new LocalRegionDirectory({ now: () => now });
  // B holds 8 regions, the dead zone C held the other 8, A holds none.
  for (const [i, r] of regions.entries()) {
    await directory.claim(r, { zoneId: i < 8 ? "B" : "C", address: "x" }, i < 8 ? 60_000 : 2000);
  }
  now = 2500; // C's leases ran out
  const live = async () => ["A", "B"];
  const a = zone("A", directory, live);
  const b = zone("B", directory, live);
  for (const r of regions.slice(0, 8)) b.held.add(r);
  // B scans first: the fair share is ceil(16 / 2) + 1 = 9, so it takes one; A takes the rest.
  assert.equal((await b.takeover.scan()).length, 1);
  assert.equal((await a.takeover.scan()).length, 7);
  assert.equal(a.held.size, 7);
  assert.equal(b.held.size, 9);

  // Without the status reports, A (holding nothing) is not seen: B would take all eight.
  let now2 = 0;
  const d2 = new LocalRegionDirectory({ now: () => now2 });
  for (const [i, r] of regions.entries()) {
    await d2.claim(r, { zoneId: i < 8 ? "B" : "C", address: "x" }, i < 8 ? 60_000 : 2000);
  }
  now2 = 2500;
  const blind = zone("B", d2);
  for (const r of regions.slice(0, 8)) blind.held.add(r);
  assert.equal((await blind.takeover.scan()).length, 8);
});

test("a silent owner's region is expected from its first missed renewal and claimed the moment its lease runs out", async () => {
  const directory = new LocalRegionDirectory();
  const r = regions[5]!;
  // The owner renewed 1.6 s ago and stopped (TTL 2 s): 400 ms left, under TTL - 1.5 scan intervals.
  await directory.claim(r, { zoneId: "dead", address: "x" }, 400);
  // No periodic scans (start() is not called): only the scan set for the lease's end can claim it.
  const a = zone("A", directory);
  assert.deepEqual(await a.takeover.scan(), []);
  assert.equal(a.takeover.expecting(r), true, "joins for it wait for the room here");
  assert.equal(a.takeover.expecting(regions[6]!), false);
  const t0 = performance.now();
  await waitFor("the region claimed when its lease ran out", () => a.held.has(r), 5000);
  const waited = performance.now() - t0;
  assert.ok(waited >= 300 && waited < 3000, `claimed ${Math.round(waited)} ms after a lease with 400 ms left`);
  await a.takeover.stop();
});

// Write-behind from the zone: ships are handed to persistence every save interval and when their
// player leaves; closing the zone (SIGTERM) saves every ship still in play before it returns.
// Versions only grow from what was loaded, and every save carries the region's ownership epoch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import {
  createInProcessShipQueue,
  createLogger,
  LocalRegionDirectory,
  LocalShipOwnership,
  loadConfig,
  MemoryShipRepository,
  type ShipState,
} from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { zoneConfig } from "../src/config.js";
import { createZoneServer } from "../src/server.js";
import { testTokens } from "./tokens.js";

test("ships are saved every interval, on leave, and all of them when the zone closes", async () => {
  const tokens = await testTokens();
  const ships = new MemoryShipRepository();
  // A returning player whose stored row is at version 5 and ledger version 2.
  ships.put({
    playerId: "veteran",
    x: 3000,
    y: 3000,
    vx: 0,
    vy: 0,
    heading: 0,
    hull: 80,
    cargo: 3,
    credits: 40,
    version: 5,
    ledgerVersion: 2,
  });
  const queue = createInProcessShipQueue();
  const saved: ShipState[] = [];
  // Stands in for the persistence consumer: takes what the zone published and acknowledges it.
  const drain = setInterval(() => {
    const batch = queue.take(100);
    saved.push(...batch.map((e) => e.state));
    queue.ack(batch.map((e) => e.id));
  }, 5);
  const directory = new LocalRegionDirectory();
  const fenced: [string, number][] = [];
  const zone = createZoneServer(
    {
      log: createLogger("zone", "silent"),
      verifier: tokens.verifier,
      directory,
      presence: new LocalPresence(),
      driver: new LocalDriver(),
      ships,
      ownership: new LocalShipOwnership(),
      publisher: queue,
      // Records what the zone fences (a store would raise the region's epoch).
      fencing: {
        fence: async (region, epoch) => {
          fenced.push([region, epoch]);
          return epoch;
        },
        current: async (region) => Math.max(0, ...fenced.filter(([r]) => r === region).map(([, e]) => e)),
      },
    },
    loadConfig(zoneConfig, {
      STARLANE_ZONE_PORT: "0",
      STARLANE_ZONE_REGIONS: "1-1",
      STARLANE_TICK_HZ: "20",
      STARLANE_ZONE_SAVE_INTERVAL_MS: "500", // every 10 ticks
    }),
    { manualTicks: true },
  );
  try {
    const { port } = await zone.listen();
    const epoch = zone.regions()[0]!.epoch;
    assert.deepEqual(fenced, [["region-1-1", epoch]], "the region is fenced before its room opens");

    const join = async (sub: string) => {
      const client = new Client(`http://127.0.0.1:${port}`);
      client.auth.token = await tokens.sign({ sub, name: sub });
      const room = await client.joinById("region-1-1", {});
      room.reconnection.maxRetries = 0;
      await waitFor("joined", () => zone.room("region-1-1")!.sim.ships.has(sub));
      return room;
    };
    const veteran = await join("veteran");
    const rookie = await join("rookie");

    zone.step(9);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(saved.length, 0, "nothing before the interval");
    zone.step(1);
    await waitFor("periodic save of both ships", () => new Set(saved.map((s) => s.playerId)).size === 2);
    const first = saved.find((s) => s.playerId === "veteran")!;
    assert.ok(first.version > 5, "the first save supersedes the loaded row");
    assert.equal(first.ledgerVersion, 2);
    assert.equal(first.epoch, epoch);
    assert.equal(first.region, "region-1-1");
    assert.equal(first.hull, 80);

    // The rookie leaves: saved at once, not at the next interval.
    const before = saved.length;
    await rookie.leave(true);
    await waitFor("save on leave", () => saved.slice(before).some((s) => s.playerId === "rookie"));

    // The veteran flies, then the zone closes with the player still on board.
    veteran.send("input", { seq: 1, thrust: 1, turn: 0, fire: false });
    await waitFor("queued", () => zone.room("region-1-1")!.pending("veteran") === 1);
    zone.step(3);
    const flying = { ...zone.room("region-1-1")!.sim.ships.get("veteran")! };
    const n = saved.length;
    await zone.close();
    const last = saved
      .slice(n)
      .filter((s) => s.playerId === "veteran")
      .at(-1);
    assert.ok(last, "closing saved the ship still in play");
    assert.equal(last.x, flying.x);
    assert.ok(last.version > first.version);
    const versions = saved.filter((s) => s.playerId === "veteran").map((s) => s.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
      "versions only grow",
    );
  } finally {
    clearInterval(drain);
    await zone.close();
  }
});

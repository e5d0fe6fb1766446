// The same zone with interest management and quantisation switched off (the baseline the benchmark
// compares against): everything is sent to everyone, as float64.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@starlane/shared/testing";
import { metric, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

let zone: Zone;
before(async () => {
  zone = await startZone({
    STARLANE_INTEREST_RADIUS: "500",
    STARLANE_ZONE_INTEREST: "false",
    STARLANE_ZONE_QUANTIZE: "false",
  });
});
after(() => zone.close());

test("with interest off, far entities are sent; without quantisation a moving ship costs more bytes", async () => {
  zone.ships.put({ playerId: "hermit", x: 2100, y: 2100, vx: 0, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0 });
  const hermit = await zone.join({ id: "hermit" });
  const a = await zone.join({ id: "mover" });
  await tickAndSync(zone, [a, hermit], 2);
  const sim = zone.server.room(REGION)!.sim;
  assert.ok(hermit.state().ships.has("mover"), "no interest filter: the far ship is sent");
  assert.equal(hermit.state().asteroids.size, sim.asteroids.size);
  const before = await metric(zone, "starlane_zone_bytes_sent_total");
  const TICKS = 10;
  for (let i = 1; i <= TICKS; i++) {
    a.room.send("input", { seq: i, thrust: 1, turn: 0.3, fire: false });
    await waitFor("queued", () => zone.server.room(REGION)!.pending("mover") === 1);
    await tickAndSync(zone, [a, hermit]);
  }
  const perClientTick = ((await metric(zone, "starlane_zone_bytes_sent_total")) - before) / TICKS / 2;
  // Measured 58 (quantised: 27.9, see zone-interest.test.ts).
  assert.ok(perClientTick > 45, `${perClientTick} bytes per client per tick`);
  assert.equal(hermit.state().ships.get("mover")!.x, sim.ships.get("mover")!.x, "exact float64");
  await a.room.leave(true);
  await hermit.room.leave(true);
});

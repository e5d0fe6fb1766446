import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@starlane/shared/testing";
import { REGION, startZone, tickAndSync, type Zone } from "./harness.js";

let zone: Zone;
before(async () => {
  zone = await startZone();
});
after(() => zone.close());

test("A's input moves A, and observer B sees it within two ticks", async () => {
  const a = await zone.join({ id: "alice" });
  const b = await zone.join({ id: "bob" });
  await tickAndSync(zone, [a, b]);
  const x0 = b.state().ships.get("alice")!.x;
  a.room.send("input", { seq: 1, thrust: 1, turn: 0, fire: false });
  await waitFor("the input to arrive", () => zone.server.room(REGION)!.pending("alice") === 1);
  const sent = zone.server.room(REGION)!.sim.tick;
  let seenAt: number | undefined;
  b.room.onStateChange((s) => {
    if (seenAt === undefined && s.ships.get("alice")!.x !== x0) seenAt = s.tick;
  });
  await tickAndSync(zone, [a, b], 2);
  assert.ok(seenAt !== undefined, "B saw A move");
  assert.ok(seenAt <= sent + 2, `B saw the move at tick ${seenAt}, sent before tick ${sent + 1}`);
  assert.ok(b.state().ships.get("alice")!.x > x0);
  assert.equal(a.state().ships.get("alice")!.ack, 1);
});

// A handoff whose answer comes too late: the target zone takes the ship (the compare-and-set on its
// ownership record succeeds) but answers after the source's timeout. The source's fence then fails
// (counted as aborted, reason "lost"), so it knows the target owns the ship, asks it for a seat and
// sends the player there. The ownership store here applies a move to the target at once and answers
// 400 ms late, against a 150 ms handoff timeout. One zone per process, so this is its own file.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "@colyseus/sdk";
import { LocalShipOwnership, ShipLink } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { metric, startZone } from "./harness.js";

/** Ownership whose moves to `slowTo` take effect at once but answer 400 ms late (a slow target zone). */
class LateAnswers extends LocalShipOwnership {
  slowTo = "";
  override async move(ship: string, from: string, version: number, to: string) {
    const r = await super.move(ship, from, version, to);
    if (r && to === this.slowTo && from !== to) await new Promise((res) => setTimeout(res, 400));
    return r;
  }
}

test("the target takes the ship but answers after the source gave up ('lost'): the source finds the owner, the player follows, no input lost or applied twice", async () => {
  const ownership = new LateAnswers();
  const slow = await startZone(
    { STARLANE_ZONE_REGIONS: "1-1,2-1", STARLANE_ZONE_HANDOFF_TIMEOUT_MS: "150" },
    undefined,
    ownership,
  );
  try {
    slow.ships.put({ playerId: "late", x: 3960, y: 3000, vx: 300, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0 });
    const pilot = await slow.join({ id: "late", region: "region-1-1" });
    const west = slow.server.room("region-1-1")!;
    const east = slow.server.room("region-2-1")!;
    ownership.slowTo = "region-2-1";
    const l = new ShipLink(new Client(slow.url), pilot.room, "late");
    let sent = 0;
    // Fly on (one input per tick) until the player is in the new room and the handoff is settled.
    for (let i = 0; i < 200 && !(l.room.roomId === "region-2-1" && !l.switching && east.owns("late")); i++) {
      const owner = [west, east].find((r) => r.owns("late"));
      if (!l.switching && owner && l.pending < 4) {
        l.send({ thrust: 0.2, turn: 0, fire: false });
        sent++;
        await waitFor("the input to arrive", () => owner.pending("late") > 0 || !owner.owns("late"), 2000, 1);
      }
      slow.server.step();
      assert.ok([west, east].filter((r) => r.owns("late")).length <= 1, "never two owners");
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(l.room.roomId, "region-2-1", "the player followed");
    assert.equal(await metric(slow, "starlane_zone_handoffs_aborted_total", { reason: "lost" }), 1);
    assert.equal(west.owns("late"), false);
    ownership.slowTo = "";
    for (let i = 0; i < 20 && l.ack < sent; i++) {
      slow.server.step();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(l.ack, sent, "every input applied (inputs held by the source were re-sent to the owner)");
    assert.equal(await metric(slow, "starlane_zone_inputs_applied_total"), sent, "and each once");
    await l.room.leave(true);
  } finally {
    await slow.close();
  }
});

// Slow readers never cost the others: a client whose send buffer is over the limit gets no frames
// (skipped, counted), then a fresh full state once it drains; one stuck past the longer limit is
// closed with 4130 SlowReader. The others' frames go on untouched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloseCode, DEFAULT_WORLD } from "@starlane/shared";
import { Mirror } from "../src/mirror.js";
import { createSim, spawnShip } from "../src/sim.js";
import { wireConn } from "./wire-client.js";

test("a slow reader is skipped, resynchronised with a full state when drained, and closed (4130) when stuck", () => {
  const sim = createSim(DEFAULT_WORLD, { col: 1, row: 1 });
  let clock = 0;
  const events: string[] = [];
  const mirror = new Mirror({
    region: "region-1-1",
    bounds: sim.bounds,
    sim,
    tickHz: 20,
    cellSize: 1000,
    margin: 350,
    slowReaderBytes: 64 * 1024,
    slowReaderCloseMs: 5000,
    onSlowReader: (e) => events.push(e),
    now: () => clock,
  });
  spawnShip(sim, { id: "slow", name: "slow", x: 3000, y: 3000 });
  spawnShip(sim, { id: "fast", name: "fast", x: 3050, y: 3000 });
  const slow = wireConn("slow");
  const fast = wireConn("fast");
  mirror.sync([], true);
  mirror.join(slow.client, "slow");
  mirror.join(fast.client, "fast");
  const tick = () => {
    clock += 50;
    sim.tick++;
    const s = sim.ships.get("fast")!;
    sim.ships.set("fast", { ...s, x: s.x + 5, vx: 100 });
    mirror.sync([]);
    mirror.send();
  };
  tick();
  slow.buffered = 100 * 1024; // the socket stopped draining
  const before = slow.frames.length;
  for (let i = 0; i < 20; i++) tick();
  assert.equal(slow.frames.length, before, "no frames while over the limit");
  assert.equal(fast.frames.length, 22, "the other client got every frame (its join frame and 21 ticks)");
  assert.deepEqual(events, ["skipped"], "one stall counted");
  slow.buffered = 0;
  tick();
  assert.equal(slow.frames.length, before + 1);
  assert.equal(slow.frames.at(-1)![1]! & 1, 1, "the frame after the stall is a reset (full state)");
  assert.equal(slow.decoder.view!.ships.get("fast")!.x, fast.decoder.view!.ships.get("fast")!.x, "caught up");
  assert.deepEqual(events, ["skipped", "resynced"]);
  slow.buffered = 100 * 1024;
  for (let i = 0; i < 200 && slow.closed === null; i++) tick();
  assert.equal(slow.closed, CloseCode.SlowReader);
  assert.ok(clock >= 5000, "not before the longer limit");
  assert.deepEqual(events, ["skipped", "resynced", "skipped", "closed"]);
  const n = fast.frames.length;
  tick();
  assert.equal(fast.frames.length, n + 1, "the others go on");
});

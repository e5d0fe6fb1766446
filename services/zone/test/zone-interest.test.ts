// Area of interest and quantisation against a real zone: a client is sent only what is within its
// radius, entities enter and leave its view as they move, and a moving ship costs a few bytes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@starlane/shared/testing";
import { metric, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

const RADIUS = 500;
let zone: Zone;
before(async () => {
  zone = await startZone({ STARLANE_INTEREST_RADIUS: String(RADIUS) });
});
after(() => zone.close());

const sim = () => zone.server.room(REGION)!.sim;

test("an entity outside B's radius is never sent to B, and B's view holds only what is near", async () => {
  // Region 1-1 spans 2000..4000; new ships start beside the station at its centre.
  zone.ships.put({ playerId: "hermit", x: 2100, y: 2100, vx: 0, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0 });
  const hermit = await zone.join({ id: "hermit" });
  const b = await zone.join({ id: "watcher" });
  const everSeenByB = new Set<string>();
  const everSeenByHermit = new Set<string>();
  b.room.onStateChange((s) => {
    for (const k of s.ships.keys()) everSeenByB.add(k);
  });
  hermit.room.onStateChange((s) => {
    for (const k of s.ships.keys()) everSeenByHermit.add(k);
  });
  for (let i = 1; i <= 5; i++) {
    hermit.room.send("input", { seq: i, thrust: 0.2, turn: 0.5, fire: false });
    await waitFor("queued", () => zone.server.room(REGION)!.pending("hermit") === 1);
    await tickAndSync(zone, [b, hermit]);
  }
  assert.deepEqual([...everSeenByB], ["watcher"]);
  assert.deepEqual([...everSeenByHermit], ["hermit"]);
  // B's asteroids and stations: exactly those within the radius of B, no others.
  const me = sim().ships.get("watcher")!;
  const near = (e: { x: number; y: number }) => Math.hypot(e.x - me.x, e.y - me.y) <= RADIUS;
  assert.deepEqual(
    [...b.state().asteroids.keys()].sort(),
    [...sim().asteroids.values()]
      .filter(near)
      .map((a) => a.id)
      .sort(),
  );
  assert.deepEqual([...b.state().stations.keys()], ["st-0"]);
  assert.ok(sim().asteroids.size > b.state().asteroids.size, "some asteroids were filtered out");
  await hermit.room.leave(true);
  await b.room.leave(true);
});

test("entities entering and leaving a client's interest appear and disappear for that client only", async () => {
  const a = await zone.join({ id: "runner" });
  const b = await zone.join({ id: "stayer" });
  await tickAndSync(zone, [a, b]);
  assert.ok(b.state().ships.has("runner"), "both start at the station: in view");
  // A flies away (+x) until it is beyond B's radius.
  let seq = 0;
  const gap = () =>
    Math.hypot(
      sim().ships.get("runner")!.x - sim().ships.get("stayer")!.x,
      sim().ships.get("runner")!.y - sim().ships.get("stayer")!.y,
    );
  while (gap() <= RADIUS + 20) {
    a.room.send("input", { seq: ++seq, thrust: 1, turn: 0, fire: false });
    await waitFor("queued", () => zone.server.room(REGION)!.pending("runner") === 1);
    await tickAndSync(zone, [a, b]);
    assert.ok(seq < 200, "A got away");
  }
  await waitFor("A to leave B's view", () => !b.state().ships.has("runner"));
  assert.ok(a.state().ships.has("runner"), "A still sees itself");
  assert.ok(!a.state().ships.has("stayer"), "and no longer sees B either");
  // Back beside B (as if it had flown back): it reappears for B.
  const r = sim().ships.get("runner")!;
  const s = sim().ships.get("stayer")!;
  sim().ships.set("runner", { ...r, x: s.x + 50, y: s.y + 50, vx: 0, vy: 0, thrust: 0 });
  await tickAndSync(zone, [a, b]);
  assert.ok(b.state().ships.has("runner"));
  assert.ok(a.state().ships.has("stayer"));
  await a.room.leave(true);
  await b.room.leave(true);
});

test("quantised: a moving ship costs each observer a few bytes per tick, and positions stay precise", async () => {
  const a = await zone.join({ id: "mover" });
  const b = await zone.join({ id: "observer" });
  await tickAndSync(zone, [a, b], 2);
  const before = await metric(zone, "starlane_zone_bytes_sent_total");
  const TICKS = 10;
  for (let i = 1; i <= TICKS; i++) {
    a.room.send("input", { seq: i, thrust: 1, turn: 0.3, fire: false });
    await waitFor("queued", () => zone.server.room(REGION)!.pending("mover") === 1);
    await tickAndSync(zone, [a, b]);
  }
  const perClientTick = ((await metric(zone, "starlane_zone_bytes_sent_total")) - before) / TICKS / 2;
  // Measured 27.9 (the same scene as float64: 58, see zone-broadcast.test.ts).
  assert.ok(perClientTick < 32, `${perClientTick} bytes per client per tick`);
  const server = sim().ships.get("mover")!;
  const seen = b.state().ships.get("mover")!;
  assert.ok(
    Math.abs(seen.x - server.x) <= 0.07 && Math.abs(seen.y - server.y) <= 0.07,
    "within half a quantum (8000/65535)",
  );
  assert.ok(Math.abs(seen.vx - server.vx) <= 0.01);
  await a.room.leave(true);
  await b.room.leave(true);
});

// Handoff between rooms of one zone process (the embedded mode): four regions around the point
// (4000, 4000), real SDK clients following handoffs with the shared ShipLink helper, ticks driven
// with step(). Every tick a detector checks that each ship has exactly one owner (or is in the
// middle of a handoff) and an observer across the border sees the crossing ship.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { ServerMessage, ShipLink } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import type { RegionRoom } from "../src/room.js";
import { metric, type Player, type RegionView, startZone, type Zone } from "./harness.js";

const REGIONS = ["region-1-1", "region-2-1", "region-1-2", "region-2-2"];
let zone: Zone;

before(async () => {
  zone = await startZone({ STARLANE_ZONE_REGIONS: "1-1,2-1,1-2,2-2" });
});
after(() => zone.close());

const rooms = () => REGIONS.map((id) => zone.server.room(id)!) as RegionRoom[];

function place(id: string, x: number, y: number, vx = 0, vy = 0, heading = 0) {
  zone.ships.put({ playerId: id, x, y, vx, vy, heading, hull: 100, cargo: 0, credits: 0 });
}

/** Exactly one room owns the ship, or none while one of them is handing it off; never two. */
function checkOwnership(id: string): string {
  const owners = rooms().filter((r) => r.owns(id));
  assert.ok(owners.length <= 1, `${id} has ${owners.length} owners`);
  if (owners.length === 0)
    assert.ok(
      rooms().some((r) => r.handingOff(id)),
      `${id} has no owner and no handoff`,
    );
  return owners[0]?.roomId ?? "(handing off)";
}

function link(p: Player) {
  const client = new Client(zone.url);
  return new ShipLink(client, p.room, p.id, {
    onRoom: (r) => {
      r.reconnection.maxRetries = 0;
    },
  });
}

/** One step: send an input (unless switching), let it arrive, tick every room, let clients catch up. */
async function fly(l: ShipLink<Player["room"]>, input: { thrust: number; turn: number }, watchers: Player[] = []) {
  const owner = rooms().find((r) => r.owns(l.shipId));
  if (!l.switching && owner) {
    l.send({ ...input, fire: false });
    await waitFor("the input to arrive", () => owner.pending(l.shipId) > 0 || !owner.owns(l.shipId), 2000, 1);
  }
  zone.server.step();
  const tick = Math.max(...rooms().map((r) => r.sim.tick));
  for (const w of watchers) await waitFor(`${w.id} sees tick ${tick}`, () => w.state().tick >= tick, 2000, 1);
}

test("a ship crossing east is handed to the next room: the client follows, no input lost or applied twice, the far side sees it throughout", async () => {
  place("crosser", 3850, 3000, 250, 0, 0);
  place("watcher", 4300, 3000);
  const pilot = await zone.join({ id: "crosser", region: "region-1-1" });
  const watcher = await zone.join({ id: "watcher", region: "region-2-1" });
  const l = link(pilot);
  const appliedBefore = await metric(zone, "starlane_zone_inputs_applied_total");
  const owners: string[] = [];
  let seenFrom: number | undefined;
  const gaps: number[] = [];
  let sent = 0;
  for (let i = 0; i < 60; i++) {
    if (!l.switching) sent++;
    await fly(l, { thrust: 0.3, turn: 0 }, [watcher]);
    owners.push(checkOwnership("crosser"));
    const visible = watcher.state().ships.has("crosser");
    if (visible && seenFrom === undefined) seenFrom = i;
    if (seenFrom !== undefined && !visible) gaps.push(i);
  }
  assert.ok(seenFrom !== undefined && seenFrom <= 1, "the watcher sees the ship as a ghost before it crosses");
  assert.deepEqual(gaps, [], "the watcher never loses sight of the crossing ship");
  assert.equal(owners[0], "region-1-1");
  assert.equal(owners.at(-1), "region-2-1");
  assert.equal(l.room.roomId, "region-2-1", "the client followed the handoff");
  assert.equal(l.handoffs, 1);
  // The ship kept its state and every input was applied once: the final ack is the last sequence
  // sent, and the rooms together applied exactly as many inputs as were sent.
  await fly(l, { thrust: 0.3, turn: 0 }, [watcher]);
  sent++;
  await waitFor("the last input acknowledged", () => l.ack === sent && l.pending === 0, 2000, 1);
  assert.equal((await metric(zone, "starlane_zone_inputs_applied_total")) - appliedBefore, sent);
  const s = (l.room.state as RegionView).ships.get("crosser")!;
  assert.equal(s.ack, sent);
  assert.ok(s.x > 4050, `x ${s.x}`);
  assert.equal(await metric(zone, "starlane_zone_handoffs_total", { outcome: "completed", region: "region-1-1" }), 1);
  assert.equal(await metric(zone, "starlane_zone_handoffs_total", { outcome: "aborted" }), 0);
  await l.room.leave(true);
  await watcher.room.leave(true);
});

test("a ship crossing a corner goes straight to the diagonal region", async () => {
  place("corner", 3960, 3960, 200, 200, Math.PI / 4);
  const pilot = await zone.join({ id: "corner", region: "region-1-1" });
  const l = link(pilot);
  const started = await metric(zone, "starlane_zone_handoffs_total", { outcome: "started" });
  for (let i = 0; i < 20; i++) {
    await fly(l, { thrust: 0.5, turn: 0 });
    checkOwnership("corner");
  }
  await waitFor("the client to follow", () => !l.switching && l.room.roomId === "region-2-2", 2000, 1);
  assert.equal(l.handoffs, 1, "one handoff, not two through an edge neighbour");
  assert.equal((await metric(zone, "starlane_zone_handoffs_total", { outcome: "started" })) - started, 1);
  await l.room.leave(true);
});

test("a ship dithering on a border is not handed back and forth (hysteresis)", async () => {
  place("dither", 3990, 2500);
  const pilot = await zone.join({ id: "dither", region: "region-1-1" });
  const l = link(pilot);
  const started = () => metric(zone, "starlane_zone_handoffs_total", { outcome: "started" });
  const before = await started();
  const put = (x: number) => {
    const owner = rooms().find((r) => r.owns("dither"))!;
    const ship = owner.sim.ships.get("dither")!;
    owner.sim.ships.set("dither", { ...ship, x, vx: 0, vy: 0, thrust: 0 });
  };
  // Up to 40 units either side of the border, 30 ticks: no handoff at all.
  for (let i = 0; i < 30; i++) {
    put(4000 + (i % 2 ? 40 : -40));
    await fly(l, { thrust: 0, turn: 0 });
    checkOwnership("dither");
  }
  assert.equal((await started()) - before, 0);
  put(4060);
  await fly(l, { thrust: 0, turn: 0 });
  await waitFor("handed to 2-1", () => zone.server.room("region-2-1")!.owns("dither"), 2000, 1);
  await waitFor("the client to follow", () => !l.switching && l.room.roomId === "region-2-1", 2000, 1);
  // Back 40 units into 1-1: still inside 2-1's hysteresis, so it stays with 2-1.
  for (let i = 0; i < 10; i++) {
    put(i % 2 ? 3960 : 4040);
    await fly(l, { thrust: 0, turn: 0 });
    checkOwnership("dither");
  }
  assert.equal((await started()) - before, 1);
  assert.equal(zone.server.room("region-2-1")!.owns("dither"), true);
  await l.room.leave(true);
});

test("clients cannot move their ship: a forged handoff message, a join where the ship is not, a replayed seat", async () => {
  place("forger", 3900, 3000, 300, 0, 0);
  const pilot = await zone.join({ id: "forger", region: "region-1-1" });
  // 1. A message claiming a handoff is refused with its code; the ship stays.
  pilot.room.send(ServerMessage.Handoff, { roomId: "region-2-2", reservation: {}, address: "x" });
  await waitFor("refusal", () => pilot.errors.some((e) => e.code === "STARLANE_ERR_HANDOFF_REFUSED"), 2000, 1);
  assert.equal(zone.server.room("region-1-1")!.owns("forger"), true);
  // 3. A real handoff seat is good once: replaying it is refused.
  const l = link(pilot);
  let seat: unknown;
  pilot.room.onMessage("handoff", (m: { reservation: unknown }) => {
    seat = m.reservation;
  });
  for (let i = 0; i < 30 && l.handoffs === 0; i++) await fly(l, { thrust: 1, turn: 0 });
  await waitFor("the handoff", () => l.handoffs === 1 && !l.switching, 2000, 1);
  assert.ok(seat);
  const replay = new Client(zone.url);
  await assert.rejects(replay.consumeSeatReservation(seat as never), (err: { code?: number; message?: string }) => {
    assert.ok(
      err.code === 403 || /consumed|expired|STARLANE_ERR_SEAT_INVALID/i.test(String(err.message)),
      JSON.stringify(err),
    );
    return true;
  });
  assert.equal(zone.server.room("region-2-1")!.owns("forger"), true);
  // 2. Joining another region directly does not move the ship there: that room redirects the
  // client to the ship's owner (this is also how a client that lost its connection mid-handoff
  // resumes), and the ship stays put.
  const other = new Client(zone.url);
  other.auth.token = await zone.tokens.sign({ sub: "forger" });
  const stray = await other.joinById<RegionView>("region-2-2", {});
  stray.reconnection.maxRetries = 0;
  const redirect = await new Promise<{ roomId: string; reservation: unknown }>((resolve) =>
    stray.onMessage("handoff", resolve),
  );
  assert.equal(redirect.roomId, "region-2-1");
  assert.equal(zone.server.room("region-2-2")!.owns("forger"), false);
  assert.equal(zone.server.room("region-2-1")!.owns("forger"), true);
  const resumed = await other.consumeSeatReservation<RegionView>(redirect.reservation as never);
  resumed.reconnection.maxRetries = 0;
  await waitFor("the resumed view", () => resumed.state?.ships?.get("forger")?.ghost === false, 2000, 1);
  assert.equal(resumed.roomId, "region-2-1");
  await stray.leave(true);
  await resumed.leave(true);
});

test("two handoffs of one ship racing: exactly one target takes it; a replayed offer is refused", async () => {
  place("racer", 3990, 3990);
  const pilot = await zone.join({ id: "racer", region: "region-1-1" });
  const source = zone.server.room("region-1-1")!;
  const version = source.versionOf("racer")!;
  const ship = { ...source.sim.ships.get("racer")!, x: 4100, y: 4100 };
  const offer = (to: string, x: number, y: number) => ({
    id: `race-${to}`,
    from: "region-1-1",
    to,
    version,
    ship: { ...ship, x, y },
  });
  // Forged offers for the same ship at the same version to two neighbours at once: only one
  // compare-and-set on the ownership record can win.
  const results = await Promise.allSettled([
    zone.server.room("region-2-2")!.acceptHandoff(offer("region-2-2", 4100, 4100)),
    zone.server.room("region-2-1")!.acceptHandoff(offer("region-2-1", 4100, 3900)),
  ]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  const winners = rooms().filter((r) => r.sim.ships.has("racer") && r.roomId !== "region-1-1");
  assert.equal(winners.length, 1);
  // The same offer again (a replay) is refused: its version is stale.
  const again = offer(winners[0]!.roomId, 4100, 4100);
  await assert.rejects(
    zone.server.room("region-1-2")!.acceptHandoff({ ...again, to: "region-1-2", ship: { ...ship, x: 3900, y: 4100 } }),
    /stale/,
  );
  // An offer for a region the ship is not in is refused before it touches ownership.
  await assert.rejects(zone.server.room("region-2-1")!.acceptHandoff(offer("region-2-1", 3000, 3000)), /not_entering/);
  await pilot.room.leave(true);
});

test("a shot across the border hits the ghost and is resolved once, by the target's owner", async () => {
  place("gunner", 3900, 2600, 0, 0, 0);
  place("target", 4060, 2600);
  const gunner = await zone.join({ id: "gunner", region: "region-1-1" });
  const target = await zone.join({ id: "target", region: "region-2-1" });
  const west = zone.server.room("region-1-1")!;
  const east = zone.server.room("region-2-1")!;
  await waitFor(
    "the target's ghost in the west",
    () => {
      zone.server.step();
      return west.ghostIds().includes("target");
    },
    2000,
    1,
  );
  let seq = 0;
  for (let i = 0; i < 40 && east.sim.ships.get("target")!.hull === 100; i++) {
    gunner.room.send("input", { seq: ++seq, thrust: 0, turn: 0, fire: true });
    await waitFor("the input", () => west.pending("gunner") > 0, 2000, 1);
    zone.server.step();
  }
  assert.equal(east.sim.ships.get("target")!.hull, 80, "one hit, applied by the owner");
  assert.equal(east.sim.shots.size, 0, "the shot never existed in the target's region");
  zone.server.step(30); // shots in flight expire; nothing is applied twice
  assert.equal(east.sim.ships.get("target")!.hull, 80);
  await waitFor("the target's player sees the damage", () => target.state().ships.get("target")?.hull === 80, 2000, 1);
  await gunner.room.leave(true);
  await target.room.leave(true);
});

test("a client that drops mid-handoff resumes on whichever side owns its ship", async () => {
  place("dropper", 3980, 3300, 300, 0, 0);
  const pilot = await zone.join({ id: "dropper", region: "region-1-1" });
  const west = zone.server.room("region-1-1")!;
  const east = zone.server.room("region-2-1")!;
  // Fly until the handoff starts, then drop the connection before the client can follow it.
  for (let i = 0; i < 20 && !west.handingOff("dropper") && !east.owns("dropper"); i++) zone.server.step();
  await pilot.room.leave(false);
  await waitFor("the handoff to finish without the player", () => east.owns("dropper"), 2000, 1);
  zone.server.step(5);
  assert.equal(east.owns("dropper"), true, "the ship waits in its new owner's room");
  // The player comes back where it was: the old room redirects it to the owner, ShipLink follows.
  const client = new Client(zone.url);
  client.auth.token = await zone.tokens.sign({ sub: "dropper" });
  const back = await client.joinById<RegionView>("region-1-1", {});
  back.reconnection.maxRetries = 0;
  const l = new ShipLink(client, back, "dropper");
  await waitFor("the redirect followed", () => l.room.roomId === "region-2-1" && !l.switching, 2000, 1);
  const ack = l.ack;
  l.send({ thrust: 0, turn: 0, fire: false });
  await waitFor("the input to arrive", () => east.pending("dropper") > 0, 2000, 1);
  zone.server.step();
  await waitFor("the input applied", () => l.ack === ack + 1, 2000, 1);
  assert.equal(rooms().filter((r) => r.owns("dropper")).length, 1);
  await l.room.leave(true);
});

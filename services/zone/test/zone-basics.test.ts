// A real zone process with real SDK clients: movement seen by observers, input order and
// acknowledgement, ownership, bad inputs, and the ops endpoints.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { attachRegion, regionView } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import { metric, REGION, type RegionView, startZone, tickAndSync, type Zone } from "./harness.js";

let zone: Zone;
before(async () => {
  zone = await startZone();
});
after(() => zone.close());

const room = () => zone.server.room(REGION)!;

test("A's input moves A, and observer B sees it within two ticks", async () => {
  const a = await zone.join({ id: "alice" });
  const b = await zone.join({ id: "bob" });
  await tickAndSync(zone, [a, b]);
  const x0 = b.state().ships.get("alice")!.x;
  a.room.send("input", { seq: 1, thrust: 1, turn: 0, fire: false });
  await waitFor("the input to arrive", () => room().pending("alice") === 1);
  const sent = room().sim.tick;
  let seenAt: number | undefined;
  attachRegion(b.room, {
    onFrame: (d) => {
      const s = d.view!;
      if (seenAt === undefined && s.ships.get("alice")!.x !== x0) seenAt = s.tick;
    },
  });
  await tickAndSync(zone, [a, b], 2);
  assert.ok(seenAt !== undefined, "B saw A move");
  assert.ok(seenAt <= sent + 2, `B saw the move at tick ${seenAt}, sent before tick ${sent + 1}`);
  assert.ok(b.state().ships.get("alice")!.x > x0);
  assert.equal(a.state().ships.get("alice")!.ack, 1);
  await a.room.leave(true);
  await b.room.leave(true);
  await waitFor("ships gone", () => !room().sim.ships.has("alice") && !room().sim.ships.has("bob"));
});

test("inputs are applied one per tick in sequence order, and the acknowledged sequence is visible", async () => {
  const p = await zone.join({ id: "seq-pilot" });
  const ship = () => p.state().ships.get("seq-pilot")!;
  // Three inputs with different turns: the heading after each tick tells which one was applied.
  p.room.send("input", { seq: 1, thrust: 0, turn: 1, fire: false });
  p.room.send("input", { seq: 2, thrust: 0, turn: -1, fire: false });
  p.room.send("input", { seq: 3, thrust: 0, turn: 0, fire: false });
  await waitFor("all three queued", () => room().pending("seq-pilot") === 3);
  const h0 = ship().heading;
  await tickAndSync(zone, [p]);
  assert.equal(ship().ack, 1);
  const h1 = ship().heading;
  assert.ok(h1 > h0, "turned right with seq 1");
  await tickAndSync(zone, [p]);
  assert.equal(ship().ack, 2);
  assert.ok(Math.abs(ship().heading - h0) < 1e-3, "seq 2 turned back");
  await tickAndSync(zone, [p]);
  assert.equal(ship().ack, 3);
  assert.ok(Math.abs(ship().heading - h0) < 1e-3, "seq 3 does not turn");

  // Replaying an old sequence number has no effect.
  const replayedBefore = await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "replayed" });
  p.room.send("input", { seq: 2, thrust: 1, turn: 1, fire: true });
  await waitFor(
    "the replay to be counted",
    async () =>
      (await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "replayed" })) === replayedBefore + 1,
  );
  const before = { ...ship() };
  await tickAndSync(zone, [p], 3);
  assert.equal(ship().ack, 3);
  assert.equal(ship().heading, before.heading);
  assert.equal(ship().vx, before.vx);
  assert.equal(p.state().shots.size, 0, "the replayed fire did nothing");
  await p.room.leave(true);
});

test("an input claiming to act for another ship has no effect and is refused", async () => {
  const a = await zone.join({ id: "honest" });
  const m = await zone.join({ id: "mallory" });
  await tickAndSync(zone, [a, m]);
  const before = { ...a.state().ships.get("honest")! };
  m.room.send("input", { seq: 1, thrust: 1, turn: 1, fire: true, ship: "honest" });
  m.room.send("action", { kind: "sell", ship: "honest" });
  await waitFor("two refusals", () => m.errors.filter((e) => e.code === "STARLANE_ERR_NOT_YOUR_SHIP").length === 2);
  await tickAndSync(zone, [a, m], 2);
  const after = a.state().ships.get("honest")!;
  assert.deepEqual([after.x, after.y, after.heading, after.ack], [before.x, before.y, before.heading, before.ack]);
  assert.equal(m.state().ships.get("mallory")!.ack, 0, "nor did it move the sender");
  assert.ok((await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "not_your_ship" })) >= 2);
  await a.room.leave(true);
  await m.room.leave(true);
});

test("malformed and out-of-range inputs are dropped, counted and answered; the client stays connected", async () => {
  const p = await zone.join({ id: "fuzzer" });
  const bad = [
    "hello",
    42,
    null,
    [1, 2, 3],
    { seq: "1", thrust: 1, turn: 0, fire: false },
    { seq: 1, thrust: 1e9, turn: 0, fire: false },
    { seq: -4, thrust: 1, turn: 0, fire: false },
    { seq: 1, thrust: 1, turn: -7, fire: false },
    { seq: 1, thrust: 1, turn: 0, fire: "yes" },
  ];
  const dropped = async () =>
    (await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "malformed" })) +
    (await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "out_of_range" }));
  const before = await dropped();
  for (const msg of bad) p.room.send("input", msg);
  p.room.send("action", { kind: "warp", target: 12 });
  p.room.send("no-such-message", { x: 1 });
  await waitFor("every bad message counted", async () => (await dropped()) === before + bad.length + 2);
  // The answers travel back over the socket after the counters moved: wait for them, then check
  // that there is exactly one per bad message.
  const answered = (code: string) => p.errors.filter((e) => e.code === code).length;
  await waitFor("every bad message answered", () => answered("STARLANE_ERR_INVALID_INPUT") >= bad.length + 1);
  await waitFor("malformed answered", () => answered("STARLANE_ERR_MALFORMED_MESSAGE") >= 1);
  await tickAndSync(zone, [p], 1);
  assert.equal(answered("STARLANE_ERR_INVALID_INPUT"), bad.length + 1);
  assert.equal(answered("STARLANE_ERR_MALFORMED_MESSAGE"), 1);
  await tickAndSync(zone, [p], 2);
  assert.equal(p.state().ships.get("fuzzer")!.ack, 0, "none was applied");
  // Still connected and playing.
  p.room.send("input", { seq: 1, thrust: 1, turn: 0, fire: false });
  await waitFor("queued", () => room().pending("fuzzer") === 1);
  await tickAndSync(zone, [p]);
  assert.equal(p.state().ships.get("fuzzer")!.ack, 1);
  await p.room.leave(true);
});

test("fly, mine, sell: the economy through the room, refused actions are answered", async () => {
  // World entry creates the account the ledger sells from.
  await zone.ships.createAtSpawn("miner", "miner", { region: REGION, x: 3000, y: 3000 });
  const p = await zone.join({ id: "miner" });
  const sim = room().sim;
  const rock = [...sim.asteroids.values()][0]!;
  // Put the ship beside an asteroid as if it had flown there.
  const s = sim.ships.get("miner")!;
  sim.ships.set("miner", { ...s, x: rock.x + rock.radius + 40, y: rock.y });
  p.room.send("action", { kind: "mine", target: rock.id });
  p.room.send("action", { kind: "sell" });
  await waitFor("both actions queued", () => room().pending("miner") === 2);
  await tickAndSync(zone, [p]);
  await waitFor("mined", () => p.state().ships.get("miner")!.cargo === 10);
  await waitFor("sell refused far from the station", () =>
    p.errors.some((e) => e.code === "STARLANE_ERR_ACTION_REFUSED"),
  );
  const st = [...sim.stations.values()][0]!;
  const m = sim.ships.get("miner")!;
  sim.ships.set("miner", { ...m, x: st.x + st.radius + 60, y: st.y, vx: 0, vy: 0 });
  p.room.send("action", { kind: "sell" });
  await waitFor("sold", async () => {
    await tickAndSync(zone, [p]);
    return p.state().ships.get("miner")!.credits === 50;
  });
  assert.equal(p.state().ships.get("miner")!.cargo, 0);
  await p.room.leave(true);
});

test("/healthz, /readyz and /metrics are served on the zone's port", async () => {
  const health = await fetch(`${zone.url}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${zone.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
  const text = await (await fetch(`${zone.url}/metrics`)).text();
  for (const name of [
    "starlane_zone_tick_duration_seconds_bucket",
    "starlane_zone_tick_overruns_total",
    "starlane_zone_clients",
    "starlane_zone_entities",
    "starlane_zone_inputs_applied_total",
    "starlane_zone_inputs_dropped_total",
    "starlane_zone_bytes_sent_per_tick_bucket",
  ]) {
    assert.match(text, new RegExp(`^${name}`, "m"), name);
  }
  assert.deepEqual(zone.server.regions(), [{ region: REGION, epoch: 1 }]);
  assert.deepEqual(await zone.directory.owner(REGION), {
    zoneId: zone.server.zoneId,
    address: `127.0.0.1:${zone.port}`,
    epoch: 1,
  });
});

test("world entry's path: a seat reserved over HTTP with the player's token, consumed by the client", async () => {
  const token = await zone.tokens.sign({ sub: "entrant", name: "Entrant" });
  const res = await fetch(`${zone.url}/matchmake/joinById/${REGION}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(res.status, 200);
  const reservation = (await res.json()) as Parameters<Client["consumeSeatReservation"]>[0];
  assert.equal(reservation.roomId, REGION);
  const client = new Client(zone.url); // no token of its own: the reservation carries the identity
  const room = await client.consumeSeatReservation<RegionView>(reservation);
  attachRegion(room);
  await waitFor("the entrant's ship", () => regionView(room)?.ships.get("entrant"));
  assert.equal(regionView(room)!.ships.get("entrant")!.name, "Entrant");
  const refused = await fetch(`${zone.url}/matchmake/joinById/${REGION}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await zone.tokens.signForeign("entrant")}`,
      "content-type": "application/json",
    },
    body: "{}",
  });
  assert.equal(refused.status, 401);
  await room.leave(true);
});

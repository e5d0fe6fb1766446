// Account decisions reach live connections: the login service publishes a ban or the end of a
// player's sessions, the zone closes that player's connections with the documented code (4180,
// 4181) and everyone else keeps playing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CloseCode, LocalAccountEvents, LocalRegionDirectory } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { metric, type Player, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

const events = new LocalAccountEvents();
let zone: Zone;
let bystander: Player;
before(async () => {
  zone = await startZone({}, new LocalRegionDirectory(), undefined, undefined, { accountEvents: events });
  bystander = await zone.join({ id: "bystander" });
});
after(() => zone.close());

async function bystanderUnaffected(seq: number) {
  bystander.room.send("input", { seq, thrust: 1, turn: 0, fire: false });
  await waitFor("bystander input queued", () => zone.server.room(REGION)!.pending("bystander") === 1);
  await tickAndSync(zone, [bystander]);
  assert.equal(bystander.state().ships.get("bystander")!.ack, seq);
}

test("a ban closes the player's connection with 4180 (AccountBanned); the ship leaves the room", async () => {
  const banned = await zone.join({ id: "rogue" });
  await events.publish({ kind: "banned", account: "rogue" });
  assert.equal(await banned.closed, CloseCode.AccountBanned);
  await waitFor("the ship left", async () => {
    await tickAndSync(zone, [bystander]);
    return !bystander.state().ships.has("rogue");
  });
  assert.equal(await metric(zone, "starlane_zone_clients_closed_total", { reason: "account" }), 1);
  await bystanderUnaffected(1);
});

test("ended sessions close the player's connection with 4181 (SessionsRevoked)", async () => {
  const player = await zone.join({ id: "changed-password" });
  await events.publish({ kind: "sessions-revoked", account: "changed-password" });
  assert.equal(await player.closed, CloseCode.SessionsRevoked);
  await bystanderUnaffected(2);
});

test("an event for a player who is not here closes nobody", async () => {
  await events.publish({ kind: "banned", account: "somebody-else" });
  await events.publish({ kind: "sessions-revoked", account: "somebody-else" });
  assert.equal(zone.server.room(REGION)!.seats, 1);
  await bystanderUnaffected(3);
});

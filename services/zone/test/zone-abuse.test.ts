// Bad clients: floods, oversized and malformed frames, bad tokens, a second connection for the same
// player. Each gets its documented close code or error, and the others keep playing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { CloseCode } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { metric, type Player, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

let zone: Zone;
let bystander: Player;
before(async () => {
  zone = await startZone({
    STARLANE_ZONE_MAX_MESSAGES_PER_SECOND: "30",
    STARLANE_ZONE_MAX_MESSAGE_BYTES: "512",
    STARLANE_ZONE_INPUT_QUEUE: "8",
  });
  bystander = await zone.join({ id: "bystander" });
});
after(() => zone.close());

/** The bystander still gets every tick and its inputs still apply. */
async function bystanderUnaffected(seq: number) {
  bystander.room.send("input", { seq, thrust: 1, turn: 0, fire: false });
  await waitFor("bystander input queued", () => zone.server.room(REGION)!.pending("bystander") === 1);
  await tickAndSync(zone, [bystander]);
  assert.equal(bystander.state().ships.get("bystander")!.ack, seq);
}

test("a client over the message-rate limit is closed with 4101 (RateLimited)", async () => {
  const flood = await zone.join({ id: "flooder" });
  for (let i = 1; i <= 100; i++) flood.room.send("input", { seq: i, thrust: 1, turn: 0, fire: false });
  assert.equal(await flood.closed, CloseCode.RateLimited);
  assert.equal(await metric(zone, "starlane_zone_clients_closed_total", { reason: "rate_limited" }), 1);
  // Its queue was bounded: what it managed to queue before the close never exceeded the limit.
  assert.ok((await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "overflow" })) > 0);
  await bystanderUnaffected(1);
});

test("a frame over the size limit is closed with 4102 (MessageTooLarge)", async () => {
  const big = await zone.join({ id: "big-talker" });
  big.room.send("input", { seq: 1, thrust: 1, turn: 0, fire: false, pad: "x".repeat(600) });
  assert.equal(await big.closed, CloseCode.MessageTooLarge);
  await bystanderUnaffected(2);
});

test("a frame over the transport's hard cap is cut by uWebSockets.js (1006 at the client), never reaching the room", async () => {
  const huge = await zone.join({ id: "huge-talker" });
  huge.room.send("input", { seq: 1, pad: "x".repeat(64 * 1024) });
  const code = await huge.closed;
  // uWS ends the connection itself; the client sees an abnormal closure. Documented in the README.
  assert.equal(code, 1006);
  await waitFor("the room forgot it", () => zone.server.room(REGION)!.seats === 1);
  await bystanderUnaffected(3);
});

test("frames that are not our protocol are closed with 4103 (Malformed)", async () => {
  const junk = await zone.join({ id: "junk" });
  junk.room.connection.send(new Uint8Array([99, 1, 2, 3]));
  assert.equal(await junk.closed, CloseCode.Malformed);
  // A well-formed frame type whose body is not MessagePack.
  const junk2 = await zone.join({ id: "junk2" });
  junk2.room.connection.send(new Uint8Array([13, 0xa5, ...Buffer.from("input"), 0xc1, 0xc1, 0xc1]));
  assert.equal(await junk2.closed, CloseCode.Malformed);
  assert.equal(await metric(zone, "starlane_zone_clients_closed_total", { reason: "malformed" }), 2);
  await bystanderUnaffected(4);
});

test("joining needs a valid access token of ours", async () => {
  const client = new Client(zone.url);
  const attempts = [
    undefined,
    "not-a-jwt",
    await zone.tokens.signForeign("eve"),
    await zone.tokens.sign({ sub: "late", expiresIn: "-1m" }),
  ];
  for (const token of attempts) {
    client.auth.token = token as string;
    await assert.rejects(client.joinById(REGION, {}), (err: { code?: number; message?: string }) => {
      assert.equal(err.code, 401);
      assert.equal(err.message, "STARLANE_ERR_UNAUTHORIZED");
      return true;
    });
  }
  assert.equal(zone.server.room(REGION)!.seats, 1, "nobody got in");
});

test("the same player connecting again replaces the older connection (4104) and keeps the ship", async () => {
  const first = await zone.join({ id: "twice" });
  first.room.send("input", { seq: 1, thrust: 1, turn: 0, fire: false });
  await waitFor("queued", () => zone.server.room(REGION)!.pending("twice") === 1);
  await tickAndSync(zone, [first]);
  const x = first.state().ships.get("twice")!.x;
  const second = await zone.join({ id: "twice" });
  assert.equal(await first.closed, CloseCode.Replaced);
  await tickAndSync(zone, [second]);
  const ship = second.state().ships.get("twice")!;
  assert.equal(ship.ack, 1, "the acknowledged sequence carries over");
  assert.ok(ship.x > x, "same ship, still coasting");
  assert.equal(zone.server.room(REGION)!.sim.ships.size, 2, "no duplicate ship");
  second.room.send("input", { seq: 1, thrust: 0, turn: 1, fire: false });
  await waitFor(
    "replay counted",
    async () => (await metric(zone, "starlane_zone_inputs_dropped_total", { reason: "replayed" })) >= 1,
  );
  await second.room.leave(true);
});

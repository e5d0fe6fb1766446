// ShipLink's own ordering rules, with rooms that record what they receive (the zone side of a
// handoff is tested against real zones in services/zone/test and loadtest/test). The case here is
// the one a 300-bot border run found: the ship is handed on again (a corner) while the link is still
// waiting for it to show in the room it just joined; that room then shows it for a moment. The
// earlier follow must not end the switch: inputs sent meanwhile would reach the newest room ahead of
// the re-sent ones, which that room would then drop as replays (never applied).
import assert from "node:assert/strict";
import { test } from "node:test";
import { type HandoffRoomLike, ShipLink } from "./handoff-client.js";
import { ClientMessage, ServerMessage } from "./protocol.js";

class RecordingRoom implements HandoffRoomLike {
  readonly sent: number[] = [];
  readonly ships = new Map<string, { ack: number; ghost: boolean }>();
  readonly state = { ships: this.ships };
  #handlers = new Map<string, (payload: unknown) => void>();
  constructor(readonly roomId: string) {}
  send(type: string, message: unknown): void {
    if (type === ClientMessage.Input) this.sent.push((message as { seq: number }).seq);
  }
  onMessage(type: string, cb: (payload: unknown) => void): () => void {
    this.#handlers.set(type, cb);
    return () => this.#handlers.delete(type);
  }
  async leave(): Promise<void> {}
  /** The zone tells the link to move: the message arrives on this room. */
  handoff(to: RecordingRoom): void {
    this.#handlers.get(ServerMessage.Handoff)?.({ roomId: to.roomId, reservation: to, address: "test" });
  }
}

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

test("a ship handed on again before the new room shows it: inputs reach the newest room in order, none ahead of the re-sent ones", async () => {
  const a = new RecordingRoom("region-a");
  const b = new RecordingRoom("region-b");
  const c = new RecordingRoom("region-c");
  a.ships.set("me", { ack: 0, ghost: false });
  // The reservation here is the room itself; joining c takes a while (a zone in another process).
  const consumeSeatReservation = async (r: never) => {
    if (r === c) await tick(60);
    return r;
  };
  const link = new ShipLink({ consumeSeatReservation }, a, "me");
  const pilot = { thrust: 1, turn: 0, fire: false };
  for (let i = 0; i < 3; i++) link.send(pilot); // 1..3 to room a, none applied yet
  assert.deepEqual(a.sent, [1, 2, 3]);

  a.handoff(b); // a hands the ship to b
  await tick();
  assert.equal(link.room, b);
  link.send(pilot); // 4: held while switching
  b.handoff(c); // b hands it on to c before showing it; joining c takes 60 ms
  b.ships.set("me", { ack: 0, ghost: false }); // meanwhile b's state shows the ship for a moment
  await tick(20);
  assert.equal(link.switching, true, "still switching: the newest follow is still joining c");
  link.send(pilot); // 5: held
  await tick(60);
  assert.equal(link.room, c);
  link.send(pilot); // 6: held, c has not shown the ship
  assert.deepEqual(c.sent, [], "nothing reaches c before it shows the ship");
  // c shows the ship (with the ack a had reached): the link re-sends everything after it, in order.
  c.ships.set("me", { ack: 0, ghost: false });
  await tick();
  assert.equal(link.switching, false);
  link.send(pilot); // 7
  assert.deepEqual(c.sent, [1, 2, 3, 4, 5, 6, 7], "in order, each once");
  assert.equal(link.handoffs, 2);
});

test("sequence numbers continue above the owner's ack even for a link made before the first state", () => {
  const a = new RecordingRoom("region-a");
  const link = new ShipLink({ consumeSeatReservation: async (r: never) => r }, a, "me");
  a.ships.set("me", { ack: 41, ghost: false }); // the state arrives after the link was made
  assert.equal(link.send({ thrust: 0, turn: 0, fire: false }), 42);
  assert.deepEqual(a.sent, [42]);
});

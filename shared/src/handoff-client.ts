// The client side of a zone handoff, for the browser client and the bots. A `ShipLink` owns the
// sending of a player's inputs: it stamps sequence numbers, keeps the inputs the server has not yet
// acknowledged (the ship's `ack`), and when the room says `handoff` it joins the new room with the
// seat reserved there, leaves the old one and re-sends what is still unacknowledged. The new owner
// applies each of those exactly once (anything at or below its `ack` is a replay).
//
//   const link = new ShipLink(client, room, myShipId, { onRoom: (r) => render(r) });
//   link.send({ thrust: 1, turn: 0, fire: false });   // every frame
//   link.room                                          // the room that owns the ship now
//
// Typed structurally so this package does not depend on the SDK: a `Client` and a `Room` of
// @colyseus/sdk fit.
import { ClientMessage, ServerMessage } from "./protocol.js";
import { attachRegion, regionView } from "./state-view.js";

export interface HandoffRoomLike {
  readonly roomId: string;
  send(type: string, message: unknown): void;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked where they are used
  onMessage(type: string, cb: (payload: any) => void): () => void;
  leave(consented?: boolean): Promise<unknown>;
}

export interface HandoffClientLike {
  /** Joins the room of a seat reservation; it resolves a room like the one the link was made with. */
  consumeSeatReservation(reservation: never): Promise<unknown>;
}

/** The `handoff` message: your ship now belongs to `roomId`; `reservation` is your seat there. */
export interface HandoffMessage {
  roomId: string;
  reservation: unknown;
  address: string;
}

export interface PilotInput {
  thrust: number;
  turn: number;
  fire: boolean;
}

export interface ShipLinkOptions<R> {
  /** Called with the new room after each handoff (re-bind rendering / state listeners there). */
  onRoom?(room: R, previous: R): void;
  /** A handoff could not be followed (the seat expired, the new zone is unreachable). */
  onError?(err: unknown): void;
  /**
   * Unacknowledged inputs kept for re-sending (oldest dropped beyond this); default 32: 1.6 s of
   * inputs at 20 Hz, re-sent at once after a handoff, which stays under the zone's default message
   * rate limit (60/s) and input queue (64).
   */
  maxPending?: number;
}

export class ShipLink<R extends HandoffRoomLike> {
  #room: R;
  /** The last sequence number stamped; `send` always goes above the owner's ack as well. */
  #seq = 0;
  #pending: (PilotInput & { seq: number })[] = [];
  #switching = false;
  #off: () => void = () => {};
  #closed = false;
  /** Handoff messages followed so far, counting those still in progress (the last one wins). */
  #follows = 0;
  /** Handoffs followed so far. */
  handoffs = 0;
  /** Milliseconds from the last `handoff` message to the new room showing the ship (the player's gap). */
  lastSwitchMs = 0;

  constructor(
    readonly client: HandoffClientLike,
    room: R,
    readonly shipId: string,
    readonly options: ShipLinkOptions<R> = {},
  ) {
    this.#room = room;
    this.#listen(room);
  }

  /** The room that owns the ship now. */
  get room(): R {
    return this.#room;
  }

  /** The last input sequence the owner applied (0 before the first state). */
  get ack(): number {
    return regionView(this.#room)?.ships.get(this.shipId)?.ack ?? 0;
  }

  /** Inputs sent and not yet acknowledged. */
  get pending(): number {
    this.#prune();
    return this.#pending.length;
  }

  /** True between a `handoff` message and the new room showing the ship. */
  get switching(): boolean {
    return this.#switching;
  }

  /** Stamps the next sequence number and sends the input to the current owner (buffered while switching). */
  send(input: PilotInput): number {
    // Always above what the owner acknowledged (a link made before the first state starts at 0).
    const seq = (this.#seq = Math.max(this.#seq, this.ack) + 1);
    this.#prune();
    this.#pending.push({ ...input, seq });
    const max = this.options.maxPending ?? 32;
    if (this.#pending.length > max) this.#pending.splice(0, this.#pending.length - max);
    if (!this.#switching) this.#sendInput({ ...input, seq });
    return seq;
  }

  /** Follow `room` from now on (after re-joining by hand, e.g. following a disconnect). */
  attach(room: R): void {
    this.#off();
    this.#room = room;
    this.#listen(room);
  }

  /**
   * Sends the current room every input it has not acknowledged (after `attach`, once the room shows
   * the ship); the room drops anything at or below its `ack`, so re-sending never applies twice.
   */
  resend(): void {
    this.#prune();
    for (const i of this.#pending) this.#sendInput(i);
  }

  #sendInput(i: PilotInput & { seq: number }) {
    this.#room.send(ClientMessage.Input, { seq: i.seq, thrust: i.thrust, turn: i.turn, fire: i.fire });
  }

  /** Stops following handoffs (does not leave the room). */
  close(): void {
    this.#closed = true;
    this.#off();
  }

  #prune() {
    const ack = this.ack;
    if (this.#pending.length > 0 && this.#pending[0]!.seq <= ack)
      this.#pending = this.#pending.filter((i) => i.seq > ack);
  }

  #listen(room: R) {
    this.#off = room.onMessage(ServerMessage.Handoff, (msg: HandoffMessage) => {
      void this.#follow(room, msg);
    });
  }

  /**
   * Follows one `handoff` message. A newer one can arrive while this one is still joining or waiting
   * for the ship (the ship handed on again, at a corner); only the newest follow ends the switch and
   * re-sends, so no input goes to the newest room ahead of the re-sent ones (it would make them
   * replays there, never applied).
   */
  async #follow(from: R, msg: HandoffMessage) {
    if (this.#closed || from !== this.#room || !msg?.reservation) return;
    const mine = ++this.#follows;
    const current = () => mine === this.#follows && !this.#closed;
    this.#switching = true;
    const t0 = performance.now();
    try {
      const next = (await this.client.consumeSeatReservation(msg.reservation as never)) as R;
      // Before the first frame can arrive: the new room's state frames are decoded from its first.
      attachRegion(next, { self: this.shipId });
      if (!current()) {
        next.leave(true).catch(() => {});
        return;
      }
      this.#off();
      this.#room = next;
      this.#listen(next);
      from.leave(true).catch(() => {});
      this.handoffs++;
      this.options.onRoom?.(next, from);
      if (!(await waitForShip(next, this.shipId, () => !current()))) return;
      this.lastSwitchMs = performance.now() - t0;
      this.#switching = false;
      // Re-send what the old owner had not applied; the new owner drops anything at or below its ack.
      this.resend();
    } catch (err) {
      if (!current()) return;
      this.#switching = false;
      this.options.onError?.(err);
    }
  }
}

/**
 * Resolves true once `room`'s state shows the ship as its own (not as a ghost mirrored from a
 * neighbour), or false as soon as `gone()` says the link left that room.
 */
function waitForShip(room: HandoffRoomLike, shipId: string, gone: () => boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (gone()) return resolve(false);
      const ship = regionView(room)?.ships.get(shipId);
      if (ship && ship.ghost !== true) return resolve(true);
      if (Date.now() - started > 15_000) return reject(new Error("the new room never showed the ship"));
      setTimeout(check, 2);
    };
    check();
  });
}

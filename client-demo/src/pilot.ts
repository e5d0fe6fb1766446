// One player's presence in the world: world entry, the zone room, the ShipLink that sends inputs
// and follows handoffs, and coming back after a close as the shared close policy says
// (`afterClose` in @starlane/shared/client, the same table the load-test bots use).
import { Client, type Room } from "@colyseus/sdk";
import {
  afterClose,
  attachRegion,
  backoffMs,
  DEFAULT_BACKOFF,
  type HandoffClientLike,
  type PilotInput,
  type RegionView,
  regionView,
  ServerMessage,
  ShipLink,
  type WorldConfig,
} from "@starlane/shared/client";
import { ApiError, enterWorld, refresh, type Session } from "./api.js";

export type RegionRoom = Room<unknown, RegionView>;

export interface PilotEvents {
  /**
   * A line for the status banner; `error` and `wait` ones stay until the next status (`wait`: the
   * link is being re-made, shown quietly).
   */
  status(text: string, kind: "info" | "error" | "wait"): void;
  /** The link to the zone: `reconnecting` from a close until the ship shows up in a new room. */
  link(state: "up" | "reconnecting"): void;
  /** A short-lived notice (a refused action). */
  notice(text: string): void;
  /** The session is over (log in again); the pilot has stopped. */
  loggedOut(message: string): void;
}

const DEFAULT_WORLD: WorldConfig = { width: 8000, height: 8000, cols: 4, rows: 4 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The zone's address as the browser reaches it (the same scheme as the page). */
const endpoint = (address: string) => `${location.protocol === "https:" ? "https" : "http"}://${address}`;

export class Pilot {
  world: WorldConfig = DEFAULT_WORLD;
  link: ShipLink<RegionRoom> | null = null;
  /** True once the current room shows our own ship (inputs are sent only then). */
  ready = false;
  /** Times the client came back through world entry after a close. */
  reconnects = 0;
  /** Chat's WebSocket URL from world entry (null: this system has no chat). */
  chatUrl: string | null = null;
  /** Input-to-acknowledgement round trip, smoothed (ms); includes waiting for the next tick. */
  rttMs: number | null = null;

  #client: Client | null = null;
  #reconnecting = false;
  #stopped = false;
  #sentAt = new Map<number, number>();
  #lastAck = 0;

  constructor(
    public session: Session,
    readonly events: PilotEvents,
  ) {}

  get shipId(): string {
    return this.session.account.id;
  }

  get room(): RegionRoom | null {
    return this.link?.room ?? null;
  }

  /** Enters the world the first time; rejects (with an ApiError when the server said why) if it cannot. */
  async start(): Promise<void> {
    const room = await this.#join();
    // The link asks `consumeSeatReservation` of whichever client reached the current zone.
    const client: HandoffClientLike = {
      consumeSeatReservation: (reservation) => this.#client!.consumeSeatReservation(reservation),
    };
    this.link = new ShipLink<RegionRoom>(client, room, this.shipId, {
      onRoom: (next) => this.#bind(next, false),
      onError: (err) => {
        if (this.#stopped) return;
        // The ship may still be in the old room's hands: leave it and go through world entry.
        this.room?.leave(true).catch(() => {});
        this.#comeBack(`A region handoff failed (${(err as Error)?.message ?? err}).`, 0);
      },
    });
    this.#bind(room, true);
  }

  /** Sends one control sample (call at most at the tick rate); its sequence number, if it went. */
  fly(input: PilotInput): number | undefined {
    if (!this.link || !this.ready || this.#reconnecting) return undefined;
    try {
      const seq = this.link.send(input);
      this.#sentAt.set(seq, performance.now());
      if (this.#sentAt.size > 256) this.#sentAt.delete(this.#sentAt.keys().next().value!);
      return seq;
    } catch {
      return undefined; // the socket closed under us; onLeave takes it from here
    }
  }

  /** A discrete action (`mine` an asteroid, `sell` at a station). */
  act(kind: "mine" | "sell", target?: string): void {
    if (!this.ready || this.#reconnecting) return;
    try {
      this.room?.send("action", target === undefined ? { kind } : { kind, target });
    } catch {
      // as above
    }
  }

  /** Leaves the world (page closing, log-out). */
  stop(): void {
    this.#stopped = true;
    this.link?.close();
    this.room?.leave(true).catch(() => {});
  }

  async #join(): Promise<RegionRoom> {
    let seat: Awaited<ReturnType<typeof enterWorld>>;
    try {
      seat = await enterWorld(this.session.accessToken);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "STARLANE_ERR_UNAUTHORIZED")) throw err;
      // The access token expired (15 min): trade the refresh token for a new session once.
      this.session = await refresh(this.session.refreshToken);
      seat = await enterWorld(this.session.accessToken);
    }
    if (seat.world) this.world = seat.world;
    this.chatUrl = seat.chat ?? null;
    this.#client = new Client(endpoint(seat.address));
    return (await this.#client.consumeSeatReservation(seat.reservation as never)) as RegionRoom;
  }

  /**
   * Listens to a room the ship is (or is about to be) in. `viaEntry`: joined through world entry,
   * so the link's sequence numbers are re-based on the ship's `ack` once the ship shows up (it may
   * carry an ack from an earlier connection).
   */
  #bind(room: RegionRoom, viaEntry: boolean): void {
    // We decide how to come back (through world entry), not the SDK.
    room.reconnection.enabled = false;
    this.ready = false;
    let synced = !viaEntry;
    attachRegion(room, {
      self: this.shipId,
      onFrame: () => {
        if (room !== this.room) return;
        const me = regionView(room)?.ships.get(this.shipId);
        if (!me || me.ghost) return;
        if (!synced) {
          // Re-base the sequence on the ship's ack, then re-send what the last connection sent and
          // no room applied (the room drops anything at or below its ack).
          synced = true;
          this.link!.attach(room);
          this.link!.resend();
        }
        if (!this.ready) {
          this.ready = true;
          this.events.link("up");
          this.events.status(viaEntry && this.reconnects > 0 ? "Reconnected." : "", "info");
        }
        this.#onAck(me.ack);
      },
      // A frame the decoder refused: say so, leave; the close brings us back through world entry.
      onError: (err) => {
        if (room !== this.room) return;
        this.events.notice(
          `A state frame from the zone could not be read (${(err as Error)?.message ?? err}); rejoining.`,
        );
        room.leave(false).catch(() => {});
      },
    });
    room.onMessage(ServerMessage.Error, (msg: { code?: string; message?: string }) => {
      if (room === this.room) this.events.notice(msg?.message ?? String(msg?.code ?? "error"));
    });
    room.onLeave((code: number) => {
      if (this.#stopped || room !== this.room) return; // an old room of a handoff
      if (this.link?.switching) return; // its close (4104/4107) is part of the handoff
      this.ready = false;
      const then = afterClose(code);
      if (then.action === "stop") {
        this.events.status(`${then.message} Reload the page to play again.`, "error");
        this.#stopped = true;
        return;
      }
      this.#comeBack(then.message, then.minDelayMs, then.action === "reauth");
    });
  }

  #onAck(ack: number): void {
    if (ack <= this.#lastAck) {
      this.#lastAck = ack;
      return;
    }
    this.#lastAck = ack;
    const sent = this.#sentAt.get(ack);
    if (sent === undefined) return;
    const sample = performance.now() - sent;
    this.rttMs = this.rttMs === null ? sample : this.rttMs * 0.8 + sample * 0.2;
  }

  /**
   * Back through world entry with jittered backoff until it works or the session is over. `reauth`:
   * the zone refused the access token (4100), so refresh the session before entering.
   */
  async #comeBack(reason: string, minDelayMs: number, reauth = false): Promise<void> {
    if (this.#reconnecting || this.#stopped) return;
    this.#reconnecting = true;
    this.ready = false;
    this.events.link("reconnecting");
    try {
      for (let attempt = 0; !this.#stopped; attempt++) {
        const wait = backoffMs(attempt, { ...DEFAULT_BACKOFF, minDelayMs });
        this.events.status(`${reason} Reconnecting in ${(wait / 1000).toFixed(1)} s…`, "wait");
        await sleep(wait);
        try {
          if (reauth) {
            this.session = await refresh(this.session.refreshToken);
            reauth = false;
          }
          const room = await this.#join();
          if (this.#stopped) {
            room.leave(true).catch(() => {});
            return;
          }
          this.link!.attach(room);
          this.#bind(room, true);
          this.reconnects++;
          this.events.status("Rejoining…", "wait");
          return;
        } catch (err) {
          if (
            err instanceof ApiError &&
            (err.code === "STARLANE_ERR_REFRESH_INVALID" || err.code === "STARLANE_ERR_UNAUTHORIZED")
          ) {
            this.#stopped = true;
            this.events.loggedOut(`${err.message} Log in again.`);
            return;
          }
          reason = err instanceof ApiError ? err.message : `Joining failed (${(err as Error)?.message ?? err}).`;
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }
}

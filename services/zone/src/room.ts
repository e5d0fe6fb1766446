// The region room: glues the simulation to Colyseus. Inbound messages are validated and queued;
// the tick applies them, steps the rules, copies the result into the schema state, updates each
// client's area of interest and sends the patches. Nothing a client sends can make the tick throw.
import { randomUUID } from "node:crypto";
import {
  type Client,
  CloseCode as ColyseusCloseCode,
  type IRoomCache,
  matchMaker,
  Room,
  ServerError,
} from "@colyseus/core";
import { StateView } from "@colyseus/schema";
import type { ShipOwnership, ShipRepository } from "@starlane/shared";
import {
  type AccessClaims,
  ClientMessage,
  CloseCode,
  type ErrorCode,
  ErrorCode as ErrorCodes,
  type Logger,
  parseRegionRoomId,
  REGION_ROOM_NAME,
  type Region,
  regionOf,
  regionRoomId,
  ServerMessage,
  type ShipStatePublisher,
  StarlaneError,
  sameRegion,
  type TokenVerifier,
  type WorldConfig,
} from "@starlane/shared";
import {
  type Ghost,
  type GhostBatch,
  GhostBoard,
  type GhostHit,
  ghostChannel,
  ghostsByNeighbour,
  hitChannel,
  toGhost,
} from "./ghosts.js";
import { checkOffer, type HandoffAccepted, type HandoffOffer, handoffTarget } from "./handoff.js";
import { InputQueue, parseAction, parseInput } from "./input.js";
import { InterestGrid, type Placed } from "./interest.js";
import type { DropReason, HandoffAbort, ZoneMetrics } from "./metrics.js";
import { damage } from "./rules/combat.js";
import { TUNING } from "./rules/tuning.js";
import type { Action, ControlInput, Ship, SimState } from "./rules/types.js";
import { ShipSaver } from "./saving.js";
import type { RegionStateT, StateSchemas } from "./schema.js";
import { createSim, spawnShip, stepSim } from "./sim.js";

/** What every region room of one zone server shares. */
export interface RoomContext {
  world: WorldConfig;
  tickHz: number;
  interestRadius: number;
  interest: boolean;
  inputQueue: number;
  maxMessagesPerSecond: number;
  maxMessageBytes: number;
  maxClients: number;
  /** Tests drive ticks with step(); otherwise Colyseus's fixed timestep does. */
  manualTicks: boolean;
  schemas: StateSchemas;
  verifier: TokenVerifier;
  ships: Pick<ShipRepository, "load">;
  /** Which room owns which ship (versioned); handoffs move it atomically. */
  ownership: ShipOwnership;
  /** Where clients reach this zone (host:port), set once it listens. */
  address: string;
  borderBand: number;
  handoffHysteresis: number;
  handoffTimeoutMs: number;
  handoffRetryMs: number;
  /** Write-behind to persistence; without it ships live only as long as their room. */
  publisher?: ShipStatePublisher;
  /** Every ship is saved this often (in ticks), and always when its player leaves. */
  saveEveryTicks: number;
  /** The ownership epoch this zone holds the region at (carried by every save). */
  epochOf(region: string): number;
  /** Whether some zone holds a live lease on `region` (a room that does not answer may only be slow). */
  regionLive(region: string): Promise<boolean>;
  metrics: ZoneMetrics;
  log: Logger;
  opened(room: RegionRoom): void;
  closed(room: RegionRoom): void;
}

interface Seat {
  client: Client;
  playerId: string;
  queue: InputQueue;
  actions: Action[];
  /** Interest keys this client currently has in its view. */
  seen: Set<string>;
  windowStart: number;
  windowCount: number;
  /** The ship is not here (handed off, or the player was redirected): the seat only waits to be left. */
  transit: boolean;
}

/** How long a handed-off or redirected seat may stay before it is closed (4107). */
const TRANSIT_SEAT_MS = 10_000;
/** How long a ship handed in waits for its player (then it leaves the world like a player who left). */
const ARRIVAL_WAIT_MS = 15_000;

const seatInvalid = () => new ServerError(ErrorCodes.STARLANE_ERR_SEAT_INVALID.status, "STARLANE_ERR_SEAT_INVALID");
const unavailable = () =>
  new ServerError(ErrorCodes.STARLANE_ERR_REGION_UNAVAILABLE.status, "STARLANE_ERR_REGION_UNAVAILABLE");
/** How often a join asks the ship's owner again while the ship is between rooms. */
const LOCATE_ATTEMPTS = 4;

/**
 * Calls `method` on a region room, here or in another process (over presence), and rejects after
 * `ms` either way: a remote call to a dead or slow zone must not hold the ship forever.
 */
function callRoom<M extends "acceptHandoff" | "reserveResume">(
  roomId: string,
  method: M,
  args: Parameters<RegionRoom[M]>,
  ms: number,
): Promise<Awaited<ReturnType<RegionRoom[M]>>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  const call = matchMaker.remoteRoomCall<RegionRoom>(roomId, method, args, ms) as Promise<
    Awaited<ReturnType<RegionRoom[M]>>
  >;
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** Claims carried by a seat: a handoff seat also names the handoff that created it. */
type SeatClaims = AccessClaims & { handoff?: string };

type Kind = "ships" | "asteroids" | "stations" | "shots";

/** One synced entity: its schema object, the map it lives in and a key unique for its lifetime. */
interface Synced extends Placed {
  kind: Kind;
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: the four entity schemas share no static type
  obj: any;
}

const MAX_ACTIONS_PER_TICK = 4;

// The Colyseus frame codes a client may send us (everything else is not our protocol).
const ALLOWED_FRAMES = new Set([10 /* JOIN_ROOM */, 12 /* LEAVE_ROOM */, 13 /* ROOM_DATA */, 18 /* PING */]);

/** A room whose static onAuth verifies the access token with this zone's verifier. */
export function boundRegionRoom(ctx: RoomContext): typeof RegionRoom {
  return class BoundRegionRoom extends RegionRoom {
    override ctx = ctx;
    // Colyseus calls the static onAuth unbound during matchmaking (the HTTP request carrying the
    // token), so it closes over ctx instead of using `this`.
    static override onAuth = async (token: string): Promise<AccessClaims> => {
      try {
        return await ctx.verifier.verify(token);
      } catch (err) {
        // Matchmaking is an HTTP request: the refusal carries the catalogue's HTTP status and code.
        const code: ErrorCode = err instanceof StarlaneError ? err.code : "STARLANE_ERR_UNAUTHORIZED";
        throw new ServerError(ErrorCodes[code].status, code);
      }
    };
  };
}

export class RegionRoom extends Room<{ state: RegionStateT }> {
  declare ctx: RoomContext;
  region!: Region;
  sim!: SimState;
  readonly #seats = new Map<string, Seat>();
  readonly #byPlayer = new Map<string, Seat>();
  readonly #synced = new Map<string, Synced>();
  #serial = 0;
  #interest!: InterestGrid<Synced>;
  #bytes = 0;
  #inMessage = false;
  #disposed = false;
  /** Ownership version held for each ship simulated here. */
  readonly #versions = new Map<string, number>();
  /** Ships being handed off: still simulated here (inputs held) until the target owns them. */
  readonly #outgoing = new Map<string, { id: string; to: string; started: number }>();
  /** After an abandoned handoff: no new attempt for this ship before this time. */
  readonly #retryAt = new Map<string, number>();
  /** Ships handed in, waiting for their player to take the seat reserved for this handoff. */
  readonly #arrivals = new Map<string, { handoff: string; expires: number }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #ghosts!: GhostBoard;
  #ghostTargets = new Set<string>();
  readonly #onGhosts = (batch: GhostBatch) => this.#ghosts.receive(batch, Date.now());
  /** A neighbour's shot hit one of our ships near the border: the owner applies the damage. */
  readonly #onHit = (hit: GhostHit) => {
    if (!hit || typeof hit.ship !== "string" || !this.owns(hit.ship)) return;
    const ship = this.sim.ships.get(hit.ship)!;
    if (ship.respawnIn > 0) return;
    this.sim.ships.set(ship.id, damage(ship, TUNING.gun.damage));
  };
  #saver: ShipSaver | undefined;

  override onCreate(options: { region: string }) {
    const region = parseRegionRoomId(options.region);
    if (!region) throw new Error(`not a region room id: ${options.region}`);
    this.region = region;
    this.sim = createSim(this.ctx.world, region);
    this.state = new this.ctx.schemas.RegionState({ region: options.region, tick: 0 });
    this.#interest = new InterestGrid(this.ctx.interestRadius);
    // A neighbour sends a batch every tick; one silent for 10 ticks is gone (dead or stopped).
    this.#ghosts = new GhostBoard(Math.max(500, 10_000 / this.ctx.tickHz));
    this.presence.subscribe(ghostChannel(this.roomId), this.#onGhosts);
    this.presence.subscribe(hitChannel(this.roomId), this.#onHit);
    const id = options.region;
    this.#saver = this.ctx.publisher && new ShipSaver(this.ctx.publisher, id, () => this.ctx.epochOf(id));
    this.autoDispose = false;
    this.maxClients = this.ctx.maxClients;
    // Our own limiter closes with our documented code; Colyseus's would close with its generic 4002.
    this.maxMessagesPerSecond = Number.POSITIVE_INFINITY;
    this.onMessage(ClientMessage.Input, (client, msg) => this.#onInput(client, msg));
    this.onMessage(ClientMessage.Action, (client, msg) => this.#onAction(client, msg));
    // Only servers hand ships off: a client claiming to move its ship is refused.
    this.onMessage(ServerMessage.Handoff, (client) =>
      this.#drop(client, "handoff_refused", "STARLANE_ERR_HANDOFF_REFUSED"),
    );
    this.onMessage("*", (client) => {
      this.#drop(client, "malformed", "STARLANE_ERR_MALFORMED_MESSAGE");
    });
    this.#gateFrames();
    this.#syncState();
    if (!this.ctx.manualTicks) this.setFixedTimestep((step) => this.tick(step.dt), this.ctx.tickHz);
    // Patches go out at the end of each tick, not on a separate timer (set after the timestep so
    // Colyseus does not start a second clock).
    this.patchRate = null;
    this.ctx.opened(this);
  }

  get regionId(): string {
    return this.roomId;
  }

  override async onJoin(client: Client, _options: unknown, auth: SeatClaims) {
    if (!auth?.sub) throw new ServerError(ErrorCodes.STARLANE_ERR_UNAUTHORIZED.status, "STARLANE_ERR_UNAUTHORIZED");
    // A handoff seat is good once (Colyseus consumes the reservation). Its arrival is settled; if the
    // ship moved on before its player came, the join below finds the owner and redirects there.
    if (auth.handoff !== undefined && this.#arrivals.get(auth.sub)?.handoff === auth.handoff)
      this.#arrivals.delete(auth.sub);
    let redirect: { roomId: string; reservation: unknown; address: string } | null = null;
    if (!this.sim.ships.has(auth.sub)) redirect = await this.#locate(auth);
    const previous = this.#byPlayer.get(auth.sub);
    if (previous && !redirect) {
      this.ctx.metrics.closed(this.roomId, "replaced");
      this.#forget(previous);
      previous.client.leave(CloseCode.Replaced);
    }
    const ship = this.sim.ships.get(auth.sub);
    const seat: Seat = {
      client,
      playerId: auth.sub,
      // A rejoining client continues from the acknowledged sequence; anything at or below is a replay.
      queue: new InputQueue(this.ctx.inputQueue, ship?.ack ?? 0),
      actions: [],
      seen: new Set(),
      windowStart: 0,
      windowCount: 0,
      transit: redirect !== null,
    };
    this.#seats.set(client.sessionId, seat);
    this.#wrapClient(client);
    if (redirect) {
      // The ship is owned by another room: send the player there (sent once the join completes).
      client.send(ServerMessage.Handoff, redirect);
      this.#closeTransitLater(seat);
      return;
    }
    this.#byPlayer.set(auth.sub, seat);
    this.#syncState();
    if (this.ctx.interest) {
      client.view = new StateView();
      this.#updateView(seat);
    }
  }

  /**
   * A player joins and its ship is not simulated here. If another live room owns it, that room
   * reserves a seat and the player is redirected there (resuming after a disconnect mid-handoff);
   * otherwise this room takes ownership (from nobody, or from a room whose region no zone holds any
   * more) and loads it. A ship between rooms, or an owner that is alive but does not answer, is
   * waited for and then refused with STARLANE_ERR_REGION_UNAVAILABLE (the client retries): taking a
   * ship from a live owner would make two authoritative copies.
   */
  async #locate(auth: SeatClaims): Promise<{ roomId: string; reservation: unknown; address: string } | null> {
    let rec = await this.ctx.ownership.get(auth.sub);
    for (let attempt = 1; rec?.region && rec.region !== this.roomId; attempt++) {
      let answer: Awaited<ReturnType<RegionRoom["reserveResume"]>> | "silent" = "silent";
      try {
        answer = await callRoom(
          rec.region,
          "reserveResume",
          [auth.sub, auth.name ?? auth.sub],
          this.ctx.handoffTimeoutMs,
        );
      } catch {
        // Not answering: slow, or its zone is gone (then its region's lease lapses).
      }
      if (answer && answer !== "moving" && answer !== "silent") return { roomId: rec.region, ...answer };
      const now = await this.ctx.ownership.get(auth.sub);
      const moved = now?.region !== rec.region || now?.version !== rec.version;
      rec = now;
      if (moved) continue; // ask the new owner
      // The owner does not have it (it left) or no zone holds the owner's region: ours to take.
      if (answer === null || (answer === "silent" && !(await this.ctx.regionLive(rec!.region)))) break;
      if (attempt >= LOCATE_ATTEMPTS) throw unavailable();
      await new Promise((r) => setTimeout(r, this.ctx.handoffRetryMs / 2));
    }
    // Load before taking ownership, so the record never names this room while the ship is not here.
    const stored = await this.ctx.ships.load(auth.sub).catch((err) => {
      // The ship store is down or saturated: a documented, retryable refusal, not a 5xx of Colyseus's.
      this.ctx.log.warn({ err, player: auth.sub, region: this.roomId }, "could not load a ship");
      throw unavailable();
    });
    // A seat is only good in the region the ship is in: a client cannot pick its region.
    if (stored && !sameRegion(regionOf(this.ctx.world, stored.x, stored.y), this.region)) throw seatInvalid();
    if (this.sim.ships.has(auth.sub)) return null; // handed in while we were asking
    const taken = await this.ctx.ownership.move(auth.sub, rec?.region ?? "", rec?.version ?? 0, this.roomId);
    if (!taken) throw unavailable(); // it moved meanwhile; joining again finds where
    if (!this.sim.ships.has(auth.sub)) {
      spawnShip(this.sim, { ...(stored ?? {}), id: auth.sub, name: auth.name });
      this.#saver?.adopt(auth.sub, stored);
    }
    this.#versions.set(auth.sub, taken.version);
    return null;
  }

  override onLeave(client: Client) {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) return;
    this.#forget(seat);
    if (seat.transit) return;
    // Only the player's current connection takes the ship away (a replaced one does not). A ship in
    // the middle of a handoff finishes it first (its player may resume on the other side).
    if (this.#byPlayer.get(seat.playerId) === undefined && !this.#outgoing.has(seat.playerId))
      this.#removeShip(seat.playerId);
    this.#syncState();
  }

  override onBeforeShutdown() {
    this.disconnect(CloseCode.ShuttingDown).catch(() => {});
  }

  override onDispose() {
    this.#disposed = true;
    this.presence.unsubscribe(ghostChannel(this.roomId), this.#onGhosts);
    this.presence.unsubscribe(hitChannel(this.roomId), this.#onHit);
    for (const t of this.#timers) clearTimeout(t);
    this.ctx.closed(this);
  }

  /** The ship leaves the world (its player left): it no longer has an owner. */
  #removeShip(id: string) {
    const ship = this.sim.ships.get(id);
    if (ship) this.#saver?.release(ship);
    this.sim.ships.delete(id);
    const version = this.#versions.get(id);
    this.#versions.delete(id);
    this.#retryAt.delete(id);
    if (version !== undefined) {
      this.ctx.ownership.move(id, this.roomId, version, "").catch((err) => {
        this.ctx.log.warn({ err, player: id, region: this.roomId }, "could not release ship ownership");
      });
    }
  }

  #closeTransitLater(seat: Seat) {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#seats.get(seat.client.sessionId) === seat) seat.client.leave(CloseCode.HandedOff);
    }, TRANSIT_SEAT_MS);
    t.unref();
    this.#timers.add(t);
  }

  /** Whether this room is the authority for `ship` right now (ownership detector in tests). */
  owns(ship: string): boolean {
    return this.sim.ships.has(ship) && !this.#outgoing.has(ship);
  }

  /** The ownership version this room holds for `ship` (undefined when it holds none). */
  versionOf(ship: string): number | undefined {
    return this.#versions.get(ship);
  }

  /** Whether `ship` is in the middle of a handoff from this room. */
  handingOff(ship: string): boolean {
    return this.#outgoing.has(ship);
  }

  #reserve(sub: string, name: string, handoff: string): Promise<unknown> {
    const listing = {
      name: REGION_ROOM_NAME,
      roomId: this.roomId,
      processId: matchMaker.processId,
      publicAddress: this.ctx.address,
    } as unknown as IRoomCache;
    return matchMaker.reserveSeatFor(listing, {}, { sub, name, handoff });
  }

  /**
   * Called by a neighbour's room (directly in-process, over presence across processes): take the
   * ship if the offer is addressed here, the ship is inside this region and the ownership record is
   * still exactly what the source holds. The compare-and-set is the moment ownership moves.
   */
  async acceptHandoff(offer: HandoffOffer): Promise<HandoffAccepted> {
    const v = checkOffer(this.ctx.world, this.region, offer);
    if (!v.ok) throw new Error(`handoff refused: ${v.reason}`);
    if (this.#disposed) throw new Error("handoff refused: closing");
    if (this.sim.ships.has(offer.ship.id)) throw new Error("handoff refused: already here");
    const rec = await this.ctx.ownership.move(offer.ship.id, offer.from, offer.version, this.roomId);
    if (!rec) throw new Error("handoff refused: stale version");
    const ship: Ship = { ...offer.ship };
    this.sim.ships.set(ship.id, ship);
    this.#versions.set(ship.id, rec.version);
    // Persistence versions continue from the source's, so the store orders both rooms' saves.
    this.#saver?.adopt(ship.id, offer.saved ?? null);
    this.#arrivals.set(ship.id, { handoff: offer.id, expires: Date.now() + ARRIVAL_WAIT_MS });
    let reservation: unknown = null;
    try {
      reservation = await this.#reserve(ship.id, ship.name, offer.id);
    } catch (err) {
      // The ship is ours either way; without a seat the player comes back through a plain join.
      this.ctx.log.warn({ err, player: ship.id, region: this.roomId }, "could not reserve a handoff seat");
    }
    return { reservation, address: this.ctx.address, version: rec.version };
  }

  /**
   * Called by a room a player joined while its ship is here: a seat for that player; "moving" while
   * the ship is being handed on (ask again shortly); null when the ship is not here.
   */
  async reserveResume(sub: string, name: string): Promise<{ reservation: unknown; address: string } | "moving" | null> {
    if (this.#outgoing.has(sub) || (this.#disposed && this.sim.ships.has(sub))) return "moving";
    if (!this.sim.ships.has(sub)) return null;
    const handoff = randomUUID();
    this.#arrivals.set(sub, { handoff, expires: Date.now() + ARRIVAL_WAIT_MS });
    return { reservation: await this.#reserve(sub, name, handoff), address: this.ctx.address };
  }

  /** Once per tick: ships past the border are offered to their new region; ghosts go to neighbours. */
  #borders(now: number) {
    for (const ship of this.sim.ships.values()) {
      if (this.#outgoing.has(ship.id) || ship.respawnIn > 0 || (this.#retryAt.get(ship.id) ?? 0) > now) continue;
      const to = handoffTarget(this.ctx.world, this.region, ship.x, ship.y, this.ctx.handoffHysteresis);
      if (to) this.#startHandoff(ship, regionRoomId(to), now);
    }
    const batches = ghostsByNeighbour(this.ctx.world, this.region, this.sim.ships.values(), this.ctx.borderBand);
    for (const [to, ships] of batches)
      this.presence.publish(ghostChannel(to), { from: this.roomId, ships } satisfies GhostBatch);
    // One empty batch tells a neighbour our ships left its band (it would otherwise wait for the TTL).
    for (const to of this.#ghostTargets) {
      if (!batches.has(to))
        this.presence.publish(ghostChannel(to), { from: this.roomId, ships: [] } satisfies GhostBatch);
    }
    this.#ghostTargets = new Set(batches.keys());
    for (const [id, a] of this.#arrivals) {
      if (a.expires > now) continue;
      this.#arrivals.delete(id);
      if (!this.#byPlayer.has(id)) this.#removeShip(id);
    }
  }

  #startHandoff(ship: Ship, to: string, now: number) {
    const version = this.#versions.get(ship.id);
    if (version === undefined) return;
    const offer: HandoffOffer = {
      id: randomUUID(),
      from: this.roomId,
      to,
      version,
      ship: { ...ship },
      ...(this.#saver ? { saved: this.#saver.versions(ship.id) } : {}),
    };
    this.#outgoing.set(ship.id, { id: offer.id, to, started: now });
    this.ctx.metrics.handoffStarted(this.roomId);
    this.#runHandoff(offer, performance.now()).catch((err) => {
      this.ctx.log.error({ err, player: ship.id, region: this.roomId }, "handoff failed");
    });
  }

  async #runHandoff(offer: HandoffOffer, started: number) {
    const id = offer.ship.id;
    let reason: HandoffAbort = "refused";
    try {
      const accepted = await callRoom(offer.to, "acceptHandoff", [offer], this.ctx.handoffTimeoutMs);
      return this.#handedOff(offer, accepted, started);
    } catch (err) {
      reason = err instanceof Error && /timeout|timed out/.test(err.message) ? "timeout" : "refused";
      this.ctx.log.debug({ err, player: id, region: this.roomId, to: offer.to }, "handoff not accepted");
    }
    // Not accepted (refused, slow or dead target). Fence the offer: move the record from our version
    // to a newer one of our own, so a late accept of this offer fails its compare-and-set.
    for (let attempt = 0; ; attempt++) {
      try {
        const kept = await this.ctx.ownership.move(id, this.roomId, offer.version, this.roomId);
        if (kept) {
          this.#outgoing.delete(id);
          this.#versions.set(id, kept.version);
          this.#retryAt.set(id, Date.now() + this.ctx.handoffRetryMs);
          this.ctx.metrics.handoffAborted(this.roomId, reason);
          // Its player left while the handoff ran (and is not on its way here): it leaves the world now.
          if (!this.#byPlayer.has(id) && !this.#arrivals.has(id)) this.#removeShip(id);
          return;
        }
        break;
      } catch (err) {
        // The ownership store is unreachable: keep the ship (simulated, inputs held) and retry.
        if (this.#disposed || attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, this.ctx.handoffRetryMs));
      }
    }
    // The target did take it (its answer was lost or late): it is the owner; send the player there.
    this.ctx.metrics.handoffAborted(this.roomId, "lost");
    this.#handedOff(offer, null, started);
  }

  /** The target owns the ship now: drop our copy (kept visible as a ghost) and send the player over. */
  #handedOff(offer: HandoffOffer, accepted: HandoffAccepted | null, started: number) {
    const id = offer.ship.id;
    const last = this.sim.ships.get(id);
    this.sim.ships.delete(id);
    this.#saver?.forget(id);
    this.#versions.delete(id);
    this.#outgoing.delete(id);
    this.#retryAt.delete(id);
    // A player still on its way here with a seat is redirected to the new owner when it joins.
    this.#arrivals.delete(id);
    if (last) this.#ghosts.hold(offer.to, toGhost(last), Date.now());
    if (accepted) this.ctx.metrics.handoffCompleted(this.roomId, (performance.now() - started) / 1000);
    const seat = this.#byPlayer.get(id);
    if (!seat) return;
    this.#byPlayer.delete(id);
    seat.transit = true;
    this.#closeTransitLater(seat);
    if (accepted?.reservation) {
      seat.client.send(ServerMessage.Handoff, {
        roomId: offer.to,
        reservation: accepted.reservation,
        address: accepted.address,
      });
      return;
    }
    // The target's answer was lost (it was slow): ask it for a seat now, a few times; failing that,
    // the player joins again and is redirected to the owner (see #locate).
    this.#sendToOwner(seat, offer.to, last?.name ?? offer.ship.name, 5).catch(() => {});
  }

  async #sendToOwner(seat: Seat, first: string, name: string, attempts: number): Promise<void> {
    let owner = first;
    for (let i = 0; i < attempts && !this.#disposed && this.#seats.get(seat.client.sessionId) === seat; i++) {
      try {
        // The ship may have moved on meanwhile: ask whoever the record names now.
        if (i > 0) owner = (await this.ctx.ownership.get(seat.playerId))?.region || owner;
        if (owner === this.roomId) break;
        const timeout = this.ctx.handoffTimeoutMs * (i + 1);
        const there = await callRoom(owner, "reserveResume", [seat.playerId, name], timeout);
        if (there && there !== "moving") return seat.client.send(ServerMessage.Handoff, { roomId: owner, ...there });
      } catch {
        // slow or gone: try again, then give up below
      }
      await new Promise((r) => setTimeout(r, this.ctx.handoffRetryMs));
    }
    if (this.#seats.get(seat.client.sessionId) === seat) seat.client.leave(CloseCode.RegionMoved);
  }

  #forget(seat: Seat) {
    this.#seats.delete(seat.client.sessionId);
    if (this.#byPlayer.get(seat.playerId) === seat) this.#byPlayer.delete(seat.playerId);
    seat.client.view?.dispose();
  }

  /**
   * Every inbound frame passes here before Colyseus decodes it: the message-rate limit, the size
   * limit, frame types outside our protocol, and anything that would throw while decoding.
   */
  #gateFrames() {
    const self = this as unknown as { _onMessage: (client: Client, buffer: Uint8Array) => void };
    const inner = self._onMessage.bind(this);
    self._onMessage = (c: Client, buffer: Uint8Array) => {
      const s = this.#seats.get(c.sessionId);
      if (!s) return inner(c, buffer);
      const now = performance.now();
      if (now - s.windowStart >= 1000) [s.windowStart, s.windowCount] = [now, 0];
      if (++s.windowCount > this.ctx.maxMessagesPerSecond) return this.#close(s, CloseCode.RateLimited, "rate_limited");
      if (!buffer || buffer.byteLength > this.ctx.maxMessageBytes) {
        return this.#close(s, CloseCode.MessageTooLarge, "too_large");
      }
      if (!ALLOWED_FRAMES.has((buffer[0] ?? 0) & 31)) return this.#close(s, CloseCode.Malformed, "malformed");
      this.#inMessage = true;
      try {
        inner(c, buffer);
      } catch (err) {
        this.ctx.log.debug({ err, player: s.playerId }, "undecodable frame");
        this.#close(s, CloseCode.Malformed, "malformed");
      } finally {
        this.#inMessage = false;
      }
    };
  }

  /** Counts what we send this client (bytes per tick) and names Colyseus's decode failures. */
  #wrapClient(client: Client) {
    const ref = client as unknown as {
      raw: (data: Uint8Array, ...rest: unknown[]) => void;
      leave: (code?: number, data?: string) => void;
    };
    const raw = ref.raw.bind(client);
    ref.raw = (data, ...rest) => {
      this.#bytes += data.byteLength;
      raw(data, ...rest);
    };
    // Colyseus closes with its generic 4002 when a message body does not decode: say what it was.
    const leave = ref.leave.bind(client);
    ref.leave = (code, data) => {
      if (code !== ColyseusCloseCode.WITH_ERROR || !this.#inMessage) return leave(code, data);
      this.ctx.metrics.closed(this.roomId, "malformed");
      leave(CloseCode.Malformed, data);
    };
  }

  #close(seat: Seat, code: CloseCode, reason: "rate_limited" | "too_large" | "malformed") {
    if (!this.#seats.has(seat.client.sessionId)) return;
    this.ctx.metrics.closed(this.roomId, reason);
    this.ctx.log.info({ player: seat.playerId, region: this.roomId, reason }, "closing misbehaving client");
    seat.client.leave(code);
  }

  #drop(client: Client, reason: DropReason, code: ErrorCode) {
    this.ctx.metrics.inputDropped(this.roomId, reason);
    client.send(ServerMessage.Error, new StarlaneError(code).toBody());
  }

  #onInput(client: Client, msg: unknown) {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) return this.ctx.metrics.inputDropped(this.roomId, "not_joined");
    const v = parseInput(msg, seat.playerId);
    if (!v.ok) {
      return this.#drop(
        client,
        v.reason,
        v.reason === "not_your_ship" ? "STARLANE_ERR_NOT_YOUR_SHIP" : "STARLANE_ERR_INVALID_INPUT",
      );
    }
    const r = seat.queue.push(v.input);
    // A replay or an overflow is silently dropped (counted): a client resending after a reconnect,
    // or sending faster than the tick, is not an error worth a message per frame.
    if (r !== "queued") this.ctx.metrics.inputDropped(this.roomId, r);
  }

  #onAction(client: Client, msg: unknown) {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) return this.ctx.metrics.inputDropped(this.roomId, "not_joined");
    const v = parseAction(msg, seat.playerId);
    if (!v.ok) {
      return this.#drop(
        client,
        v.reason,
        v.reason === "not_your_ship" ? "STARLANE_ERR_NOT_YOUR_SHIP" : "STARLANE_ERR_INVALID_INPUT",
      );
    }
    if (seat.actions.length >= MAX_ACTIONS_PER_TICK) return this.ctx.metrics.inputDropped(this.roomId, "overflow");
    seat.actions.push(v.action);
  }

  /** One tick: apply queued inputs, step the rules, sync the state, update interest, send patches. */
  tick(dt = 1 / this.ctx.tickHz): void {
    const started = performance.now();
    const controls = new Map<string, ControlInput>();
    const actions = new Map<string, Action[]>();
    for (const seat of this.#seats.values()) {
      // A ship being handed off keeps its inputs queued: the client re-sends them to the new owner.
      if (seat.transit || this.#outgoing.has(seat.playerId)) continue;
      const input = seat.queue.shift();
      if (input) {
        controls.set(seat.playerId, input);
        this.ctx.metrics.inputApplied(this.roomId);
      }
      if (seat.actions.length > 0) {
        actions.set(seat.playerId, seat.actions);
        seat.actions = [];
      }
    }
    try {
      const owners = new Map<string, string>();
      const ghosts: Ghost[] = [];
      for (const [from, g] of this.#ghosts.bySender(Date.now())) {
        if (this.sim.ships.has(g.id) || owners.has(g.id)) continue;
        owners.set(g.id, from);
        ghosts.push(g);
      }
      const events = stepSim(this.sim, { controls, actions, ghosts }, dt);
      for (const h of events.ghostHits) {
        const owner = owners.get(h.ship);
        if (owner) this.presence.publish(hitChannel(owner), { ship: h.ship, by: h.by } satisfies GhostHit);
      }
      if (this.#saver && this.sim.tick % this.ctx.saveEveryTicks === 0) {
        // A ship in the middle of a handoff is saved by whichever side ends up owning it.
        for (const ship of this.sim.ships.values()) if (!this.#outgoing.has(ship.id)) this.#saver.save(ship);
      }
      for (const r of events.refused) {
        this.#byPlayer
          .get(r.ship)
          ?.client.send(ServerMessage.Error, new StarlaneError("STARLANE_ERR_ACTION_REFUSED").toBody());
      }
      this.#borders(Date.now());
      this.#syncState();
      if (this.ctx.interest) for (const seat of this.#seats.values()) this.#updateView(seat);
      this.broadcastPatch();
    } catch (err) {
      // A bug in the rules must not take the region down with it: log, keep ticking.
      this.ctx.log.error({ err, region: this.roomId }, "tick failed");
    }
    const seconds = (performance.now() - started) / 1000;
    this.ctx.metrics.tick(this.roomId, seconds, seconds > 1 / this.ctx.tickHz, this.#bytes);
    this.ctx.metrics.population(this.roomId, this.#seats.size, this.#synced.size);
    this.#bytes = 0;
  }

  #updateView(seat: Seat) {
    const ship = this.sim.ships.get(seat.playerId);
    const view = seat.client.view;
    if (!ship || !view) return;
    const self = this.#synced.get(`ships:${ship.id}`);
    const change = this.#interest.update(seat.seen, ship.x, ship.y, self ? [self] : []);
    for (const key of change.leave) {
      const e = this.#bySerial.get(key);
      if (e) view.remove(e.obj);
    }
    for (const e of change.enter) view.add(e.obj);
  }

  readonly #bySerial = new Map<string, Synced>();

  /** Copies the simulation into the schema state (new, changed and removed entities). */
  #syncState() {
    const s = this.state;
    const { ShipState, AsteroidState, StationState, ShotState } = this.ctx.schemas;
    s.tick = this.sim.tick;
    const live = new Set<string>();
    const upsert = (kind: Kind, id: string, x: number, y: number, make: () => unknown) => {
      const k = `${kind}:${id}`;
      live.add(k);
      let e = this.#synced.get(k);
      if (!e) {
        e = { kind, id, key: `e${++this.#serial}`, x, y, obj: make() };
        this.#synced.set(k, e);
        this.#bySerial.set(e.key, e);
        (s[kind] as { set(id: string, v: unknown): void }).set(id, e.obj);
      }
      e.x = x;
      e.y = y;
      return e.obj;
    };
    for (const ship of this.sim.ships.values()) {
      const props = {
        name: ship.name,
        x: ship.x,
        y: ship.y,
        vx: ship.vx,
        vy: ship.vy,
        heading: ship.heading,
        hull: Math.ceil(ship.hull),
        cargo: ship.cargo,
        credits: ship.credits,
        ack: ship.ack,
        alive: ship.respawnIn <= 0,
        ghost: false,
      };
      Object.assign(
        upsert("ships", ship.id, ship.x, ship.y, () => new ShipState(props)),
        props,
      );
    }
    // Ghosts share the ships map (same key as when owned here): a ship crossing the border changes
    // owner without leaving any client's view.
    for (const g of this.#ghosts.current(Date.now())) {
      if (live.has(`ships:${g.id}`)) continue;
      const props = { ...ghostProps(g), cargo: 0, credits: 0 };
      Object.assign(
        upsert("ships", g.id, g.x, g.y, () => new ShipState(props)),
        props,
      );
    }
    for (const rock of this.sim.asteroids.values()) {
      const props = { x: rock.x, y: rock.y, radius: rock.radius, ore: Math.floor(rock.ore) };
      upsert("asteroids", rock.id, rock.x, rock.y, () => new AsteroidState(props)).ore = props.ore;
    }
    for (const st of this.sim.stations.values()) {
      upsert("stations", st.id, st.x, st.y, () => new StationState({ x: st.x, y: st.y, radius: st.radius }));
    }
    for (const shot of this.sim.shots.values()) {
      const o = upsert("shots", shot.id, shot.x, shot.y, () => new ShotState({ x: shot.x, y: shot.y }));
      o.x = shot.x;
      o.y = shot.y;
    }
    for (const [k, e] of this.#synced) {
      if (live.has(k)) continue;
      this.#synced.delete(k);
      this.#bySerial.delete(e.key);
      (s[e.kind] as { delete(id: string): void }).delete(e.id);
    }
    if (this.ctx.interest) this.#interest.rebuild(this.#synced.values());
  }

  /** Ghost ids currently shown here (tests). */
  ghostIds(): string[] {
    return [...this.#ghosts.current(Date.now())].map((g) => g.id).filter((id) => !this.sim.ships.has(id));
  }

  /** Connected players. */
  get seats(): number {
    return this.#seats.size;
  }

  /** Inputs and actions waiting for a tick for this player (tests wait on it instead of sleeping). */
  pending(playerId: string): number {
    const seat = this.#byPlayer.get(playerId);
    return seat ? seat.queue.size + seat.actions.length : 0;
  }
}

function ghostProps(g: Ghost) {
  return {
    name: g.name,
    x: g.x,
    y: g.y,
    vx: g.vx,
    vy: g.vy,
    heading: g.heading,
    hull: g.hull,
    ack: g.ack,
    alive: g.alive,
    ghost: true,
  };
}

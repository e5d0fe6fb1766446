// The region room: glues one region's simulation to Colyseus. It keeps the seats (who is connected
// and with which ship), dispatches their messages into input queues, and runs the tick in order:
// inputs, rules, custody (offers, saves, arrivals), ghosts, mirror (the state frames). Custody (custody.ts),
// the client state (mirror.ts) and the frame gate (gate.ts) are their own modules. Nothing a client
// sends can make the tick throw.
import { type Client, type IRoomCache, matchMaker, Room, ServerError } from "@colyseus/core";
import type { RegionSnapshot } from "@starlane/shared";
import {
  type AccessClaims,
  ClientMessage,
  CloseCode,
  type ErrorCode,
  ErrorCode as ErrorCodes,
  parseRegionRoomId,
  REGION_ROOM_NAME,
  type Region,
  ServerMessage,
  StarlaneError,
  TUNING,
} from "@starlane/shared";
import { callAnyRoom, callRoom } from "./call-room.js";
import { type Redirect, type ResumeAnswer, ShipCustody, systemClock } from "./custody.js";
import { authorize, creationRefused, FrameGate } from "./gate.js";
import {
  applyHit,
  type Ghost,
  type GhostBatch,
  GhostBoard,
  type GhostHit,
  GhostPublisher,
  ghostChannel,
  hitChannel,
} from "./ghosts.js";
import type { HandoffAccepted, HandoffOffer } from "./handoff.js";
import { InputQueue, parseAction, parseInput } from "./input.js";
import { LedgerDesk } from "./ledger-desk.js";
import type { DropReason } from "./metrics.js";
import { Mirror } from "./mirror.js";
import type { RoomContext } from "./room-context.js";
import type { Action, ControlInput, SimState } from "./rules/types.js";
import { ShipSaver } from "./saving.js";
import { createSim, stepSim } from "./sim.js";
import { restoreWorld, SnapshotWriter } from "./snapshot.js";
import { fixedTimestep, type Timestep } from "./timestep.js";
import { type TradeAnswer, TradeBook, tradeMessage } from "./trades.js";
import { remoteAddressOf } from "./transport.js";

interface Seat {
  client: Client;
  playerId: string;
  queue: InputQueue;
  actions: Action[];
  /** The ship is not here (handed off, or the player was redirected): the seat only waits to be left. */
  transit: boolean;
  /** Gives the connection's slot back to the edge. */
  release: () => void;
}

/** How long a handed-off or redirected seat may stay before it is closed (4107). */
const TRANSIT_SEAT_MS = 10_000;
const MAX_ACTIONS_PER_TICK = 4;

/** Claims carried by a seat: a handoff seat also names the handoff that created it. */
type SeatClaims = AccessClaims & { handoff?: string };

/** A room whose static onAuth verifies the access token with this zone's verifier. */
export function boundRegionRoom(ctx: RoomContext): typeof RegionRoom {
  return class BoundRegionRoom extends RegionRoom {
    override ctx = ctx;
    // Colyseus calls the static onAuth unbound during matchmaking (the HTTP request carrying the
    // token), so it closes over ctx instead of using `this`.
    static override onAuth = (token: string): Promise<AccessClaims> => authorize(ctx.verifier, token);
  };
}

export class RegionRoom extends Room {
  declare ctx: RoomContext;
  region!: Region;
  sim!: SimState;
  readonly #seats = new Map<string, Seat>();
  readonly #byPlayer = new Map<string, Seat>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #custody!: ShipCustody;
  #desk!: LedgerDesk;
  #mirror!: Mirror;
  #gate!: FrameGate;
  #ghosts!: GhostBoard;
  #ghostOut!: GhostPublisher;
  #opened = false;
  #fenced = false;
  #syncPending: NodeJS.Immediate | undefined;
  #timestep: Timestep | undefined;
  /** Wall time (ms) of the last tick this room acted on (the tests' two-owner detector reads it). */
  lastTickAt = 0;
  #saver!: ShipSaver;
  #snapshots: SnapshotWriter | undefined;
  readonly #onGhosts = (batch: GhostBatch) => this.#ghosts.receive(batch, Date.now());
  readonly #onHit = (hit: GhostHit) => applyHit(this.sim, hit, (ship) => this.owns(ship));

  override async onCreate(options: { region: string }) {
    // Only the zone's claim path opens region rooms (with the region id as room id): not a client's
    // matchmaking request, nor another process asking over presence.
    if (!this.ctx.mayOpen(this.roomId) || options?.region !== this.roomId) throw creationRefused();
    const region = parseRegionRoomId(options.region);
    if (!region) throw new Error(`not a region room id: ${options.region}`);
    this.#opened = true;
    this.region = region;
    this.sim = createSim(this.ctx.world, region);
    const id = options.region;
    // A neighbour sends a batch every tick; one silent for 10 ticks is gone (dead or stopped).
    this.#ghosts = new GhostBoard(Math.max(500, 10_000 / this.ctx.tickHz));
    this.#mirror = new Mirror({
      region: id,
      bounds: this.sim.bounds,
      sim: this.sim,
      tickHz: this.ctx.tickHz,
      cellSize: this.ctx.cellSize,
      margin: this.ctx.borderBand + this.ctx.handoffHysteresis,
      slowReaderBytes: this.ctx.slowReaderBytes,
      slowReaderCloseMs: this.ctx.slowReaderCloseMs,
      onSlowReader: (event) => this.ctx.metrics.slowReader(id, event),
    });
    const saver = new ShipSaver(this.ctx.publisher, id, () => this.ctx.epochOf(id));
    this.#saver = saver;
    if (this.ctx.snapshots) this.#snapshots = new SnapshotWriter(this.ctx.snapshots, this.ctx.log, this.ctx.metrics);
    this.#desk = new LedgerDesk({
      ledger: this.ctx.ledger,
      region: id,
      epoch: () => this.ctx.epochOf(id),
      sim: this.sim,
      saver,
      book: new TradeBook(id),
      pricePerOre: TUNING.trade.orePrice,
      metrics: this.ctx.metrics,
      log: this.ctx.log,
      send: (playerId, type, body) => this.#byPlayer.get(playerId)?.client.send(type, body),
      present: (playerId) => {
        const seat = this.#byPlayer.get(playerId);
        return !!seat && !seat.transit && this.sim.ships.has(playerId) && !this.#custody.handingOff(playerId);
      },
      now: () => Date.now(),
      locate: async (playerId) => (await this.ctx.ownership.get(playerId))?.region || null,
      regionLive: (roomId) => this.ctx.regionLive(roomId),
      call: (roomId, call, ms) => callAnyRoom<TradeAnswer>(roomId, "trade", [call], ms),
    });
    this.#custody = new ShipCustody({
      roomId: id,
      region,
      world: this.ctx.world,
      sim: this.sim,
      ownership: this.ctx.ownership,
      ships: this.ctx.ships,
      saver,
      ghosts: this.#ghosts,
      callRoom,
      regionLive: (r) => this.ctx.regionLive(r),
      acting: () => this.ctx.acting(this.roomId),
      clock: systemClock,
      metrics: this.ctx.metrics,
      log: this.ctx.log,
      address: () => this.ctx.address,
      handoffHysteresis: this.ctx.handoffHysteresis,
      handoffTimeoutMs: this.ctx.handoffTimeoutMs,
      handoffRetryMs: this.ctx.handoffRetryMs,
      hooks: {
        seated: (playerId) => this.#byPlayer.has(playerId),
        reserveSeat: (playerId, name, handoff) => this.#reserve(playerId, name, handoff),
        handedOff: (playerId, to, redirect, name) => this.#sendAway(playerId, to, redirect, name),
        busy: (playerId) => this.#desk.busy(playerId),
      },
    });
    this.presence.subscribe(ghostChannel(this.roomId), this.#onGhosts);
    this.#ghostOut = new GhostPublisher(this.roomId, (channel, batch) => this.presence.publish(channel, batch));
    this.presence.subscribe(hitChannel(this.roomId), this.#onHit);
    this.autoDispose = false;
    this.maxClients = this.ctx.maxClients;
    this.#gate = new FrameGate(this, {
      maxMessagesPerSecond: this.ctx.maxMessagesPerSecond,
      maxMessageBytes: this.ctx.maxMessageBytes,
      metrics: this.ctx.metrics,
      log: this.ctx.log,
    });
    this.onMessage(ClientMessage.Input, (client, msg) => this.#onInput(client, msg));
    this.onMessage(ClientMessage.Action, (client, msg) => this.#onAction(client, msg));
    for (const type of [ClientMessage.TradeOffer, ClientMessage.TradeAccept, ClientMessage.TradeCancel]) {
      this.onMessage(type, (client, msg) => {
        const seat = this.#seatOf(client);
        const field = seat && tradeMessage(this.#desk, type, seat.playerId, msg);
        if (field) this.#drop(client, "malformed", "STARLANE_ERR_INVALID_INPUT", field);
      });
    }
    // Only servers hand ships off: a client claiming to move its ship is refused.
    this.onMessage(ServerMessage.Handoff, (client) =>
      this.#drop(client, "handoff_refused", "STARLANE_ERR_HANDOFF_REFUSED"),
    );
    this.onMessage("*", (client) => {
      this.#drop(client, "malformed", "STARLANE_ERR_MALFORMED_MESSAGE");
    });
    const restore = this.ctx.restoreOf(id);
    if (restore) {
      // A takeover: the previous owner's ships and ore, before the first tick or seat.
      restoreWorld(this.sim, restore);
      const n = await this.#custody.restore(restore.ships);
      this.ctx.log.info({ region: id, ships: n, of: restore.ships.length, tick: restore.tick }, "region restored");
    }
    this.#sync();
    // No schema state: the mirror sends the state frames at the end of each tick (Colyseus keeps
    // only its own clock's 20 Hz tick for its timers).
    this.patchRate = null;
    if (!this.ctx.manualTicks) this.#timestep = fixedTimestep(this.ctx.tickHz, () => this.tick());
    this.ctx.opened(this);
  }

  override async onJoin(client: Client, _options: unknown, auth: SeatClaims) {
    if (!auth?.sub) throw new ServerError(ErrorCodes.STARLANE_ERR_UNAUTHORIZED.status, "STARLANE_ERR_UNAUTHORIZED");
    // The per-address cap is taken here, where the token (and its `lt` exemption) is known; the
    // socket is open, so a refusal is a close code (4111; 4101 over the upgrade rate).
    // A handoff seat carries on a connection admitted at the source: never refused, and exempt when
    // this process has seen the player's `lt` token (a handoff seat's claims come from the zone).
    const handoff = auth.handoff !== undefined;
    if (auth.lt === true) this.ctx.loadTestPlayers.add(auth.sub);
    const exempt = auth.lt === true || (handoff && this.ctx.loadTestPlayers.has(auth.sub));
    const release = this.ctx.edge.admit(remoteAddressOf(client), exempt, handoff);
    if (release instanceof StarlaneError) {
      this.ctx.metrics.closed(this.roomId, "edge");
      const spec: { close?: number; message: string } = ErrorCodes[release.code];
      client.leave(spec.close ?? CloseCode.TooManyConnections, release.message);
      return;
    }
    if (this.ctx.halted(this.roomId) && !this.sim.ships.has(auth.sub)) {
      // The region is moving to another zone: a new ship would miss the final snapshot. Retryable.
      release();
      throw new ServerError(ErrorCodes.STARLANE_ERR_REGION_UNAVAILABLE.status, "STARLANE_ERR_REGION_UNAVAILABLE");
    }
    let redirect: Redirect | null;
    try {
      redirect = await this.#custody.join(auth.sub, auth.name, auth.handoff);
    } catch (err) {
      release();
      // Custody refuses with catalogue codes; the seat request answers with their HTTP status.
      throw err instanceof StarlaneError ? new ServerError(err.status, err.code) : err;
    }
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
      transit: redirect !== null,
      release,
    };
    this.#seats.set(client.sessionId, seat);
    this.#gate.admit(client, auth.sub);
    if (redirect) {
      // The ship is owned by another room: send the player there (sent once the join completes).
      client.send(ServerMessage.Handoff, redirect);
      this.#closeTransitLater(seat);
      return;
    }
    this.#byPlayer.set(auth.sub, seat);
    this.#mirror.join(client, auth.sub);
    this.#syncSoon();
  }

  override onLeave(client: Client) {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) return;
    this.#forget(seat);
    if (seat.transit) return;
    // Only the player's current connection takes the ship away (a replaced one does not).
    if (!this.#byPlayer.has(seat.playerId)) this.#custody.playerLeft(seat.playerId);
    this.#syncSoon();
  }

  /**
   * Closes every connection of `playerId` here (an account decision: 4180 banned, 4181 sessions
   * ended). The usual leave follows: the ship is saved and leaves the room.
   */
  closePlayer(playerId: string, code: CloseCode) {
    for (const seat of this.#seats.values()) {
      if (seat.playerId !== playerId) continue;
      this.ctx.metrics.closed(this.roomId, "account");
      seat.client.leave(code);
    }
  }

  override onBeforeShutdown() {
    this.disconnect(CloseCode.ShuttingDown).catch(() => {});
  }

  override onDispose() {
    if (!this.#opened) return; // refused in onCreate: nothing was set up
    this.#custody.close();
    this.#desk.close();
    this.presence.unsubscribe(ghostChannel(this.roomId), this.#onGhosts);
    this.presence.unsubscribe(hitChannel(this.roomId), this.#onHit);
    this.#timestep?.stop();
    for (const t of this.#timers) clearTimeout(t);
    clearImmediate(this.#syncPending);
    this.ctx.closed(this);
  }

  /** The ship went to room `to`: its player's seat here becomes a transit seat and the player follows. */
  #sendAway(playerId: string, to: string, redirect: Redirect | null, name: string) {
    const seat = this.#byPlayer.get(playerId);
    if (!seat) return;
    this.#byPlayer.delete(playerId);
    seat.transit = true;
    this.#closeTransitLater(seat);
    if (redirect) return seat.client.send(ServerMessage.Handoff, redirect);
    // The new owner's answer was lost (it was slow): ask it for a seat now, a few times; failing
    // that, the player joins again and is redirected to the owner.
    const here = () => this.#seats.get(seat.client.sessionId) === seat;
    this.#custody
      .seatWithOwner(playerId, to, name, here)
      .then((r) => {
        if (r) seat.client.send(ServerMessage.Handoff, r);
        else if (here()) seat.client.leave(CloseCode.RegionMoved);
      })
      .catch(() => {});
  }

  #forget(seat: Seat) {
    seat.release();
    this.#seats.delete(seat.client.sessionId);
    if (this.#byPlayer.get(seat.playerId) === seat) this.#byPlayer.delete(seat.playerId);
    this.#gate.release(seat.client);
    this.#mirror.leave(seat.client);
  }

  #closeTransitLater(seat: Seat) {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#seats.get(seat.client.sessionId) === seat) seat.client.leave(CloseCode.HandedOff);
    }, TRANSIT_SEAT_MS);
    t.unref();
    this.#timers.add(t);
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

  /** Whether this room is the authority for `ship` right now (ownership detector in tests). */
  owns(ship: string): boolean {
    return this.#custody.owns(ship);
  }

  /** The ownership version this room holds for `ship` (undefined when it holds none). */
  versionOf(ship: string): number | undefined {
    return this.#custody.versionOf(ship);
  }

  /** Whether `ship` is in the middle of a handoff from this room. */
  handingOff(ship: string): boolean {
    return this.#custody.handingOff(ship);
  }

  /** Called by a neighbour's room (see ShipCustody.acceptHandoff). */
  acceptHandoff(offer: HandoffOffer): Promise<HandoffAccepted> {
    // The source keeps the ship and retries; by then the region's new owner answers.
    if (this.ctx.halted(this.roomId)) return Promise.reject(new Error("handoff refused: region moving"));
    return this.#custody.acceptHandoff(offer);
  }

  /** Called by another room's trade desk (see LedgerDesk.remote): an offer, accept or cancel across rooms. */
  trade(call: unknown): Promise<TradeAnswer> {
    return this.#desk.remote(call);
  }

  /** Called by a room a player joined while its ship is here (see ShipCustody.reserveResume). */
  reserveResume(sub: string, name: string): Promise<ResumeAnswer> {
    if (this.ctx.halted(this.roomId)) return Promise.resolve("moving");
    return this.#custody.reserveResume(sub, name);
  }

  #drop(client: Client, reason: DropReason, code: ErrorCode, field?: string) {
    this.ctx.metrics.inputDropped(this.roomId, reason);
    client.send(ServerMessage.Error, new StarlaneError(code, field).toBody());
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

  /** The sender's seat, if it has one with its ship here (a transit seat only waits to be left). */
  #seatOf(client: Client): Seat | undefined {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) this.ctx.metrics.inputDropped(this.roomId, "not_joined");
    return seat && !seat.transit ? seat : undefined;
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

  /**
   * The zone lost this region (renewal refused, or not confirmed in time): nothing more is applied,
   * saved, handed off or snapshotted here, and its players go back through world entry (4106).
   */
  fence(): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#custody.fence();
    this.disconnect(CloseCode.RegionMoved).catch(() => {});
  }

  /** The halted region's last snapshot, stored before anyone may take it over. */
  finalSnapshot(epoch: number): Promise<RegionSnapshot> {
    if (!this.#snapshots) return Promise.reject(new Error("no snapshot store: a region cannot move"));
    return this.#snapshots.final(this.sim, this.roomId, epoch, (ship) => this.#saver.versions(ship));
  }

  /** The new owner's side: a seat for the player of every ship restored from a moved region's snapshot. */
  async seatsForRestored(): Promise<Record<string, unknown>> {
    const restored = [...this.sim.ships.values()].filter((ship) => this.#custody.state(ship.id) === "arriving");
    // Side by side: the region's players stand still until the last seat is reserved.
    const reservations = await Promise.all(restored.map((ship) => this.#reserve(ship.id, ship.name, "restored")));
    return Object.fromEntries(restored.map((ship, i) => [ship.id, reservations[i]]));
  }

  /**
   * The old owner's side, once the new owner restored the region: every player is sent its seat
   * there (a `handoff` message, followed as at a border); custody writes nothing more; the room goes
   * once its players have left (or after the transit time). A player without a seat (its ship came
   * after the snapshot) goes back through world entry (4106). Resolves how many were sent.
   */
  handOut(seats: Record<string, unknown>, address: string): number {
    this.#fenced = true;
    this.#custody.fence();
    let sent = 0;
    for (const seat of [...this.#byPlayer.values()]) {
      this.#byPlayer.delete(seat.playerId);
      seat.transit = true;
      const reservation = seats[seat.playerId];
      if (!reservation) {
        this.ctx.metrics.closed(this.roomId, "moved");
        seat.client.leave(CloseCode.RegionMoved);
        continue;
      }
      seat.client.send(ServerMessage.Handoff, { roomId: this.roomId, reservation, address });
      sent++;
    }
    const until = Date.now() + TRANSIT_SEAT_MS;
    const t = setInterval(() => {
      if (this.#seats.size > 0 && Date.now() < until) return;
      clearInterval(t);
      this.#timers.delete(t);
      this.disconnect(CloseCode.HandedOff).catch(() => {});
    }, 50);
    t.unref();
    this.#timers.add(t);
    return sent;
  }

  /** One tick: apply queued inputs, step the rules, custody, ghosts, mirror, send the state frames. */
  tick(dt = 1 / this.ctx.tickHz): void {
    // The self-fence: a zone whose lease may lapse stops acting before it can (see lease.ts).
    if (this.#fenced || this.ctx.halted(this.roomId) || !this.ctx.acting(this.roomId)) return;
    this.lastTickAt = Date.now();
    const started = performance.now();
    let sent = 0;
    const controls = new Map<string, ControlInput>();
    const actions = new Map<string, Action[]>();
    for (const seat of this.#seats.values()) {
      // A ship being handed off keeps its inputs queued: the client re-sends them to the new owner.
      if (seat.transit || this.#custody.handingOff(seat.playerId)) continue;
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
      for (const sale of events.sales) this.#desk.sell(sale.ship, sale.station, sale.ore);
      for (const p of events.purchases) this.#desk.buy(p.ship, p);
      for (const r of events.refused) {
        this.#byPlayer
          .get(r.ship)
          ?.client.send(ServerMessage.Error, new StarlaneError("STARLANE_ERR_ACTION_REFUSED").toBody());
      }
      // A ship with a sale or trade in flight stays until the ledger answers (its hold must not move twice).
      this.#custody.offerLeavers((playerId) => this.#desk.busy(playerId));
      this.#desk.sweep();
      this.#custody.expireArrivals();
      this.#sync(false);
      sent = this.#mirror.send();
      // What no client waits for comes after the frames are out (it lengthened the time from an
      // input's tick to its frame by up to 5 ms at 500 ships): ghosts for the neighbours, saves and
      // the snapshot, all of the state the frames just showed.
      this.#ghostOut.publish(this.ctx.world, this.region, this.sim.ships.values(), this.ctx.borderBand);
      if (this.sim.tick % this.ctx.saveEveryTicks === 0) this.#custody.saveAll();
      if (this.sim.tick % this.ctx.snapshotEveryTicks === 0)
        this.#snapshots?.write(this.sim, this.roomId, this.ctx.epochOf(this.roomId), (ship) =>
          this.#saver.versions(ship),
        );
    } catch (err) {
      // A bug in the rules must not take the region down with it: log, keep ticking.
      this.ctx.log.error({ err, region: this.roomId }, "tick failed");
    }
    const seconds = (performance.now() - started) / 1000;
    this.ctx.metrics.tick(this.roomId, seconds, seconds > 1 / this.ctx.tickHz, this.#gate.takeBytes() + sent);
    this.ctx.metrics.population(this.roomId, this.#seats.size, this.#mirror.entities);
  }

  /** The mirror's update: after the tick's rules, or `between` ticks (a join or a leave). */
  #sync(between = true) {
    this.#mirror.sync(this.#ghosts.current(Date.now()), between);
  }

  /**
   * One update between ticks for all the joins and leaves of this turn of the event loop: each
   * costs a pass over every entity and client, so a ramp of joins must not pay it per join.
   */
  #syncSoon() {
    if (this.#syncPending) return;
    this.#syncPending = setImmediate(() => {
      this.#syncPending = undefined;
      this.#sync();
    });
  }

  /** Ghost ids currently shown here (tests). */
  ghostIds(): string[] {
    return [...this.#ghosts.current(Date.now())].map((g) => g.id).filter((id) => !this.sim.ships.has(id));
  }

  /** Connected players. */
  get seats(): number {
    return this.#seats.size;
  }

  /** A sale or trade of this player's ship is waiting for the ledger (tests wait on it instead of sleeping). */
  busy(playerId: string): boolean {
    return this.#desk.busy(playerId);
  }

  /** Inputs and actions waiting for a tick for this player (tests wait on it instead of sleeping). */
  pending(playerId: string): number {
    const seat = this.#byPlayer.get(playerId);
    return seat ? seat.queue.size + seat.actions.length : 0;
  }
}

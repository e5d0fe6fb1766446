// The region room: glues the simulation to Colyseus. Inbound messages are validated and queued;
// the tick applies them, steps the rules, copies the result into the schema state, updates each
// client's area of interest and sends the patches. Nothing a client sends can make the tick throw.
import { type Client, CloseCode as ColyseusCloseCode, Room, ServerError } from "@colyseus/core";
import { StateView } from "@colyseus/schema";
import {
  type AccessClaims,
  ClientMessage,
  CloseCode,
  type ErrorCode,
  ErrorCode as ErrorCodes,
  type Logger,
  parseRegionRoomId,
  type Region,
  regionOf,
  sameRegion,
  ServerMessage,
  type ShipStatePublisher,
  StarlaneError,
  type TokenVerifier,
  type WorldConfig,
} from "@starlane/shared";
import { type Placed, InterestGrid } from "./interest.js";
import { InputQueue, parseAction, parseInput } from "./input.js";
import type { DropReason, ZoneMetrics } from "./metrics.js";
import type { Action, ControlInput, SimState } from "./rules/types.js";
import type { RegionStateT, StateSchemas } from "./schema.js";
import { ShipSaver } from "./saving.js";
import type { ShipStore } from "./ships.js";
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
  ships: ShipStore;
  /** Write-behind to persistence; without it ships live only as long as their room. */
  publisher?: ShipStatePublisher;
  /** Every ship is saved this often (in ticks), and always when its player leaves. */
  saveEveryTicks: number;
  /** The ownership epoch this zone holds the region at (carried by every save). */
  epochOf(region: string): number;
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
}

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
  #saver: ShipSaver | undefined;

  override onCreate(options: { region: string }) {
    const region = parseRegionRoomId(options.region);
    if (!region) throw new Error(`not a region room id: ${options.region}`);
    this.region = region;
    this.sim = createSim(this.ctx.world, region);
    this.state = new this.ctx.schemas.RegionState({ region: options.region, tick: 0 });
    this.#interest = new InterestGrid(this.ctx.interestRadius);
    const id = options.region;
    this.#saver = this.ctx.publisher && new ShipSaver(this.ctx.publisher, id, () => this.ctx.epochOf(id));
    this.autoDispose = false;
    this.maxClients = this.ctx.maxClients;
    // Our own limiter closes with our documented code; Colyseus's would close with its generic 4002.
    this.maxMessagesPerSecond = Number.POSITIVE_INFINITY;
    this.onMessage(ClientMessage.Input, (client, msg) => this.#onInput(client, msg));
    this.onMessage(ClientMessage.Action, (client, msg) => this.#onAction(client, msg));
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

  override async onJoin(client: Client, _options: unknown, auth: AccessClaims) {
    if (!auth?.sub) throw new ServerError(ErrorCodes.STARLANE_ERR_UNAUTHORIZED.status, "STARLANE_ERR_UNAUTHORIZED");
    const previous = this.#byPlayer.get(auth.sub);
    if (previous) {
      this.ctx.metrics.closed(this.roomId, "replaced");
      this.#forget(previous);
      previous.client.leave(CloseCode.Replaced);
    }
    let ship = this.sim.ships.get(auth.sub);
    if (!ship) {
      const stored = await this.ctx.ships.load(auth.sub);
      // A seat is only good in the region the ship is in: a client cannot pick its region.
      if (stored && !sameRegion(regionOf(this.ctx.world, stored.x, stored.y), this.region)) {
        throw new ServerError(ErrorCodes.STARLANE_ERR_SEAT_INVALID.status, "STARLANE_ERR_SEAT_INVALID");
      }
      ship = spawnShip(this.sim, { ...(stored ?? {}), id: auth.sub, name: auth.name });
      this.#saver?.adopt(auth.sub, stored);
    }
    const seat: Seat = {
      client,
      playerId: auth.sub,
      // A rejoining client continues from the acknowledged sequence; anything at or below is a replay.
      queue: new InputQueue(this.ctx.inputQueue, ship.ack),
      actions: [],
      seen: new Set(),
      windowStart: 0,
      windowCount: 0,
    };
    this.#seats.set(client.sessionId, seat);
    this.#byPlayer.set(auth.sub, seat);
    this.#wrapClient(client);
    this.#syncState();
    if (this.ctx.interest) {
      client.view = new StateView();
      this.#updateView(seat);
    }
  }

  override onLeave(client: Client) {
    const seat = this.#seats.get(client.sessionId);
    if (!seat) return;
    this.#forget(seat);
    // Only the player's current connection takes the ship away (a replaced one does not).
    const ship = this.sim.ships.get(seat.playerId);
    if (ship && this.#byPlayer.get(seat.playerId) === undefined) {
      this.#saver?.release(ship);
      this.sim.ships.delete(seat.playerId);
    }
    this.#syncState();
  }

  override onBeforeShutdown() {
    this.disconnect(CloseCode.ShuttingDown).catch(() => {});
  }

  override onDispose() {
    this.ctx.closed(this);
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
      return this.#drop(client, v.reason, v.reason === "not_your_ship" ? "STARLANE_ERR_NOT_YOUR_SHIP" : "STARLANE_ERR_INVALID_INPUT");
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
      return this.#drop(client, v.reason, v.reason === "not_your_ship" ? "STARLANE_ERR_NOT_YOUR_SHIP" : "STARLANE_ERR_INVALID_INPUT");
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
      const events = stepSim(this.sim, { controls, actions }, dt);
      if (this.#saver && this.sim.tick % this.ctx.saveEveryTicks === 0) {
        for (const ship of this.sim.ships.values()) this.#saver.save(ship);
      }
      for (const r of events.refused) {
        this.#byPlayer.get(r.ship)?.client.send(ServerMessage.Error, new StarlaneError("STARLANE_ERR_ACTION_REFUSED").toBody());
      }
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
      };
      Object.assign(upsert("ships", ship.id, ship.x, ship.y, () => new ShipState(props)), props);
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

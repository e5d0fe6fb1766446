// Stock Colyseus 0.18: the system our zone is compared with (the `*_stock` bench rows). One room as
// the Colyseus docs build one: @colyseus/core + @colyseus/schema on the uWebSockets.js transport,
// default transport and room settings, a ships map with the fields the bots read (RegionView),
// `number` fields, everyone sees everything, a fixed 20 Hz timestep applying the bots' `input`
// messages with simple flight. None of Starlane's interest management, quantisation, frame gating,
// rate limits, ownership or handoff.
//
// Started by loadtest/src/zone-child.ts like services/zone/bench/zone-process.ts and speaking its
// protocol: prints {"port"} when listening; on stdin "stats" (or "stats gc") answers the tick
// durations since the previous "stats", the seat count and process memory; "quit" ends it. The room
// is `region-1-1` (what the bots' direct entry joins by id); tokens are checked against BENCH_JWKS.

import uws from "uWebSockets.js";
import { createInterface } from "node:readline";
import { type Client, matchMaker, Room, Server, ServerError } from "@colyseus/core";
import { MapSchema, schema, t } from "@colyseus/schema";
import { uWebSocketsTransport } from "@colyseus/uwebsockets-transport";
import {
  ACCESS_TOKEN_TYPE,
  ClientMessage,
  DEFAULT_WORLD,
  REGION_ROOM_NAME,
  regionBounds,
  regionRoomId,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from "@starlane/shared";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";

const TICK_HZ = 20;
const REGION = { col: 1, row: 1 };
const world = DEFAULT_WORLD;
const bounds = regionBounds(world, REGION);
const bots = Number(process.env.BENCH_CLIENTS ?? 200);
const jwks = createLocalJWKSet(JSON.parse(process.env.BENCH_JWKS ?? '{"keys":[]}') as JSONWebKeySet);

// Where bot-i starts: the same deterministic points zone-process.ts gives bot-i, so both systems
// start from the same crowd.
const spawns = new Map<string, { x: number; y: number; heading: number }>();
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
for (let i = 0; i < bots; i++) {
  const x = bounds.minX + 100 + rand() * (bounds.maxX - bounds.minX - 200);
  const y = bounds.minY + 100 + rand() * (bounds.maxY - bounds.minY - 200);
  spawns.set(`bot-${i}`, { x, y, heading: rand() * Math.PI * 2 });
}

const Ship = schema({
  name: t.string(),
  x: t.number(),
  y: t.number(),
  vx: t.number(),
  vy: t.number(),
  heading: t.number(),
  hull: t.number(),
  cargo: t.number(),
  credits: t.number(),
  ack: t.number(),
  alive: t.boolean(),
  ghost: t.boolean(),
});
type Ship = InstanceType<typeof Ship>;
const State = schema({ region: t.string(), tick: t.number(), ships: t.map(Ship) });

interface Input {
  seq: number;
  thrust: number;
  turn: number;
}

// Flight of the same magnitudes as the zone's (shared/src/rules/tuning.ts), so ships move
// and change as much per tick; no bodies, no shots.
const ACCEL = 300;
const MAX_SPEED = 400;
const DRAG = 0.6;
const TURN_RATE = Math.PI;

function fly(s: Ship, i: Input | undefined, dt: number): void {
  const thrust = i?.thrust ?? 0;
  s.heading = (s.heading + (i?.turn ?? 0) * TURN_RATE * dt + Math.PI * 2) % (Math.PI * 2);
  let vx = (s.vx + Math.cos(s.heading) * thrust * ACCEL * dt) * Math.exp(-DRAG * dt);
  let vy = (s.vy + Math.sin(s.heading) * thrust * ACCEL * dt) * Math.exp(-DRAG * dt);
  const speed = Math.hypot(vx, vy);
  if (speed > MAX_SPEED) [vx, vy] = [(vx * MAX_SPEED) / speed, (vy * MAX_SPEED) / speed];
  s.vx = vx;
  s.vy = vy;
  s.x = Math.min(world.width, Math.max(0, s.x + vx * dt));
  s.y = Math.min(world.height, Math.max(0, s.y + vy * dt));
}

let durations: number[] = [];
let room: StockRoom | undefined;

interface Seat {
  sessionId: string;
  /** Inputs not applied yet, oldest first. */
  inputs: Input[];
  /** The highest sequence number received (anything at or below is a replay). */
  last: number;
  /** The controls in effect: the last applied input's. */
  current: Input | undefined;
}

class StockRoom extends Room<{ state: InstanceType<typeof State> }> {
  readonly seats = new Map<string, Seat>();

  static override async onAuth(token: string) {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
      });
      return payload;
    } catch {
      throw new ServerError(401, "invalid token");
    }
  }

  override onCreate() {
    this.roomId = regionRoomId(REGION);
    this.autoDispose = false;
    this.state = new State({ region: this.roomId, tick: 0, ships: new MapSchema<Ship>() });
    this.onMessage(ClientMessage.Input, (client, msg: Partial<Input> | undefined) => {
      const seat = this.seats.get(client.auth?.sub);
      const seq = Number(msg?.seq);
      if (seat?.sessionId !== client.sessionId || !Number.isFinite(seq) || seq <= seat.last) return;
      seat.last = seq;
      const clamp = (v: unknown, lo: number) => Math.min(1, Math.max(lo, Number(v) || 0));
      seat.inputs.push({ seq, thrust: clamp(msg?.thrust, 0), turn: clamp(msg?.turn, -1) });
      if (seat.inputs.length > 64) seat.inputs.shift();
    });
    // The bot's other messages (actions) have no place here; ignore them.
    this.onMessage("*", () => {});
    this.setFixedTimestep(({ dt }) => this.step(dt), TICK_HZ);
    // Patches at the end of each step instead of on the default 50 ms timer: the same patches, and
    // the timed step covers inputs, flight and encoding + sending, as the zone's tick does.
    this.patchRate = null;
  }

  step(dt: number) {
    const started = performance.now();
    this.state.tick++;
    this.state.ships.forEach((ship, id) => {
      const seat = this.seats.get(id);
      // One input per ship per step, its sequence acknowledged (what the bots expect of a zone).
      const input = seat?.inputs.shift();
      if (seat && input) {
        seat.current = input;
        ship.ack = input.seq;
      }
      fly(ship, seat?.current, dt);
    });
    this.broadcastPatch();
    durations.push(performance.now() - started);
  }

  override onJoin(client: Client) {
    const { sub, name } = client.auth as { sub: string; name?: string };
    const at = spawns.get(sub) ?? {
      x: (bounds.minX + bounds.maxX) / 2,
      y: (bounds.minY + bounds.maxY) / 2,
      heading: 0,
    };
    // A player joining again takes over its ship (the earlier connection's inputs no longer count).
    const ship = this.state.ships.get(sub);
    this.seats.set(sub, { sessionId: client.sessionId, inputs: [], last: ship?.ack ?? 0, current: undefined });
    if (ship) return;
    this.state.ships.set(
      sub,
      new Ship({
        name: name ?? sub,
        ...at,
        vx: 0,
        vy: 0,
        hull: 100,
        cargo: 0,
        credits: 0,
        ack: 0,
        alive: true,
        ghost: false,
      }),
    );
  }

  override onLeave(client: Client) {
    const sub = client.auth?.sub;
    if (this.seats.get(sub)?.sessionId !== client.sessionId) return; // replaced by a newer connection
    this.seats.delete(sub);
    this.state.ships.delete(sub);
  }
}

const transport = new uWebSocketsTransport();
const server = new Server({ transport, greet: false, gracefullyShutdown: false });
server.define(REGION_ROOM_NAME, StockRoom);
await server.listen(0);
const { roomId } = await matchMaker.createRoom(REGION_ROOM_NAME, {});
room = matchMaker.getLocalRoomById(roomId) as StockRoom;
const socket = (transport as unknown as { _listeningSocket: uws.us_listen_socket })._listeningSocket;

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ port: uws.us_socket_local_port(socket) })}\n`);
// CPU and elapsed time since the previous "stats", as our zone reports them (the bench judges a
// window by its tick rate and compares CPU per tick).
let cpu = process.cpuUsage();
let wall = performance.now();
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stats" || line === "stats gc") {
    if (line === "stats gc") (globalThis as { gc?: () => void }).gc?.();
    const sorted = durations.sort((x, y) => x - y);
    durations = [];
    const { rss, heapUsed } = process.memoryUsage();
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    const tickMs = sorted.reduce((a, d) => a + d, 0);
    process.stdout.write(
      `${JSON.stringify({ ticks: sorted.length, p50: q(sorted, 0.5), p99: q(sorted, 0.99), max: sorted.at(-1) ?? 0, clients: room?.clients.length ?? 0, rss, heapUsed, cpuMs: (used.user + used.system) / 1000, wallMs: now - wall, tickMs })}\n`,
    );
    cpu = process.cpuUsage();
    wall = now;
  } else if (line === "quit") {
    break;
  }
}
await server.gracefullyShutdown(false);
process.exit(0);

// Zone child processes sharing the local Redis under one test prefix (each process has its own
// Colyseus matchMaker), and SDK bots that fly with the ShipLink helper. Used by the cross-process
// handoff tests and services/zone/bench/handoff.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Client, type Room } from "@colyseus/sdk";
import type { StoredShip } from "@starlane/shared";
import { regionKeys, ShipLink } from "@starlane/shared";
import { attachRegion, backoffMs, regionView } from "@starlane/shared/client";
import { TEST_REDIS_URL, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type { RegionView } from "./harness.js";
import type { TestTokens } from "./tokens.js";

const NODE = fileURLToPath(new URL("./zone-node.ts", import.meta.url));

export interface ZoneNode {
  child: ChildProcess;
  port: number;
  url: string;
  stats(): Promise<{
    two: number;
    none: number;
    samples: number;
    /** The region rooms open in the process at the time (whatever its leases say). */
    rooms: string[];
    /** This process's Colyseus process id (what its room listings name). */
    processId: string;
    /** Samples not judged: the room was fenced while the ownership record was being read. */
    fencedDuringRead: number;
    detail: string[];
    metrics: string;
    /** When this process acted on each region (first and last tick seen, wall ms), per epoch. */
    acted: { region: string; epoch: number; first: number; last: number }[];
    regions: { region: string; epoch: number }[];
    /** Every copy of a watched ship this process simulates, room by room. */
    held: { room: string; id: string; owns: boolean; version?: number; acting: boolean }[];
  }>;

  /** A trade desk call on room `roomId` made from this process (needs ZONE_DATABASE_URL): its answer. */
  trade(roomId: string, call: unknown): Promise<unknown>;
  /** The next `n` ledger answers of this process are lost after committing (needs ZONE_DATABASE_URL). */
  lose(n: number): Promise<void>;
  quit(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** A ship at rest at (x, y) with a fresh hull and an empty hold, as the cluster tests seed them. */
export const ship = (playerId: string, x: number, y: number): StoredShip => ({
  playerId,
  x,
  y,
  vx: 0,
  vy: 0,
  heading: 0,
  hull: 100,
  cargo: 0,
  credits: 0,
});

/** A square loop inside region-1-1 (2000-unit regions), clear of its borders: the failover tests' pilots fly it. */
export const LOOP_1_1 = [
  { x: 2600, y: 2600 },
  { x: 3400, y: 2600 },
  { x: 3400, y: 3400 },
  { x: 2600, y: 3400 },
];

export async function startNode(opts: {
  prefix: string;
  regions: string;
  jwks: unknown;
  ships?: StoredShip[];
  watch?: string[];
  env?: Record<string, string>;
}): Promise<ZoneNode> {
  const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", NODE], {
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      ZONE_PREFIX: opts.prefix,
      ZONE_JWKS: JSON.stringify(opts.jwks),
      ZONE_SHIPS: JSON.stringify(opts.ships ?? []),
      ZONE_WATCH: (opts.watch ?? []).join(","),
      STARLANE_ZONE_REGIONS: opts.regions,
      ...opts.env,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  // Colyseus prints a few lines of its own on stdout (e.g. stale-room cleanup): ours are JSON.
  const next = async () => {
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error("zone node exited");
      if (r.value.startsWith("{")) return JSON.parse(r.value);
    }
  };
  // The zone may log (JSON) before it says its port on a loaded machine: wait for that line.
  let port: number | undefined;
  while (typeof port !== "number") port = ((await next()) as { port?: number }).port;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    async stats() {
      child.stdin!.write("stats\n");
      // The zone's own JSON log lines share stdout: the answer is the line with the counts.
      for (;;) {
        const line = await next();
        if (typeof line?.samples === "number") return line;
        if (process.env.ZONE_LOGS) process.stderr.write(`${JSON.stringify(line)}\n`);
      }
    },
    async trade(roomId, call) {
      child.stdin!.write(`trade ${roomId} ${JSON.stringify(call)}\n`);
      return next();
    },
    async lose(n) {
      child.stdin!.write(`lose ${n}\n`);
      await next();
    },
    async quit() {
      if (exited) return;
      child.stdin!.write("quit\n");
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill("SIGKILL");
    },
    kill: (signal) => child.kill(signal),
  };
}

export type SdkRoom = Room<unknown, RegionView>;

export interface Bot {
  id: string;
  link: ShipLink<SdkRoom>;
  /** Sequence numbers sent. */
  sent: number;
  stop(): void;
}

/** A bot steering through `waypoints` in turn, sending one input every `everyMs`. */
export async function startBot(
  url: string,
  tokens: TestTokens,
  id: string,
  region: string,
  waypoints: { x: number; y: number }[],
  everyMs = 100,
): Promise<Bot> {
  const client = new Client(url);
  client.auth.token = await tokens.sign({ sub: id, name: id });
  const room = await client.joinById<RegionView>(region, {});
  room.reconnection.maxRetries = 0;
  const refused = (err: Error) => console.error(`${id}: frame refused: ${err.message}`);
  attachRegion(room, { self: id, onError: refused });
  await waitFor(`${id} first state`, () => regionView(room)?.ships.has(id));
  const link = new ShipLink(client, room as SdkRoom, id, {
    onRoom: (r) => {
      r.reconnection.maxRetries = 0;
      attachRegion(r, { onError: refused });
    },
  });
  let w = 0;
  const bot: Bot = { id, link, sent: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const s = regionView(link.room)?.ships.get(id);
    if (!s) return;
    let target = waypoints[w % waypoints.length]!;
    if (Math.hypot(target.x - s.x, target.y - s.y) < 60) target = waypoints[++w % waypoints.length]!;
    const want = Math.atan2(target.y - s.y, target.x - s.x);
    const diff = Math.atan2(Math.sin(want - s.heading), Math.cos(want - s.heading));
    link.send({ thrust: Math.abs(diff) < 0.6 ? 0.7 : 0.05, turn: Math.max(-1, Math.min(1, diff * 3)), fire: false });
    bot.sent++;
  }, everyMs);
  return bot;
}

/** Sums a Prometheus counter over all its label sets in a /metrics text, optionally filtered. */
export function counter(text: string, name: string, match = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (match && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/**
 * The zones' URLs with the region's owner in the directory first, as world entry would send a player
 * (the others follow: the directory may be a moment behind, and a zone about to take the region over
 * holds the join until its room opens).
 */
export async function ownerFirst(
  redis: Redis,
  prefix: string,
  region: string,
  nodes: readonly ZoneNode[],
): Promise<string[]> {
  const raw = await redis.get(regionKeys(prefix, region).owner);
  const port = raw ? Number((JSON.parse(raw) as { address: string }).address.split(":").pop()) : 0;
  return [...nodes].sort((a, b) => Number(b.port === port) - Number(a.port === port)).map((n) => n.url);
}

/**
 * A bot flying a loop inside one region; when its zone goes away (closed, killed, fenced) it comes
 * back by itself with full-jitter backoff, trying each zone `urls()` names, and re-sends its
 * unacknowledged inputs. Records what failover costs it (failover tests and bench).
 */
export class Pilot {
  link: ShipLink<SdkRoom> | undefined;
  dropped = false;
  droppedAt = 0;
  resumedAt = 0;
  /** When the first join after the drop succeeded (seated, first state seen), and after how many tries. */
  rejoinedAt = 0;
  tries = 0;
  /** The acknowledged sequence in the first state after re-joining (the restored ship's). */
  restoredAck = -1;
  /** The close code of each connection lost. */
  readonly closeCodes: number[] = [];
  /** The same at every re-join, in order (a pilot can drop more than once). */
  readonly restoredAcks: number[] = [];
  lastSeq = 0;
  lastError = "";
  #timer: NodeJS.Timeout | undefined;
  #w = 0;
  #stopped = false;

  /** The last server tick this bot saw, and the tick of the first state after it came back. */
  lastTick = 0;
  /** The last tick seen before the connection was lost (frozen there; `lastTick` goes on). */
  tickAtDrop = 0;
  resumedTick = -1;

  constructor(
    readonly id: string,
    readonly region: string,
    readonly loop: { x: number; y: number }[],
    readonly tokens: TestTokens,
    /** The zones to try, in order (world entry's owner first, where the caller knows it). */
    readonly urls: () => string[] | Promise<string[]>,
    readonly backoff = { baseMs: 200, capMs: 2000 },
    /**
     * The region to join, as world entry names it (where the ship's ownership record says, for a
     * pilot whose loop crosses borders); `region` when not given.
     */
    readonly locate?: () => Promise<string>,
  ) {}

  /** What the player's screen shows of its own ship (not a ghost's): each change, in order. */
  readonly screens: { at: number; credits: number; cargo: number }[] = [];

  /** Seats the pilot at `url` (following a redirect to the room that owns the ship) once it shows the ship. */
  async join(url: string): Promise<SdkRoom> {
    const client = new Client(url);
    client.auth.token = await this.tokens.sign({ sub: this.id, name: this.id });
    const region = (await this.locate?.().catch(() => undefined)) ?? this.region;
    const room = (await client.joinById<RegionView>(region, {})) as SdkRoom;
    room.reconnection.maxRetries = 0;
    attachRegion(room, { self: this.id });
    this.#watch(room);
    // Follows handoffs (and a redirect to the owner's room) from the first frame.
    if (!this.link) {
      this.link = new ShipLink(client, room, this.id, {
        onRoom: (r) => {
          r.reconnection.maxRetries = 0;
          this.#watch(r);
        },
        // As the browser client does: a handoff it could not follow (the new zone died) means leaving
        // the old room (the ship is not there any more) and coming back through world entry.
        onError: () => {
          if (!this.#stopped) this.link?.room.leave(true).catch(() => {});
        },
      });
    } else this.link.attach(room);
    const link = this.link;
    try {
      await waitFor(`${this.id} first state`, () => !link.switching && this.#own() !== undefined);
    } catch (err) {
      // Seated but no state yet (a loaded machine): leave, or the next try finds the ship seated here.
      await link.room.leave(true).catch(() => {});
      if (link.room !== room) await room.leave(true).catch(() => {});
      throw err;
    }
    this.#see();
    return link.room;
  }

  /** The pilot's own ship as its current room shows it (undefined while only a ghost is shown). */
  #own() {
    const s = regionView(this.link?.room)?.ships.get(this.id);
    return s && s.ghost !== true ? s : undefined;
  }

  #see() {
    const s = this.#own();
    const last = this.screens.at(-1);
    if (s && (last?.credits !== s.credits || last.cargo !== s.cargo))
      this.screens.push({ at: Date.now(), credits: s.credits, cargo: s.cargo });
  }

  /** Losing the room the link is in is losing the connection; leaving one behind in a handoff is not. */
  #watch(room: SdkRoom) {
    room.onLeave((code) => {
      if (this.link?.room !== room) return;
      this.closeCodes.push(code);
      this.#lost();
    });
  }

  fly() {
    const loop = this.loop;
    this.#timer = setInterval(() => {
      const link = this.link;
      const s = regionView(link?.room)?.ships.get(this.id);
      if (!link || !s || this.dropped) return;
      this.#see();
      this.lastTick = Math.max(this.lastTick, regionView(link.room)!.tick);
      let target = loop[this.#w % loop.length]!;
      if (Math.hypot(target.x - s.x, target.y - s.y) < 80) target = loop[++this.#w % loop.length]!;
      const want = Math.atan2(target.y - s.y, target.x - s.x);
      const diff = Math.atan2(Math.sin(want - s.heading), Math.cos(want - s.heading));
      try {
        this.lastSeq = link.send({ thrust: 0.5, turn: Math.max(-1, Math.min(1, diff * 3)), fire: false });
      } catch {
        // the socket is closing: the reconnect below takes over
      }
    }, 50);
  }

  /** Stops steering and sends a last input with the engine off, staying seated (the ship coasts to a stop). */
  halt() {
    clearInterval(this.#timer);
    try {
      if (this.link && !this.dropped) this.lastSeq = this.link.send({ thrust: 0, turn: 0, fire: false });
    } catch {
      // closing: nothing to stop
    }
  }

  stop() {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.link?.close();
    this.link?.room.leave(true).catch(() => {});
  }

  #lost() {
    if (this.dropped) return;
    this.dropped = true;
    this.droppedAt = Date.now();
    this.tickAtDrop = Math.max(this.lastTick, regionView(this.link?.room)?.tick ?? 0);
    void this.#reconnect();
  }

  async #reconnect() {
    // A player does not give up: it keeps trying (backoff capped) until the test stops it.
    for (let attempt = 0; !this.#stopped; attempt++) {
      await new Promise((r) => setTimeout(r, backoffMs(attempt, this.backoff)));
      for (const url of await this.urls()) {
        if (this.#stopped) return;
        this.tries++;
        try {
          const room = await this.join(url);
          this.rejoinedAt = Date.now();
          this.restoredAck = regionView(room)!.ships.get(this.id)!.ack;
          this.restoredAcks.push(this.restoredAck);
          this.resumedTick = regionView(room)!.tick;
          this.dropped = false;
          this.link!.resend();
          const moving = async () => {
            await waitFor(
              `${this.id} moves again`,
              () => (regionView(this.link?.room)?.ships.get(this.id)?.ack ?? 0) > this.restoredAck,
              20_000,
            );
            this.resumedAt = Date.now();
          };
          void moving().catch(() => {});
          return;
        } catch (err) {
          // not restored yet (503), or not this zone: next
          this.lastError = String(err);
        }
      }
    }
  }
}

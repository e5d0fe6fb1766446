// The zone under benchmark, in its own process so the 200 clients' decoding does not run on the
// zone's event loop. Embedded wiring (in-process presence, driver and directory), the real fixed
// timestep. Bots' ships are pre-placed at random points of the region. Talks to crowd.ts over
// stdin/stdout: prints {"port"} when listening; answers "stats" with exact tick-duration quantiles
// since the previous "stats" and the process's memory ("stats gc": after a garbage collection, when
// started with --expose-gc).
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { getHeapSpaceStatistics } from "node:v8";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import {
  createLogger,
  createTokenVerifier,
  LocalRegionDirectory,
  LocalShipOwnership,
  loadConfig,
  MemoryShipRepository,
  regionBounds,
} from "@starlane/shared";
import type { JSONWebKeySet } from "jose";
import { zoneConfig } from "../src/config.js";
import { InputQueue } from "../src/input.js";
import { Mirror } from "../src/mirror.js";
import { createZoneServer } from "../src/server.js";

const env = process.env;
const config = loadConfig(zoneConfig, {
  ...env,
  STARLANE_ZONE_PORT: "0",
  STARLANE_ZONE_REGIONS: env.BENCH_REGIONS ?? "1-1",
  STARLANE_LOG_LEVEL: "warn",
  // One zone, nobody to take over: on a machine loaded by other work a stall past the default
  // lease's fence (1.5 s) would close every bot with 4106 and fail the step for a reason that is not
  // what the step measures (a slow tick fails it anyway). As in the zone's tests, a long lease.
  STARLANE_ZONE_LEASE_TTL_MS: env.STARLANE_ZONE_LEASE_TTL_MS ?? "30000",
});
const bots = Number(env.BENCH_CLIENTS ?? 200);
const jwks = JSON.parse(env.BENCH_JWKS ?? "{}") as JSONWebKeySet;

// Deterministic placement so both runs start from the same crowd.
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const ships = new MemoryShipRepository();
const b = regionBounds(
  { width: config.worldWidth, height: config.worldHeight, cols: config.regionCols, rows: config.regionRows },
  { col: 1, row: 1 },
);
for (let i = 0; i < bots; i++) {
  ships.put({
    playerId: `bot-${i}`,
    x: b.minX + 100 + rand() * (b.maxX - b.minX - 200),
    y: b.minY + 100 + rand() * (b.maxY - b.minY - 200),
    vx: 0,
    vy: 0,
    heading: rand() * Math.PI * 2,
    hull: 100,
    cargo: 0,
    credits: 0,
  });
}

const zone = createZoneServer(
  {
    // stdout is the stats protocol: logs go to stderr.
    log: createLogger("zone", "warn", process.stderr),
    verifier: createTokenVerifier({ keys: jwks }),
    directory: new LocalRegionDirectory(),
    presence: new LocalPresence(),
    driver: new LocalDriver(),
    ships,
    ownership: new LocalShipOwnership(),
  },
  config,
);
const { port } = await zone.listen();

let durations: number[] = [];
const room = zone.room("region-1-1")!;
const tick = room.tick.bind(room);
let tickStart = -1;
// The last ticks' times (ms since the epoch, comparable across processes on this machine): the frame
// tick number, when the tick began, and when its send began and ended. "ticks" prints them (the
// bench matches the observers' samples to them: where input-to-observer time went).
const epoch = (t: number) => performance.timeOrigin + t;
const tickTimes: number[][] = [];
let sendAt = [0, 0];
room.tick = (dt?: number) => {
  const t = (tickStart = performance.now());
  sendAt = [0, 0];
  tick(dt);
  tickStart = -1;
  durations.push(performance.now() - t);
  tickTimes.push([room.sim.tick, epoch(t), epoch(sendAt[0]!), epoch(sendAt[1]!)]);
  if (tickTimes.length > 4096) tickTimes.splice(0, 1024);
};
// Where a tick's time goes, summed between two "stats": the mirror's update (wire states, cells) and
// its send (cell bytes, per-client frames, socket writes); the rest of the tick is the rules and glue.
// With the process's CPU time over the same span (CPU per tick is far steadier than wall-clock
// quantiles on a shared machine). For the input-to-observer breakdown: how long each applied input
// waited in its queue for a tick, and when in its tick the send began and ended (the frames leave
// between the two, in the order of the clients).
const phases = { sync: 0, send: 0 };
let sendStart: number[] = [];
let sendEnd: number[] = [];
for (const name of ["sync", "send"] as const) {
  const f = Mirror.prototype[name] as (...a: unknown[]) => unknown;
  (Mirror.prototype as unknown as Record<string, unknown>)[name] = function (this: Mirror, ...a: unknown[]) {
    const t = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      const end = performance.now();
      phases[name] += end - t;
      if (name === "send" && tickStart >= 0) {
        sendStart.push(t - tickStart);
        sendEnd.push(end - tickStart);
        sendAt = [t, end];
      }
    }
  };
}
// When each observer's input reached the room's handler (ms since the epoch), by "ship:seq": the
// bench splits an observer sample's wait for its tick into the way here and the wait in the queue.
// The bench names how many observers there are (BENCH_OBSERVERS): ships bot-0 .. bot-(n-1).
const arrivals = new Map<string, number>();
const OBSERVED = new Set(Array.from({ length: Number(env.BENCH_OBSERVERS ?? 0) }, (_, i) => `bot-${i}`));
const inputHandlers = (
  room as unknown as { onMessageEvents: { events: Record<string, ((...a: unknown[]) => void)[]> } }
).onMessageEvents.events.input;
for (const [i, handler] of (inputHandlers ?? []).entries()) {
  inputHandlers![i] = (client, msg, ...rest) => {
    const sub = (client as { auth?: { sub?: string } }).auth?.sub;
    if (sub && OBSERVED.has(sub) && arrivals.size < 200_000)
      arrivals.set(`${sub}:${(msg as { seq?: number })?.seq}`, epoch(performance.now()));
    handler(client, msg, ...rest);
  };
}
const queuedAt = new WeakMap<object, number>();
let inputWait: number[] = [];
const { push, shift } = InputQueue.prototype;
InputQueue.prototype.push = function (this: InputQueue, input) {
  const r = push.call(this, input);
  // One input in 8 is timed (by sequence number): timing all 10,000/s at 1,000 bots cost 0.57 ms
  // of CPU per tick in the profile, bookkeeping of this bench's own that the stock room does not carry.
  if (r === "queued" && input.seq % 8 === 0) queuedAt.set(input, performance.now());
  return r;
};
InputQueue.prototype.shift = function (this: InputQueue) {
  const input = shift.call(this);
  const at = input && input.seq % 8 === 0 ? queuedAt.get(input) : undefined;
  if (at !== undefined) inputWait.push(performance.now() - at);
  return input;
};
// Resident memory by kind of mapping (Linux): malloc's brk heap, anonymous mappings (V8's heap pages,
// large mallocs, thread stacks) and file-backed (code, shared libraries).
function residentByKind(): Record<string, number> {
  const out: Record<string, number> = { brk: 0, anon: 0, file: 0 };
  let kind = "anon";
  try {
    for (const l of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
      const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(l);
      if (m) kind = m[1] === "[heap]" ? "brk" : m[1]?.startsWith("/") ? "file" : "anon";
      else if (l.startsWith("Rss:")) out[kind] = (out[kind] ?? 0) + Number(l.split(/\s+/)[1]) * 1024;
    }
  } catch {}
  return out;
}
// Garbage collections since the previous "stats": count and ms by kind (minor: scavenges).
const GC_KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weak", 16: "minor" };
const gcs: Record<string, number> = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? "other";
    gcs[kind] = (gcs[kind] ?? 0) + 1;
    gcs[`${kind}Ms`] = (gcs[`${kind}Ms`] ?? 0) + e.duration;
  }
}).observe({ entryTypes: ["gc"] });
// STARLANE_BENCH_ALLOC_PROF=<dir>: a sampling profile of every allocation (collected ones included)
// over the process's life, written to <dir> when it quits (what the tick allocates; a .heapprofile).
const allocProf = env.STARLANE_BENCH_ALLOC_PROF ? new Session() : null;
if (allocProf) {
  allocProf.connect();
  await allocProf.post("HeapProfiler.startSampling", {
    samplingInterval: 32768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as object);
}
let cpu = process.cpuUsage();
let wall = performance.now();

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stats" || line === "stats gc") {
    let rssFirst = 0;
    if (line === "stats gc") {
      (globalThis as { gc?: () => void }).gc?.();
      rssFirst = process.memoryUsage.rss();
      // V8 gives the pages a collection freed back to the system from a background thread: read
      // the memory once that is done (a reading at once counted ~10 MB of freed pages at 1,000 bots).
      await new Promise((r) => setTimeout(r, Number(env.STARLANE_BENCH_GC_SETTLE_MS ?? 250)));
    }
    const sorted = durations.sort((x, y) => x - y);
    durations = [];
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics()
        .filter((sp) => sp.space_size > 0)
        .map((sp) => [sp.space_name.replace(/_space$/, ""), sp.space_size]),
    );
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    const tickMs = sorted.reduce((a, d) => a + d, 0);
    const quantiles = (xs: number[]) => {
      xs.sort((x, y) => x - y);
      return { p50: q(xs, 0.5), p99: q(xs, 0.99), n: xs.length };
    };
    const latency = { inputWait: quantiles(inputWait), sendStart: quantiles(sendStart), sendEnd: quantiles(sendEnd) };
    inputWait = [];
    sendStart = [];
    sendEnd = [];
    process.stdout.write(
      `${JSON.stringify({ ticks: sorted.length, p50: q(sorted, 0.5), p99: q(sorted, 0.99), max: sorted.at(-1) ?? 0, clients: room.seats, rss, heapUsed, heapTotal, external, arrayBuffers, spaces, resident: residentByKind(), rssFirst, gcs: { ...gcs }, latency, cpuMs: (used.user + used.system) / 1000, wallMs: now - wall, tickMs, syncMs: phases.sync, sendMs: phases.send })}\n`,
    );
    cpu = process.cpuUsage();
    wall = now;
    phases.sync = phases.send = 0;
    for (const k of Object.keys(gcs)) delete gcs[k];
  } else if (line === "ticks") {
    process.stdout.write(`${JSON.stringify({ ticks: tickTimes, arrivals: Object.fromEntries(arrivals) })}\n`);
    arrivals.clear();
  } else if (line === "quit") {
    break;
  }
}
if (allocProf) {
  const { profile } = (await allocProf.post("HeapProfiler.stopSampling")) as { profile: unknown };
  writeFileSync(`${env.STARLANE_BENCH_ALLOC_PROF}/zone-${process.pid}.heapprofile`, JSON.stringify(profile));
}
await zone.close();
process.exit(0);

// The zone under benchmark, in its own process so the 200 clients' decoding does not run on the
// zone's event loop. Embedded wiring (in-process presence, driver and directory), the real fixed
// timestep. Bots' ships are pre-placed at random points of the region. Talks to crowd.ts over
// stdin/stdout: prints {"port"} when listening; answers "stats" with exact tick-duration quantiles
// since the previous "stats" and the process's memory ("stats gc": after a garbage collection, when
// started with --expose-gc).
import { createInterface } from "node:readline";
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
room.tick = (dt?: number) => {
  const t = performance.now();
  tick(dt);
  durations.push(performance.now() - t);
};
// Where a tick's time goes, summed between two "stats": the mirror's update (wire states, cells) and
// its send (cell bytes, per-client frames, socket writes); the rest of the tick is the rules and glue.
// With the process's CPU time over the same span (CPU per tick is far steadier than wall-clock
// quantiles on a shared machine).
const phases = { sync: 0, send: 0 };
for (const name of ["sync", "send"] as const) {
  const f = Mirror.prototype[name] as (...a: unknown[]) => unknown;
  (Mirror.prototype as unknown as Record<string, unknown>)[name] = function (this: Mirror, ...a: unknown[]) {
    const t = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      phases[name] += performance.now() - t;
    }
  };
}
let cpu = process.cpuUsage();
let wall = performance.now();

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ port })}\n`);
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
      `${JSON.stringify({ ticks: sorted.length, p50: q(sorted, 0.5), p99: q(sorted, 0.99), max: sorted.at(-1) ?? 0, clients: room.seats, rss, heapUsed, cpuMs: (used.user + used.system) / 1000, wallMs: now - wall, tickMs, syncMs: phases.sync, sendMs: phases.send })}\n`,
    );
    cpu = process.cpuUsage();
    wall = now;
    phases.sync = phases.send = 0;
  } else if (line === "quit") {
    break;
  }
}
await zone.close();
process.exit(0);

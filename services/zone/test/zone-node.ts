// A cluster zone process for the cross-process handoff tests and the handoff benchmark: Redis
// presence, driver, region directory and ship ownership under one key prefix, the real fixed
// timestep. Prints {"port"} once listening. Every 25 ms it checks the ownership invariants against
// Redis for the ships named in ZONE_WATCH (comma-separated):
// - "two": a room simulating a ship as its owner while the record names another room or version;
// - "none": the record names one of our rooms and that room does not have the ship.
// Answers "stats" on stdin with those counts and the handoff timings; "quit" closes it.
import { createInterface } from "node:readline";
import { createRegionFencing, migratePersistence } from "@starlane/persistence";
import {
  connectPostgres,
  connectRedis,
  createLogger,
  createTokenVerifier,
  loadConfig,
  MemoryShipRepository,
  RedisRegionDirectory,
  RedisRegionSnapshots,
  RedisShipOwnership,
} from "@starlane/shared";
import type { JSONWebKeySet } from "jose";
import { zoneConfig } from "../src/config.js";
import { PrefixedRedisPresence, prefixedRedisDriver } from "../src/presence.js";
import { createZoneServer } from "../src/server.js";

const env = process.env;
const prefix = env.ZONE_PREFIX ?? "starlane:t:node:";
const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Handoff tests keep their regions (no takeover, a long lease); failover tests set their own.
const config = loadConfig(zoneConfig, {
  STARLANE_ZONE_PORT: "0",
  STARLANE_LOG_LEVEL: "warn",
  STARLANE_ZONE_TAKEOVER: "false",
  STARLANE_ZONE_LEASE_TTL_MS: "30000",
  ...env,
});
const redis = await connectRedis(redisUrl);
const ownership = new RedisShipOwnership(redis, { prefix });
const ships = new MemoryShipRepository();
for (const s of JSON.parse(env.ZONE_SHIPS ?? "[]")) ships.put(s);
// With ZONE_DATABASE_URL, regions are fenced in PostgreSQL (epochs floored by region_epochs).
const db = env.ZONE_DATABASE_URL ? await connectPostgres(env.ZONE_DATABASE_URL, { max: 2 }) : undefined;
if (db) await migratePersistence(db);
const zone = createZoneServer(
  {
    log: createLogger("zone", config.logLevel),
    verifier: createTokenVerifier({ keys: JSON.parse(env.ZONE_JWKS ?? "{}") as JSONWebKeySet }),
    // Leases on their own connection, as in main.ts.
    directory: new RedisRegionDirectory(await connectRedis(redisUrl), { prefix }),
    presence: new PrefixedRedisPresence(redisUrl, prefix),
    driver: prefixedRedisDriver(redisUrl, prefix),
    ships,
    ownership,
    snapshots: new RedisRegionSnapshots(redis, { prefix }),
    ...(db ? { fencing: createRegionFencing(db) } : {}),
  },
  config,
);
const { port } = await zone.listen();

const watch = (env.ZONE_WATCH ?? "").split(",").filter(Boolean);
const violations = { two: 0, none: 0, unrecorded: 0, samples: 0 };
const detail: string[] = [];
const sample = async () => {
  for (const id of watch) {
    const rooms = zone
      .regions()
      .map((r) => zone.room(r.region))
      .filter((r) => r !== undefined);
    const before = rooms.map((r) => ({
      room: r,
      owns: r.owns(id),
      has: r.sim.ships.has(id),
      version: r.versionOf(id),
    }));
    const rec = await ownership.get(id);
    violations.samples++;
    for (const b of before) {
      // Only judge a room whose view of the ship did not change while Redis answered.
      if (b.room.owns(id) !== b.owns || b.room.sim.ships.has(id) !== b.has || b.room.versionOf(id) !== b.version)
        continue;
      // No record at all is Redis having lost it (restarted empty), not a second owner: counted apart.
      if (b.owns && rec === null) {
        violations.unrecorded++;
        continue;
      }
      if (b.owns && (rec?.region !== b.room.roomId || rec.version !== b.version)) {
        violations.two++;
        detail.push(`two: ${id} in ${b.room.roomId} v${b.version}, record ${JSON.stringify(rec)}`);
      }
      if (rec?.region === b.room.roomId && !b.has) {
        violations.none++;
        detail.push(`none: ${id} record ${JSON.stringify(rec)}, not in the room`);
      }
    }
  }
};
const sampler = setInterval(() => void sample().catch(() => {}), 25);

// The region detector: every 5 ms (a quarter of a tick at 20 Hz) it reads when each held room last
// acted on a tick; the intervals [first, last] (wall ms) per region and epoch let the test check
// that no two processes ever acted on one region at the same time.
const acted = new Map<string, { region: string; epoch: number; first: number; last: number; tick: number }>();
const detector = setInterval(() => {
  for (const { region, epoch } of zone.regions()) {
    const room = zone.room(region);
    if (!room || room.lastTickAt === 0) continue;
    // The room stamps each tick it acts on: a sample after a freeze sees the stamp from before it.
    const at = room.lastTickAt;
    const key = `${region}@${epoch}`;
    const a = acted.get(key);
    if (!a) acted.set(key, { region, epoch, first: at, last: at, tick: room.sim.tick });
    else if (a.tick !== room.sim.tick) {
      a.last = Math.max(a.last, at);
      a.tick = room.sim.tick;
    }
  }
}, 5);

process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stats") {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    process.stdout.write(
      `${JSON.stringify({ ...violations, detail: detail.slice(0, 5), metrics: text, acted: [...acted.values()], regions: zone.regions() })}\n`,
    );
  } else if (line === "quit") {
    break;
  }
}
clearInterval(sampler);
clearInterval(detector);
await zone.close();
redis.disconnect();
await db?.end();
process.exit(0);

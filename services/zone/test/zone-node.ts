// A cluster zone process for the cross-process handoff tests and the handoff benchmark: Redis
// presence, driver, region directory and ship ownership under one key prefix, the real fixed
// timestep. Prints {"port"} once listening. Every 25 ms it checks the ownership invariants against
// Redis for the ships named in ZONE_WATCH (comma-separated):
// - "two": a room simulating a ship as its owner while the record names another room or version;
// - "none": the record names one of our rooms and that room does not have the ship.
// Answers "stats" on stdin with those counts, the handoff timings and every copy of a watched ship it holds; "quit" closes it. With
// ZONE_DATABASE_URL, ships, the ledger and region fencing are PostgreSQL's (persistence's tables),
// and "trade <roomId> <json>" makes a trade desk call on that room (RegionRoom.trade) from this
// process, printing the answer (the economy tests race accepts from two processes with it).
// ZONE_LEDGER_MAX_BATCH / _BATCHES: operations per ledger transaction and transactions at once (1 / 8:
// one transaction per operation, up to the pool's 8 at once, as before group commit: the trades
// benchmark's comparison).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createInterface } from "node:readline";
import { matchMaker } from "@colyseus/core";
import { createLedger, createRegionFencing, createShipRepository, migratePersistence } from "@starlane/persistence";
import {
  allRegions,
  connectPostgres,
  connectRedis,
  createLogger,
  createRedisShipPublisher,
  createTokenVerifier,
  type Ledger,
  loadConfig,
  MemoryShipRepository,
  RedisRegionDirectory,
  RedisRegionSnapshots,
  RedisRelocationBoard,
  RedisShipOwnership,
  RedisZoneStatusBoard,
  regionRoomId,
  worldFromConfig,
} from "@starlane/shared";
import type { JSONWebKeySet } from "jose";
import { callAnyRoom } from "../src/call-room.js";
import { zoneConfig } from "../src/config.js";
import { PrefixedRedisPresence, prefixedRedisDriver } from "../src/presence.js";
import { createZoneServer } from "../src/server.js";
import { startZoneStatus } from "../src/status.js";

const env = process.env;
const prefix = env.ZONE_PREFIX ?? "starlane:t:node:";
const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Test fleets connect many players from 127.0.0.1: the per-address caps are off (zone-edge.test.ts
// tests them). Handoff tests keep their regions (no takeover, a long lease); failover tests set their own.
const config = loadConfig(zoneConfig, {
  STARLANE_ZONE_PORT: "0",
  STARLANE_LOG_LEVEL: "warn",
  STARLANE_ZONE_MAX_CONNECTIONS_PER_IP: "0",
  STARLANE_ZONE_UPGRADES_PER_IP_PER_S: "0",
  STARLANE_ZONE_TAKEOVER: "false",
  STARLANE_ZONE_LEASE_TTL_MS: "30000",
  ...env,
});
const redis = await connectRedis(redisUrl);
const ownership = new RedisShipOwnership(redis, { prefix });
const memory = new MemoryShipRepository();
for (const s of JSON.parse(env.ZONE_SHIPS ?? "[]")) memory.put(s);
const db = env.ZONE_DATABASE_URL ? await connectPostgres(env.ZONE_DATABASE_URL, { max: 8 }) : undefined;
// Migrations are idempotent: a failover test gives the zones a fresh database.
if (db) await migratePersistence(db);
// "lose <n>": the next n ledger answers are lost after the ledger committed (a connection dropped
// after COMMIT): the zone must retry with the same key and apply the operation once.
let lose = 0;
const losing = (ledger: Ledger): Ledger => {
  const after =
    <A, R>(f: (a: A) => Promise<R>) =>
    async (a: A) => {
      const r = await f(a);
      if (lose > 0) {
        lose--;
        throw new Error("connection terminated after COMMIT");
      }
      return r;
    };
  return {
    sell: after((r) => ledger.sell(r)),
    buy: after((r) => ledger.buy(r)),
    trade: after((r) => ledger.trade(r)),
    settled: (k) => ledger.settled(k),
  };
};
const stores = db
  ? {
      ships: createShipRepository(db),
      ledger: losing(
        createLedger(db, {
          maxBatch: Number(env.ZONE_LEDGER_MAX_BATCH ?? 64),
          maxBatches: Number(env.ZONE_LEDGER_MAX_BATCHES ?? 2),
        }),
      ),
      fencing: createRegionFencing(db),
    }
  : {};
// ZONE_WRITE_BEHIND=true: ship states go to the write-behind stream under the prefix (a persistence
// process with STARLANE_KEY_PREFIX=<prefix> writes them to ZONE_DATABASE_URL), as main.ts does.
const publisher = env.ZONE_WRITE_BEHIND === "true" ? createRedisShipPublisher(redis, { prefix }) : undefined;
const board = new RedisZoneStatusBoard(redis, { prefix });
const zone = createZoneServer(
  {
    log: createLogger("zone", config.logLevel),
    verifier: createTokenVerifier({ keys: JSON.parse(env.ZONE_JWKS ?? "{}") as JSONWebKeySet }),
    // Leases on their own connection, as in main.ts.
    directory: new RedisRegionDirectory(await connectRedis(redisUrl), { prefix }),
    presence: new PrefixedRedisPresence(redisUrl, prefix),
    driver: prefixedRedisDriver(redisUrl, prefix),
    ships: memory,
    ownership,
    snapshots: new RedisRegionSnapshots(redis, { prefix }),
    // Status reports, as in main.ts: every live zone counts in a takeover's fair share.
    zones: board,
    relocations: new RedisRelocationBoard(redis, { prefix }),
    ...stores,
    ...(publisher ? { publisher } : {}),
  },
  config,
);
const { port, address } = await zone.listen();
// What zonectl reads (status, and the zone names drain and move take) and what takeovers count
// (every live zone), as main.ts publishes it.
const status = startZoneStatus(zone, board, {
  ...(env.STARLANE_ZONE_NAME ? { name: env.STARLANE_ZONE_NAME } : {}),
  address,
  leaseTtlMs: config.leaseTtlMs,
  intervalMs: 250,
  log: createLogger("zone", config.logLevel),
});
// ZONE_CPU_PROFILE=<file>: a CPU profile of this process from here to "quit" (benchmarks).
const profiler = env.ZONE_CPU_PROFILE ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}

const watch = (env.ZONE_WATCH ?? "").split(",").filter(Boolean);
const violations = { two: 0, none: 0, unrecorded: 0, samples: 0, fencedDuringRead: 0 };
const detail: string[] = [];
const sample = async () => {
  for (const id of watch) {
    // Only a room that may act is an owner: a zone waking from a freeze drops its rooms at its
    // first check, and a room past its fence never ticks, saves or hands off meanwhile.
    const rooms = zone
      .regions()
      .filter((r) => zone.acting(r.region))
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
      // Only judge a room whose view of the ship did not change while Redis answered, and that may
      // still act now: a process stalled while the read was out (a loaded host) can come back past
      // its fence, and another zone may have taken the region over meanwhile. That room stopped
      // acting before the lease could expire, so the newer record is no second owner. A room that
      // acts both before and after the read was acting when the record was read.
      if (!zone.acting(b.room.roomId)) {
        violations.fencedDuringRead++;
        continue;
      }
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

// The region rooms open in this process (whatever its leases say): a twin room would show here.
const world = worldFromConfig(config);
const openRooms = () =>
  allRegions(world)
    .map(regionRoomId)
    .filter((r) => zone.room(r) !== undefined);

process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stats") {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // Every copy of a watched ship this process simulates (owner or not), room by room.
    const held = zone.regions().flatMap(({ region }) => {
      const room = zone.room(region);
      if (!room) return [];
      return watch
        .filter((id) => room.sim.ships.has(id))
        .map((id) => ({
          room: region,
          id,
          owns: room.owns(id),
          version: room.versionOf(id),
          acting: zone.acting(region),
        }));
    });
    process.stdout.write(
      `${JSON.stringify({ ...violations, detail: detail.slice(0, 5), metrics: text, acted: [...acted.values()], regions: zone.regions(), rooms: openRooms(), processId: matchMaker.processId, held })}\n`,
    );
  } else if (line.startsWith("lose ")) {
    lose += Number(line.slice(5));
    process.stdout.write(`${JSON.stringify({ lose })}\n`);
  } else if (line.startsWith("trade ")) {
    const [, roomId, json] = /^trade (\S+) (.*)$/.exec(line) ?? [];
    const answer = await callAnyRoom(roomId!, "trade", [JSON.parse(json!)], 5000).catch((err: Error) => ({
      failed: err.message,
    }));
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  } else if (line === "quit") {
    break;
  }
}
clearInterval(sampler);
clearInterval(detector);
if (profiler) {
  const { profile } = await profiler.post("Profiler.stop");
  writeFileSync(env.ZONE_CPU_PROFILE!, JSON.stringify(profile));
}
await status.stop();
await zone.close();
await publisher?.close();
await db?.end();
redis.disconnect();
process.exit(0);

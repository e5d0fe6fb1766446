// The cluster wiring: RedisPresence, RedisDriver and the Redis RegionDirectory (each with this
// test's own key prefix). The zone claims its region in Redis, players join through matchmaking
// and play, and closing releases the region.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import {
  connectRedis,
  createLogger,
  loadConfig,
  MemoryShipRepository,
  RedisRegionDirectory,
  RedisShipOwnership,
  regionKeys,
} from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { zoneConfig } from "../src/config.js";
import { PrefixedRedisPresence, prefixedRedisDriver } from "../src/presence.js";
import { createZoneServer, type ZoneServer } from "../src/server.js";
import { testTokens } from "./tokens.js";

const prefix = testRedisPrefix();
let redis: Redis;
let server: ZoneServer;
let port: number;
let directory: RedisRegionDirectory;
const tokens = await testTokens();

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
  directory = new RedisRegionDirectory(redis, { prefix });
  server = createZoneServer(
    {
      log: createLogger("zone", "silent"),
      verifier: tokens.verifier,
      directory,
      presence: new PrefixedRedisPresence(TEST_REDIS_URL, prefix),
      driver: prefixedRedisDriver(TEST_REDIS_URL, prefix),
      ships: new MemoryShipRepository(),
      ownership: new RedisShipOwnership(redis, { prefix }),
    },
    loadConfig(zoneConfig, { STARLANE_ZONE_PORT: "0", STARLANE_ZONE_REGIONS: "0-1", STARLANE_ZONE_ID: "zone-redis" }),
  );
  ({ port } = await server.listen());
});

after(async () => {
  await server.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test("cluster wiring: the region is claimed in Redis, a player joins and flies on the real tick", async () => {
  assert.deepEqual(await directory.owner("region-0-1"), {
    zoneId: server.zoneId,
    address: `127.0.0.1:${port}`,
    epoch: 1,
  });
  const client = new Client(`http://127.0.0.1:${port}`);
  client.auth.token = await tokens.sign({ sub: "redis-pilot" });
  const room = await client.joinById<{ tick: number; ships: Map<string, { x: number; ack: number }> }>(
    "region-0-1",
    {},
  );
  attachRegion(room, { self: "redis-pilot" });
  const view = () => regionView(room)!;
  await waitFor("state", () => regionView(room)?.ships.get("redis-pilot"));
  const x0 = view().ships.get("redis-pilot")!.x;
  // The real fixed timestep runs here (no step()): wait for it to apply the inputs.
  let seq = 0;
  await waitFor(
    "the ship to fly",
    () => {
      room.send("input", { seq: ++seq, thrust: 1, turn: 0, fire: false });
      const s = view().ships.get("redis-pilot")!;
      return s.ack > 0 && s.x > x0;
    },
    5000,
    50,
  );
  const t0 = view().tick;
  await waitFor("ticks at about 20 Hz", () => view().tick >= t0 + 10, 3000);
  await room.leave(true);
});

test("close releases the region in Redis", async () => {
  await server.close();
  assert.equal(await redis.exists(regionKeys(prefix, "region-0-1").owner), 0);
  assert.equal(
    await redis.get(regionKeys(prefix, "region-0-1").epoch),
    "1",
    "the epoch stays, so the next claim is higher",
  );
});

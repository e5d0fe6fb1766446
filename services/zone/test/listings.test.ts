// Room listings after a takeover: the successor's listing of a region survives the sweep of the dead
// process, the lost room's own removal and a woken room's client-count updates (the real Redis).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { IRoomCache } from "@colyseus/core";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { ownListingsOnly } from "../src/listings.js";
import { prefixedRedisDriver } from "../src/presence.js";

const prefix = testRedisPrefix();
const redis = await connectRedis(TEST_REDIS_URL);
const raw = prefixedRedisDriver(TEST_REDIS_URL, prefix);
// This test plays the process of a room that gets lost ("me"); `serving` is the zone's current room
// listing per region.
const me = "lost-proc";
const serving = new Map<string, IRoomCache>();
const driver = ownListingsOnly(raw, { current: (id) => serving.get(id), closing: () => false }, () => me);

after(async () => {
  await redis.del(`${prefix}roomcaches`);
  redis.disconnect();
  await raw.shutdown();
});

const listing = (roomId: string, processId: string, clients = 0): IRoomCache =>
  ({ roomId, processId, name: "region", clients, locked: false, maxClients: 100 }) as unknown as IRoomCache;
const owner = async (roomId: string) => {
  const json = await redis.hget(`${prefix}roomcaches`, roomId);
  return json ? (JSON.parse(json) as IRoomCache) : null;
};

test("a sweep of a dead process removes its listings, never a successor's written after the sweep read them", async () => {
  await redis.hset(`${prefix}roomcaches`, "region-1-1", JSON.stringify(listing("region-1-1", "dead")));
  await redis.hset(`${prefix}roomcaches`, "region-2-1", JSON.stringify(listing("region-2-1", "dead")));
  const query = raw.query.bind(raw);
  // The successor lists region-1-1 just after the sweep has read the dead process's listings.
  raw.query = async (conditions) => {
    const found = await query(conditions);
    await redis.hset(`${prefix}roomcaches`, "region-1-1", JSON.stringify(listing("region-1-1", "successor")));
    return found;
  };
  try {
    await driver.cleanup?.("dead");
  } finally {
    raw.query = query;
  }
  assert.equal((await owner("region-1-1"))?.processId, "successor");
  assert.equal(await owner("region-2-1"), null);
});

test("a lost room neither removes nor rewrites its successor's listing; while it serves, it updates its own", async () => {
  const mine = listing("region-3-3", me, 5);
  serving.set("region-3-3", mine);
  assert.equal(await driver.persist(mine, true), true);
  assert.equal(await driver.update(mine, { $inc: { clients: 1 } }), true);
  assert.equal((await owner("region-3-3"))?.clients, 6);

  // Taken over: the successor listed the region on its process.
  await redis.hset(`${prefix}roomcaches`, "region-3-3", JSON.stringify(listing("region-3-3", "successor", 0)));
  // Still believing it serves the region (a frozen process not yet checked): the owner check refuses.
  assert.equal(await driver.update(mine, { $inc: { clients: -1 } }), false);
  serving.delete("region-3-3");
  assert.equal(await driver.remove("region-3-3"), false);
  assert.equal(await driver.update(mine, { $inc: { clients: -1 } }), false);
  assert.equal(await driver.persist(mine, false), false);
  const now = await owner("region-3-3");
  assert.equal(now?.processId, "successor");
  assert.equal(now?.clients, 0);
});

test("a region lost and reopened on the same process: the old room's disposal and updates leave the new listing", async () => {
  const old = listing("region-0-3", me, 3);
  serving.set("region-0-3", old);
  assert.equal(await driver.persist(old, true), true);
  // Lost, then taken over again by this same process: a new room, a new listing.
  const reopened = listing("region-0-3", me, 0);
  serving.set("region-0-3", reopened);
  assert.equal(await driver.persist(reopened, true), true);
  assert.equal(await driver.update(old, { $inc: { clients: -1 } }), false, "the old room's count stays its own");
  assert.equal(await driver.remove("region-0-3"), false, "the old room's disposal leaves the listing");
  assert.equal((await owner("region-0-3"))?.clients, 0);
  // The current room closes (nothing serves the region here): its listing goes.
  serving.delete("region-0-3");
  assert.equal(await driver.remove("region-0-3"), true);
  assert.equal(await owner("region-0-3"), null);
});

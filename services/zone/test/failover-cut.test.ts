// Failover across real zone processes: one zone cut off from Redis only (a TCP proxy the test cuts,
// then restores; its presence, listings, leases and snapshots all go through it). It fences itself
// before its lease can expire, the other zone takes the region over and every bot flies again with
// no input applied twice; restored, the cut-off zone holds nothing, wrote no snapshot over the new
// owner's, and the region's room listing stays the new owner's. Ships are PostgreSQL rows: what the
// ledger committed before the cut (sales) is on every screen and account after it. The detectors (each zone checks the
// ship records every 25 ms and records when it acted on each region) find no second owner.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { counter, LOOP_1_1 as LOOP, ownerFirst, Pilot, startNode, type ZoneNode } from "./cluster.js";
import { accountsDatabase, assertHoldingsKept, commitBeforeFault, openAccountsBesideStation } from "./holdings.js";
import { testTokens } from "./tokens.js";

const tokens = await testTokens();
let redis: Redis;
const prefix = testRedisPrefix();
const REGION = "region-1-1";
// As failover-cluster.test.ts: short for a quick test, long enough not to fence a live zone under load.
const env = { STARLANE_ZONE_TAKEOVER: "true", STARLANE_ZONE_LEASE_TTL_MS: "3000", STARLANE_ZONE_SNAPSHOT_MS: "250" };
const nodes: ZoneNode[] = [];

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
});

after(async () => {
  for (const n of nodes) await n.quit();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/**
 * A TCP proxy to the test Redis that the test can cut: cut() drops every open connection and holds
 * new ones unanswered (a partition: renewals hang, as they would on a dead link); restore() lets
 * connections through again.
 */
async function redisProxy() {
  const target = new URL(TEST_REDIS_URL);
  const open = new Set<Socket>();
  let cutOff = false;
  const server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => {});
    if (cutOff) return; // held: nothing goes through until restore() drops it
    const upstream = connect(Number(target.port || 6379), target.hostname);
    open.add(upstream);
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => {});
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const drop = () => {
    for (const s of open) s.destroy();
  };
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut() {
      cutOff = true;
      drop();
    },
    restore() {
      cutOff = false;
      drop();
    },
    close: () => {
      drop();
      server.close();
    },
  };
}

test("a zone cut off from Redis only fences itself before its lease expires; the other zone takes over; restored, it writes nothing", async () => {
  const proxy = await redisProxy();
  const ids = ["cut-0", "cut-1", "cut-2"];
  // Ships are rows beside the station with ore and credits; both zones use the same PostgreSQL (zone a
  // is cut from Redis only).
  const database = await accountsDatabase();
  await openAccountsBesideStation(database.pool, REGION, ids);
  const withDb = { ...env, ZONE_DATABASE_URL: database.url };
  // Zone a reaches Redis (leases, presence, listings, snapshots) only through the proxy.
  const a = await startNode({
    prefix,
    regions: "1-1",
    jwks: tokens.jwks,
    watch: ids,
    env: { ...withDb, REDIS_URL: proxy.url },
  });
  const b = await startNode({ prefix, regions: "2-1", jwks: tokens.jwks, watch: ids, env: withDb });
  nodes.push(a, b);
  const pilots = ids.map((id) => new Pilot(id, REGION, LOOP, tokens, () => ownerFirst(redis, prefix, REGION, [a, b])));
  try {
    for (const p of pilots) await p.join(a.url);
    const committed = await commitBeforeFault(database.pool, pilots);
    for (const p of pilots) p.fly();
    await waitFor("the bots are flying", () => pilots.every((p) => (p.link?.ack ?? 0) > 10), 15_000);
    await new Promise((r) => setTimeout(r, 600));
    const epochBefore = (await a.stats()).regions.find((r) => r.region === REGION)!.epoch;
    const cutAt = Date.now();
    proxy.cut();
    await waitFor("every bot to fly again on the other zone", () => pilots.every((p) => p.resumedAt > 0), 30_000);
    proxy.restore();
    // Give the reconnected zone time to do whatever it would do.
    await new Promise((r) => setTimeout(r, 2500));
    const [sa, sb] = [await a.stats(), await b.stats()];
    const mine = sa.acted.filter((x) => x.region === REGION);
    const theirs = sb.acted.filter((x) => x.region === REGION);
    assert.ok(mine.length === 1 && theirs.length === 1, JSON.stringify({ mine, theirs }));
    assert.ok(theirs[0]!.epoch > epochBefore);
    assert.ok(
      mine[0]!.last < theirs[0]!.first,
      `no overlap: the cut-off zone's last tick ${mine[0]!.last} is before the new owner's first ${theirs[0]!.first}`,
    );
    assert.ok(mine[0]!.last - cutAt < 3000, "it stopped acting before its lease (3 s) could expire");
    assert.deepEqual(
      sa.regions.filter((r) => r.region === REGION),
      [],
      "restored, the cut-off zone does not hold the region",
    );
    assert.ok(counter(sa.metrics, "starlane_zone_regions_lost_total") >= 1);
    assert.equal(Number(await redis.hget(`${prefix}region:${REGION}:snapshot`, "epoch")), theirs[0]!.epoch);
    assert.equal(sa.two + sb.two, 0, [...sa.detail, ...sb.detail].join("\n"));
    const applied = counter(sb.metrics, "starlane_zone_inputs_applied_total", `region="${REGION}"`);
    const fresh = pilots.reduce((n, p) => n + (p.lastSeq - p.restoredAck), 0);
    assert.ok(applied <= fresh, `applied ${applied} <= sent above the restored acks ${fresh}`);
    // Its rooms' disposal and the sweep of its process left the new owner's listing alone.
    const listings = await redis.hgetall(`${prefix}roomcaches`);
    const processOf = (id: string) => (JSON.parse(listings[id] ?? "{}") as { processId?: string }).processId;
    assert.ok(processOf(REGION), "the region is listed");
    assert.equal(processOf(REGION), processOf("region-2-1"), "the region's listing is the new owner's");
    // The cut-off zone, restored, wrote nothing over the accounts either.
    await assertHoldingsKept(database.pool, pilots, committed, cutAt);
  } finally {
    for (const p of pilots) p.stop();
    for (const n of nodes) await n.quit();
    proxy.close();
    await database.drop();
  }
});

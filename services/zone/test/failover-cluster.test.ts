// Failover across real zone processes sharing the local Redis under this test's prefix:
// - kill -9 of the zone holding a region with bots flying in it: the other zone notices the expired
//   lease, claims the region, restores its snapshot and opens the room; every bot comes back by
//   itself (full-jitter backoff), flies again, and no re-sent input is applied twice; no ship has
//   two owners (each zone's detector checks the records every 25 ms);
// - SIGSTOP of a zone past its lease, then SIGCONT: the other zone takes the region over, and the
//   woken zone knows it lost the region: it never ticks it again and writes no snapshot over the
//   new owner's (the region detector samples each process every 5 ms);
// - Redis restarted empty (its own redis-server): the zones lose their leases, claim their regions
//   again at epochs above every earlier one (floored by PostgreSQL's region_epochs), the bots fly again.
// - in the kill -9 case, a seat the dead zone reserved and a reconnection token from its room, replayed
//   at the new owner, are refused with documented codes and make no second ship.
// In each, ships are PostgreSQL rows (the ledger's accounts); half the players sell their hold through
// the ledger before the fault, and after it every screen and account shows exactly what was committed
// (holdings.ts). (A zone cut off from Redis only: failover-cut.test.ts; handoffs in flight across the
// dead zone's border: failover-border.test.ts.) The long version with many bots is `npm run bench -- --only failover`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { counter, LOOP_1_1 as LOOP, Pilot, startNode, type ZoneNode } from "./cluster.js";
import { accountsDatabase, assertHoldingsKept, commitBeforeFault, openAccountsBesideStation } from "./holdings.js";
import { testTokens } from "./tokens.js";

const tokens = await testTokens();
let redis: Redis;
const nodes: ZoneNode[] = [];
const prefixes: string[] = [];
const REGION = "region-1-1";
// Short enough for a quick test, long enough that a loaded test machine does not fence a live zone.
const env = { STARLANE_ZONE_TAKEOVER: "true", STARLANE_ZONE_LEASE_TTL_MS: "3000", STARLANE_ZONE_SNAPSHOT_MS: "250" };

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
});

after(async () => {
  for (const n of nodes) {
    n.kill("SIGCONT");
    await n.quit();
  }
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  for (const d of databases) await d.drop();
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });

const databases: { drop(): Promise<void> }[] = [];

/** A database whose accounts are the players' ships beside the region's station, with ore and credits. */
async function withAccounts(ids: string[]) {
  const database = await accountsDatabase();
  databases.push(database);
  await openAccountsBesideStation(database.pool, REGION, ids);
  return database;
}

async function start(prefix: string, regions: string, databaseUrl: string, watch: string[] = []) {
  const n = await startNode({
    prefix,
    regions,
    jwks: tokens.jwks,
    watch,
    env: { ...env, ZONE_DATABASE_URL: databaseUrl },
  });
  nodes.push(n);
  return n;
}

test("kill -9 of a zone: the other zone takes its region over from the snapshot and every bot flies again", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const ids = Array.from({ length: 6 }, (_, i) => `kill-${i}`);
  const database = await withAccounts(ids);
  const a = await start(prefix, "1-1", database.url, ids);
  const b = await start(prefix, "2-1", database.url, ids);
  let alive = [b];
  const pilots = ids.map((id) => new Pilot(id, REGION, LOOP, tokens, () => alive.map((n) => n.url)));
  for (const p of pilots) await p.join(a.url);
  const committed = await commitBeforeFault(database.pool, pilots);
  for (const p of pilots) p.fly();
  // Let a few snapshots be written while they fly.
  await waitFor("the bots are flying", () => pilots.every((p) => (p.link?.ack ?? 0) > 10), 15_000);
  await new Promise((r) => setTimeout(r, 600));
  // What a client could replay after the crash: a seat the dead zone reserved (never used) and a
  // pilot's reconnection token from the dead room.
  const seat = await fetch(`${a.url}/matchmake/joinById/${REGION}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${await tokens.sign({ sub: ids[0]!, name: ids[0]! })}`,
    },
    body: "{}",
  }).then((r) => r.json() as Promise<Record<string, unknown>>);
  assert.equal(typeof seat.sessionId, "string", JSON.stringify(seat));
  const oldToken = pilots[0]!.link!.room.reconnectionToken;
  const killedAt = Date.now();
  a.kill("SIGKILL");
  let stats: Awaited<ReturnType<ZoneNode["stats"]>>;
  try {
    await waitFor("every bot to fly again", () => pilots.every((p) => p.resumedAt > 0), 30_000);
    // Replayed at the new owner of the restored region: the dead zone's seat is refused when the
    // socket opens (Colyseus's MATCHMAKE_EXPIRED 524, then close 4002: re-enter), its reconnection token at matchmaking
    // (403 STARLANE_ERR_ROOM_CREATION_REFUSED); neither makes a second copy of the ship.
    const replay = new Client(b.url);
    await assert.rejects(
      replay.consumeSeatReservation(seat as never),
      (err: { code?: number; message?: string }) =>
        err.code === 524 && /seat reservation expired/.test(String(err.message)),
    );
    await assert.rejects(replay.reconnect(oldToken), /STARLANE_ERR_ROOM_CREATION_REFUSED/);
    const ack = pilots[0]!.link!.ack;
    await waitFor(
      "the replayed player's ship still flies under its own pilot",
      () => pilots[0]!.link!.ack > ack + 5,
      10_000,
    );
    stats = await b.stats();
    await assertHoldingsKept(database.pool, pilots, committed, killedAt);
  } finally {
    for (const p of pilots) p.stop();
    alive = [];
  }
  const resumes = pilots.map((p) => (p.resumedAt - killedAt) / 1000);
  assert.ok(
    stats.regions.some((r) => r.region === REGION),
    "the survivor serves the dead zone's region",
  );
  assert.equal(counter(stats.metrics, "starlane_zone_takeovers_total"), 1);
  assert.equal(stats.two, 0, stats.detail.join("\n"));
  assert.equal(stats.none, 0, stats.detail.join("\n"));
  for (const p of pilots) assert.ok(p.restoredAck > 0, `${p.id} was restored from the snapshot (ack ${p.restoredAck})`);
  // At most once: the survivor applied no more inputs than were sent above each restored ack.
  const applied = counter(stats.metrics, "starlane_zone_inputs_applied_total", `region="${REGION}"`);
  const fresh = pilots.reduce((n, p) => n + (p.lastSeq - p.restoredAck), 0);
  assert.ok(applied <= fresh, `applied ${applied} <= sent above the restored acks ${fresh}`);
  console.log(`# kill -9: resume ${resumes.map((s) => s.toFixed(2)).join(" ")} s; applied ${applied} of ${fresh}`);
});

test("SIGSTOP past the lease, then SIGCONT: the region is taken over and the woken zone never acts on it again", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const ids = ["stop-0", "stop-1"];
  const database = await withAccounts(ids);
  const a = await start(prefix, "1-1", database.url, ids);
  const b = await start(prefix, "2-1", database.url, ids);
  let alive = [b];
  const pilots = ids.map((id) => new Pilot(id, REGION, LOOP, tokens, () => alive.map((n) => n.url)));
  for (const p of pilots) await p.join(a.url);
  const committed = await commitBeforeFault(database.pool, pilots);
  for (const p of pilots) p.fly();
  await waitFor("the bots are flying", () => pilots.every((p) => (p.link?.ack ?? 0) > 10), 15_000);
  await new Promise((r) => setTimeout(r, 600));
  const before = await a.stats();
  const epochBefore = before.regions.find((r) => r.region === REGION)!.epoch;
  let sa: Awaited<ReturnType<ZoneNode["stats"]>>;
  let sb: typeof sa;
  const stoppedAt = Date.now();
  try {
    a.kill("SIGSTOP");
    await waitFor(
      "the other zone to take the region over",
      async () => (await b.stats()).regions.some((r) => r.region === REGION),
      20_000,
    );
    a.kill("SIGCONT");
    await waitFor("every bot to fly again", () => pilots.every((p) => p.resumedAt > 0), 30_000).catch(async (err) => {
      const state = pilots.map((p) => ({
        id: p.id,
        dropped: p.dropped,
        ack: p.link?.ack,
        restoredAck: p.restoredAck,
        error: p.lastError,
      }));
      const listings = await redis.hgetall(`${prefix}roomcaches`);
      throw new Error(
        `${err.message}: ${JSON.stringify(state)} ${JSON.stringify(listings)} ${JSON.stringify((await b.stats()).regions)}`,
      );
    });
    // Give the woken zone time to do whatever it would do.
    await new Promise((r) => setTimeout(r, 1500));
    [sa, sb] = [await a.stats(), await b.stats()];
    // The woken zone wrote nothing over the accounts either.
    await assertHoldingsKept(database.pool, pilots, committed, stoppedAt);
  } finally {
    a.kill("SIGCONT");
    for (const p of pilots) p.stop();
    alive = [];
  }
  assert.deepEqual(sa.regions, [], "the woken zone holds nothing");
  const mine = sa.acted.filter((x) => x.region === REGION);
  const theirs = sb.acted.filter((x) => x.region === REGION);
  assert.ok(theirs.length === 1 && mine.length === 1, JSON.stringify({ mine, theirs }));
  assert.ok(theirs[0]!.epoch > epochBefore);
  assert.ok(
    mine[0]!.last < theirs[0]!.first,
    `no overlap: the woken zone's last tick ${mine[0]!.last} is before the new owner's first ${theirs[0]!.first}`,
  );
  // Its lease lapsed on its own clock: it fenced itself and wrote no snapshot over the new owner's.
  assert.ok(counter(sa.metrics, "starlane_zone_regions_lost_total") >= 1);
  assert.equal(counter(sa.metrics, "starlane_zone_stale_writes_refused_total"), 0, "it did not even try");
  assert.equal(Number(await redis.hget(`${prefix}region:${REGION}:snapshot`, "epoch")), theirs[0]!.epoch);
  assert.equal(sb.two + sa.two, 0, [...sa.detail, ...sb.detail].join("\n"));
});

test("Redis restarted empty: the zones claim their regions again above every earlier epoch and the bots fly again", async () => {
  const port = await freePort();
  const startRedis = () =>
    spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
  let server = startRedis();
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    "own redis-server",
    () =>
      connectRedis(url).then(
        (r) => {
          r.disconnect();
          return true;
        },
        () => false,
      ),
    10_000,
  );
  const prefix = testRedisPrefix();
  const ids = ["flush-0", "flush-1", "flush-2"];
  const database = await withAccounts(ids);
  const own = { ...env, REDIS_URL: url, ZONE_DATABASE_URL: database.url };
  const a = await startNode({ prefix, regions: "1-1", jwks: tokens.jwks, watch: ids, env: own });
  const b = await startNode({ prefix, regions: "2-1", jwks: tokens.jwks, watch: ids, env: own });
  nodes.push(a, b);
  let alive = [a, b];
  const pilots = ids.map((id) => new Pilot(id, REGION, LOOP, tokens, () => alive.map((n) => n.url)));
  try {
    for (const p of pilots) await p.join(a.url);
    const committed = await commitBeforeFault(database.pool, pilots);
    for (const p of pilots) p.fly();
    await waitFor("the bots are flying", () => pilots.every((p) => (p.link?.ack ?? 0) > 10), 15_000);
    const before = [...(await a.stats()).regions, ...(await b.stats()).regions];
    const flushedAt = Date.now();
    server.kill("SIGKILL");
    await once(server, "exit");
    server = startRedis();
    await waitFor("every bot to fly again", () => pilots.every((p) => p.resumedAt > 0), 45_000);
    // Each zone finds out at its next renewal (refused: the lease is gone) and claims again.
    await waitFor(
      "every region held again above its old epoch (floored by PostgreSQL)",
      async () => {
        const after = [...(await a.stats()).regions, ...(await b.stats()).regions];
        return before.every((r) => after.some((x) => x.region === r.region && x.epoch > r.epoch));
      },
      20_000,
    );
    const [sa, sb] = [await a.stats(), await b.stats()];
    for (const mine of sa.acted) {
      for (const theirs of sb.acted) {
        const overlap = mine.region === theirs.region && mine.first <= theirs.last && theirs.first <= mine.last;
        assert.ok(!overlap, `two acting owners of ${mine.region}`);
      }
    }
    assert.equal(sa.two + sb.two, 0, [...sa.detail, ...sb.detail].join("\n"));
    await assertHoldingsKept(database.pool, pilots, committed, flushedAt);
  } finally {
    for (const p of pilots) p.stop();
    alive = [];
    await a.quit();
    await b.quit();
    server.kill("SIGKILL");
  }
});

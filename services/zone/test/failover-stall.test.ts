// No twin rooms for one region, even when a claimer stalls in the middle of restoring it. Three zone
// processes on Redis and PostgreSQL: the victim holds region-1-1 with bots flying in it, two others
// hold a region each and take over. The test holds the region's row in region_epochs locked, so the
// first zone to claim the dead region is stuck inside its claim (fencing PostgreSQL at its new epoch,
// before the snapshot is loaded or the room opens), and freezes that zone there (SIGSTOP) past its
// lease. The lock is let go; the other zone takes the region over when the frozen claim's lease runs
// out and serves the bots. Woken (SIGCONT), the frozen zone finds its claim's time gone: it never
// opens the room, never acts on the region, and the region has one room in the cluster.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { connectPostgres, connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { counter, LOOP_1_1 as LOOP, Pilot, startNode, type ZoneNode } from "./cluster.js";
import { accountsDatabase, assertHoldingsKept, commitBeforeFault, openAccountsBesideStation } from "./holdings.js";
import { testTokens } from "./tokens.js";

const tokens = await testTokens();
const redis = await connectRedis(TEST_REDIS_URL);
const prefix = testRedisPrefix();
const nodes: ZoneNode[] = [];
const database = await accountsDatabase();
const REGION = "region-1-1";
const TTL_MS = 3000;
const env = {
  STARLANE_ZONE_TAKEOVER: "true",
  STARLANE_ZONE_LEASE_TTL_MS: String(TTL_MS),
  STARLANE_ZONE_SNAPSHOT_MS: "250",
  ZONE_DATABASE_URL: database.url,
};

after(async () => {
  for (const n of nodes) {
    n.kill("SIGCONT");
    await n.quit();
  }
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await database.drop();
});

test("a claimer frozen in the middle of restoring never opens the region: the other zone serves it, one room in the cluster", async () => {
  const ids = Array.from({ length: 4 }, (_, i) => `stall-${i}`);
  await openAccountsBesideStation(database.pool, REGION, ids);
  const start = async (regions: string) => {
    const n = await startNode({ prefix, regions, jwks: tokens.jwks, watch: ids, env });
    nodes.push(n);
    return n;
  };
  const victim = await start("1-1");
  const takers = [await start("0-0"), await start("2-2")];
  let alive = takers;
  const pilots = ids.map((id) => new Pilot(id, REGION, LOOP, tokens, () => alive.map((n) => n.url)));
  for (const p of pilots) await p.join(victim.url);
  const committed = await commitBeforeFault(database.pool, pilots);
  for (const p of pilots) p.fly();
  await waitFor("the bots are flying", () => pilots.every((p) => (p.link?.ack ?? 0) > 10), 15_000);
  await new Promise((r) => setTimeout(r, 600));
  const owner = async () => {
    const raw = await redis.get(`${prefix}region:${REGION}:owner`);
    return raw ? (JSON.parse(raw) as { zoneId: string; epoch: number }) : null;
  };
  const dead = (await owner())!;
  const idOf = new Map<ZoneNode, string>();
  for (const t of takers) {
    const m = (await t.stats()).metrics.match(/zone="([^"]+)"/);
    idOf.set(t, m![1]!);
  }

  // Hold the region's epoch row: a claim's fence (INSERT .. ON CONFLICT DO UPDATE) waits for it.
  const lock = await connectPostgres(database.url, { max: 1 });
  const locker = await lock.connect();
  await locker.query("BEGIN");
  await locker.query("SELECT epoch FROM region_epochs WHERE region = $1 FOR UPDATE", [REGION]);
  let frozen: ZoneNode | undefined;
  let claimEpoch = 0;
  let other: ZoneNode | undefined;
  const killedAt = Date.now();
  try {
    // The bots wait until the test knows which zone it froze (a join sent to a zone that is then
    // frozen would hang until SIGCONT).
    alive = [];
    victim.kill("SIGKILL");
    const claim = await waitFor(
      "a zone to claim the dead region",
      async () => {
        const o = await owner();
        return o && o.zoneId !== dead.zoneId ? o : undefined;
      },
      TTL_MS * 4,
      2,
    );
    claimEpoch = claim.epoch;
    frozen = takers.find((t) => idOf.get(t) === claim.zoneId)!;
    other = takers.find((t) => t !== frozen)!;
    assert.ok(frozen, `the claimer ${claim.zoneId} is one of the takers`);
    // Stuck in its fence: the claim is held, the room not open.
    await new Promise((r) => setTimeout(r, 200));
    const mid = await frozen.stats();
    assert.ok(
      mid.regions.some((r) => r.region === REGION),
      "the claimer holds the lease while it restores",
    );
    assert.ok(!mid.rooms.includes(REGION), "the claimer has not opened the room yet (it waits for its fence)");
    frozen.kill("SIGSTOP");
  } finally {
    await locker.query("ROLLBACK");
    locker.release();
    await lock.end();
  }
  alive = [other!];
  const frozenAt = Date.now();
  await waitFor(
    "the other zone to take the region over",
    async () => (await other!.stats()).rooms.includes(REGION),
    TTL_MS * 5,
    100,
  );
  await waitFor("every bot to fly again", () => pilots.every((p) => p.resumedAt > 0), 30_000);
  frozen!.kill("SIGCONT");
  alive = takers;
  // Give the woken zone time to run what it had queued (its fence's answer, the restore's next step).
  await new Promise((r) => setTimeout(r, 1500));
  const woke = await frozen!.stats();
  const served = await other!.stats();
  for (const p of pilots) p.stop();

  assert.ok(!woke.rooms.includes(REGION), `the woken claimer opened no room for ${REGION}`);
  assert.ok(!woke.regions.some((r) => r.region === REGION), "the woken claimer holds no lease for it");
  assert.ok(
    !woke.acted.some((a) => a.region === REGION),
    `the woken claimer never acted on ${REGION}: ${JSON.stringify(woke.acted)}`,
  );
  assert.equal(counter(woke.metrics, "starlane_zone_takeovers_total"), 0, "the woken claimer took nothing over");
  const now = (await owner())!;
  assert.equal(now.zoneId, idOf.get(other!));
  assert.ok(now.epoch > claimEpoch, `epoch ${now.epoch} above the frozen claim's ${claimEpoch}`);
  assert.ok(served.rooms.includes(REGION));
  // The dead region and the frozen zone's own region (its lease ran out too).
  assert.equal(counter(served.metrics, "starlane_zone_takeovers_total"), 2);
  for (const s of [woke, served]) {
    assert.equal(s.two, 0, s.detail.join("\n"));
    assert.equal(s.none, 0, s.detail.join("\n"));
  }
  // The region's listing (where the matchmaker sends a joinById) is the serving zone's room.
  const listing = JSON.parse((await redis.hget(`${prefix}roomcaches`, REGION)) ?? "{}") as { processId?: string };
  assert.equal(listing.processId, served.processId, JSON.stringify(listing));
  await assertHoldingsKept(database.pool, pilots, committed, killedAt);
  console.log(
    `# frozen claimer ${idOf.get(frozen!)} stopped ${frozenAt - killedAt} ms after the kill; survivor ${idOf.get(other!)} at epoch ${now.epoch}; resumes ${pilots.map((p) => ((p.resumedAt - killedAt) / 1000).toFixed(2)).join(" ")} s`,
  );
});

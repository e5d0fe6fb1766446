// Failover while handoffs across the dead zone's border are in flight: two zone processes on Redis and
// PostgreSQL, the victim holding region-1-1 and the survivor region-2-1 (the border at x = 4000).
// Pilots (half of them sold their hold through the ledger first) fly loops across that border, so
// ships go both ways all the time; the victim is killed with -9 the moment one of its ships is past
// the border (its offer to the survivor due or in flight), and the survivor's ships keep crossing
// into the dead region until the survivor takes it over (offers to a dead room). Then: every ship
// ends with exactly one owner (its record in Redis names one room, which simulates it at that
// version; no other room holds it), the detectors find no second owner and no region acted on twice
// at once, every pilot flies again, no input is applied twice in the surviving history, and the
// committed credits and ore are on every screen and account.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectPostgres, connectRedis, RedisShipOwnership } from "@starlane/shared";
import { regionView } from "@starlane/shared/client";
import {
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
  waitFor,
} from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { counter, ownerFirst, Pilot, startNode, type ZoneNode } from "./cluster.js";
import { accounts, assertHoldingsKept, besideStation, type Holdings, openAccount, sellHold } from "./holdings.js";
import { testTokens } from "./tokens.js";

const tokens = await testTokens();
const prefix = testRedisPrefix();
let redis: Redis;
let db: TestDatabase;
let pool: pg.Pool;
const nodes: ZoneNode[] = [];
const VICTIM = "region-1-1";
const SURVIVOR = "region-2-1";
const BORDER = 4000;
// As failover-cluster.test.ts: short for a quick test, long enough not to fence a live zone under load.
const env = () => ({
  ZONE_DATABASE_URL: db.url,
  STARLANE_ZONE_TAKEOVER: "true",
  STARLANE_ZONE_LEASE_TTL_MS: "3000",
  STARLANE_ZONE_SNAPSHOT_MS: "250",
});
// A loop 400 units wide across the border: each ship crosses it about twice every 5 s.
const LOOP = [
  { x: BORDER - 200, y: 2880 },
  { x: BORDER + 200, y: 2880 },
  { x: BORDER + 200, y: 3120 },
  { x: BORDER - 200, y: 3120 },
];

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
  db = await createTestDatabase();
  pool = await connectPostgres(db.url, { max: 4 });
});

after(async () => {
  for (const n of nodes) await n.quit();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await pool.end();
  await db.drop();
});

test("kill -9 while ships cross the dead zone's border both ways: one owner per ship, every pilot flies again, inputs once, credits and ore kept", async () => {
  const victim = await startNode({ prefix, regions: "1-1", jwks: tokens.jwks, env: env() });
  nodes.push(victim);
  const ids = Array.from({ length: 10 }, (_, i) => `border-${i}`);
  const home = (i: number) => (i % 2 ? SURVIVOR : VICTIM);
  // The tables exist once a zone has migrated them.
  for (const [i, id] of ids.entries())
    await openAccount(pool, { id, region: home(i), ...besideStation(home(i), i), cargo: 20 + i, credits: 10 * i });
  const survivor = await startNode({ prefix, regions: "2-1", jwks: tokens.jwks, watch: ids, env: env() });
  nodes.push(survivor);
  let alive = [victim, survivor];
  const ownership = new RedisShipOwnership(redis, { prefix });
  // World entry: the room the ship's ownership record names (its home before it has one).
  const where = (id: string, home: string) => async () => (await ownership.get(id))?.region || home;
  const pilots = ids.map((id, i) => {
    const region = where(id, home(i));
    // Each starts at a different corner of the loop, so crossings are spread out.
    const loop = [...LOOP.slice(i % 4), ...LOOP.slice(0, i % 4)];
    return new Pilot(
      id,
      home(i),
      loop,
      tokens,
      async () => ownerFirst(redis, prefix, await region(), alive),
      undefined,
      region,
    );
  });
  try {
    for (const [i, p] of pilots.entries()) await p.join((home(i) === VICTIM ? victim : survivor).url);
    // Half of them sell their hold through the ledger; the rest keep theirs (a committed hold).
    for (const [i, p] of pilots.entries()) if (i % 4 < 2) await sellHold(p);
    const committed = await accounts(pool, ids);
    // Staggered, so that they do not all reach the border together.
    for (const p of pilots) {
      p.fly();
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 200));
    }
    await waitFor(
      "ships crossing the border both ways",
      () => pilots.filter((p) => (p.link?.handoffs ?? 0) >= 3).length >= ids.length / 2,
      40_000,
    );
    // The moment handoffs are in flight both ways: one of the survivor's ships handed to the victim
    // (its pilot is switching over: the victim took it, quite likely after its last snapshot), and one
    // of the victim's ships past the border and the handoff hysteresis (50), its offer started (a
    // client sees a tick late). After 5 s the first alone will do, after 15 s either.
    const past = () => ({
      west: pilots.filter((p) => p.link!.switching && p.link!.room.roomId === SURVIVOR).length,
      east: pilots.filter(
        (p) => (p.link!.switching && p.link!.room.roomId === VICTIM) || (shown(p, VICTIM) ?? 0) >= BORDER + 50,
      ).length,
    });
    const waited = Date.now();
    const atKill = await waitFor(
      "handoffs in flight",
      () => {
        const n = past();
        const t = Date.now() - waited;
        return (n.west > 0 && (n.east > 0 || t > 5000)) || (t > 15_000 && n.east > 0) ? n : undefined;
      },
      25_000,
      1,
    );
    const killedAt = Date.now();
    victim.kill("SIGKILL");
    alive = [survivor];
    // Inputs the survivor applies from here on are above what each pilot saw acknowledged now (or
    // above its restored ship's ack; see the check below).
    const ackAtKill = new Map(pilots.map((p) => [p.id, p.link!.ack]));
    const before = (await survivor.stats()).metrics;
    const appliedBefore = counter(before, "starlane_zone_inputs_applied_total");
    const switching = pilots.filter((p) => p.link!.switching).length;
    const roomsAtKill = pilots.map(
      (p) =>
        `${p.id}@${p.link!.room.roomId.slice(7)}:${Math.round(regionView(p.link!.room)?.ships.get(p.id)?.x ?? 0)}/${p.link!.handoffs}`,
    );
    // A pilot the kill cut off comes back by itself; one on the survivor's side flies on.
    const flying = (p: Pilot) =>
      p.resumedAt > 0 || (p.droppedAt === 0 && !p.link!.switching && p.link!.ack > ackAtKill.get(p.id)! + 5);
    await waitFor("every pilot to fly again", () => pilots.every(flying), 30_000).catch((err) => {
      const state = pilots.map(
        (p) =>
          `${p.id}: dropped ${p.dropped} at ${p.droppedAt && p.droppedAt - killedAt} rejoined ${p.rejoinedAt && p.rejoinedAt - killedAt} ` +
          `room ${p.link?.room.roomId} switching ${p.link?.switching} ack ${ackAtKill.get(p.id)} -> ${p.link?.ack} restored ${p.restoredAcks} ${p.lastError}`,
      );
      throw new Error(`${err.message}\n${state.join("\n")}`);
    });
    // Fly on across the border (the survivor now holds both sides), then let the ships stop.
    const handoffs = new Map(pilots.map((p) => [p.id, p.link!.handoffs]));
    await waitFor(
      "crossings after the takeover",
      () => pilots.filter((p) => p.link!.handoffs > handoffs.get(p.id)!).length >= ids.length / 2,
      15_000,
    );
    for (const p of pilots) p.halt();
    let last = "";
    const stats = await waitFor(
      "every ship to have exactly one owner",
      async () => {
        const st = await survivor.stats();
        const problems: string[] = [];
        for (const id of ids) {
          const rec = await ownership.get(id);
          const copies = st.held.filter((h) => h.id === id);
          const owner = copies.filter((h) => h.owns && h.acting);
          if (owner.length !== 1 || copies.length !== 1) problems.push(`${id}: ${JSON.stringify(copies)}`);
          else if (rec?.region !== owner[0]!.room || rec.version !== owner[0]!.version)
            problems.push(`${id}: held ${JSON.stringify(owner[0])}, record ${JSON.stringify(rec)}`);
        }
        last = problems.join("; ");
        return problems.length === 0 && st;
      },
      15_000,
    ).catch((err) => {
      throw new Error(`${err.message}: ${last}`);
    });
    // The detectors: no ship with two owners or none, no region acted on by both zones at once.
    assert.equal(stats.two, 0, stats.detail.join("\n"));
    assert.equal(stats.none, 0, stats.detail.join("\n"));
    assert.ok(stats.samples > 100, "the detector ran");
    for (const a of stats.acted.filter((x) => x.region === VICTIM))
      assert.ok(a.first > killedAt, `the survivor acted on ${VICTIM} only after the kill (${a.first - killedAt} ms)`);
    assert.equal(counter(stats.metrics, "starlane_zone_takeovers_total"), 1);
    // At most once: since the kill the survivor applied no more inputs than were sent above what each
    // pilot saw acknowledged at the kill, or above its restored ship's ack if lower (the dead zone's
    // inputs after its snapshot, re-sent). A ship restored from its row starts at ack 0: then at most
    // the 32 inputs a link keeps are re-sent from below the ack at the kill.
    const applied = counter(stats.metrics, "starlane_zone_inputs_applied_total") - appliedBefore;
    const fresh = pilots.reduce((n, p) => {
      const restored = p.restoredAcks.filter((a) => a > 0);
      const fromRow = p.restoredAcks.includes(0) ? 32 : 0;
      return n + p.lastSeq - Math.min(ackAtKill.get(p.id)!, ...restored) + fromRow;
    }, 0);
    assert.ok(applied <= fresh, `applied ${applied} <= sent above the acks ${fresh}`);
    await assertHoldingsKept(pool, pilots, committed as Map<string, Holdings>, killedAt);
    const aborts = (m: string) => counter(m, "starlane_zone_handoffs_aborted_total", `region="${SURVIVOR}"`);
    const toDead = aborts(stats.metrics) - aborts(before);
    console.log(
      `# border kill -9: past the border at the kill ${JSON.stringify(atKill)}, ${switching} pilot(s) switching, ` +
        `${toDead} survivor offers unanswered by the dead zone; dropped inputs ${stats.metrics
          .split("\n")
          .filter((l) => l.startsWith("starlane_zone_inputs_dropped_total{"))
          .map((l) => l.replace(/.*reason="([^"]*)".* (\d+)$/, "$1=$2"))
          .join(",")}; resume ` +
        `${pilots.map((p) => (p.resumedAt ? ((p.resumedAt - killedAt) / 1000).toFixed(2) : "-")).join(" ")} s; applied ${applied} of ${fresh}; ${roomsAtKill.join(" ")}; closes ${pilots.map((p) => p.closeCodes.join("/") || "-").join(" ")}`,
    );
  } finally {
    for (const p of pilots) p.stop();
  }
});

/** Where the pilot's own ship is (x) in room `region` (a ghost does not count); undefined elsewhere. */
function shown(p: Pilot, region: string): number | undefined {
  const link = p.link;
  if (!link || link.switching || link.room.roomId !== region) return undefined;
  const s = regionView(link.room)?.ships.get(p.id);
  return s && s.ghost !== true ? s.x : undefined;
}

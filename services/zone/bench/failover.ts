// Failover benchmark: two zone processes on Redis split the 4x4 world (the victim holds the four
// centre regions, the survivor the twelve others), SDK bots fly loops spread over the victim's
// regions; after a fault-free stretch (takeovers counted: spurious ones) the victim is killed
// with SIGKILL (or frozen with SIGSTOP past its lease, then woken with SIGCONT). The survivor
// takes the regions over from their snapshots; each bot comes back by itself (full-jitter backoff,
// trying the zones it knows) and re-sends its unacknowledged inputs. Prints one JSON line:
// - resume p50/p99 (s): from the fault until the bot's ship moves again under its inputs;
// - movement lost p99 (s): ticks between the last state the bot saw before the fault and the
//   tick it resumed from, over the tick rate;
// - dual owners: ships the zones' detectors saw with two owners, plus regions both processes
//   acted on at overlapping times (SIGSTOP: the woken zone's detector);
// - stale writes accepted: regions whose stored snapshot carries an older epoch than their owner's
//   at the end (a write from the victim accepted after the takeover), plus writes PostgreSQL took
//   under an epoch below the region's fence at that moment: the zones keep ships, the ledger and
//   region fencing in a fresh database, their ship states go through the write-behind stream to a
//   persistence process, and triggers of this run's own (pg-audit.ts) log every ship row and trade
//   written below its region's epoch (refusals are the persistence service's
//   starlane_persistence_rejected_stale_writes_total, also reported);
// - spurious takeovers: takeovers during the fault-free stretch;
// - at most once: inputs the zones applied in the victim's regions after the fault, against what
//   the bots sent above the acks they saw at the fault (or the restored ship's, if lower);
// - holdings: every other bot starts beside its region's station with ore and sells it through the
//   ledger before the calm stretch; after the fault no account and no screen shows other credits
//   or cargo than the ledger committed (holdings.ts; the bots neither mine nor trade meanwhile).
//
//   node --conditions=starlane-source --import tsx services/zone/bench/failover.ts [bots=200] [calmSeconds=60] [kill|stop] [ttlMs=2000] [snapshotMs=500]
import { execSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectRedis } from "@starlane/shared";
import { startService, TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { counter, ownerFirst, Pilot, startNode, type ZoneNode } from "../test/cluster.js";
import { accounts, accountsDatabase, besideStation, holdingsChanged, openAccount, sellHold } from "../test/holdings.js";
import { testTokens } from "../test/tokens.js";
import { auditStaleWrites, staleWritesAccepted } from "./pg-audit.js";

const BOTS = Number(process.argv[2] ?? 200);
const CALM_S = Number(process.argv[3] ?? 60);
const FAULT = (process.argv[4] ?? "kill") as "kill" | "stop";
const TTL_MS = Number(process.argv[5] ?? 2000);
const SNAPSHOT_MS = Number(process.argv[6] ?? 500);
const TICK_HZ = 20;
const VICTIM = ["1-1", "2-1", "1-2", "2-2"];
const SURVIVOR = ["0-0", "1-0", "2-0", "3-0", "0-1", "3-1", "0-2", "3-2", "0-3", "1-3", "2-3", "3-3"];
const tokens = await testTokens();
const redis = await connectRedis(TEST_REDIS_URL);
const prefix = testRedisPrefix();
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};
const pq = (xs: number[]) => [q(xs, 0.5), q(xs, 0.99)];
const load = () =>
  execSync("uptime")
    .toString()
    .trim()
    .replace(/.*load average: /, "");

const env = {
  STARLANE_ZONE_TAKEOVER: "true",
  STARLANE_ZONE_LEASE_TTL_MS: String(TTL_MS),
  STARLANE_ZONE_SNAPSHOT_MS: String(SNAPSHOT_MS),
  STARLANE_TICK_HZ: String(TICK_HZ),
};
const pilots: Pilot[] = [];
const plan: { id: string; region: string; loop: { x: number; y: number }[] }[] = [];
for (let i = 0; i < BOTS; i++) {
  const [col, row] = VICTIM[i % VICTIM.length]!.split("-").map(Number) as [number, number];
  const cx = col * 2000 + 1000;
  const cy = row * 2000 + 1000;
  const r = 250 + ((i * 37) % 500);
  const loop = [
    { x: cx - r, y: cy - r },
    { x: cx + r, y: cy - r },
    { x: cx + r, y: cy + r },
    { x: cx - r, y: cy + r },
  ];
  const id = `fo-${i}`;
  plan.push({ id, region: `region-${col}-${row}`, loop });
}
// A fresh database per run: the players' ships (their accounts), the ledger, the region epochs.
const database = await accountsDatabase();
await auditStaleWrites(database.pool);
// Every other bot starts beside its station with ore to sell (committed before the fault).
const sells = (i: number) => i % 2 === 0;
for (const [i, p] of plan.entries()) {
  const at = sells(i) ? besideStation(p.region, i) : p.loop[0]!;
  await openAccount(database.pool, { id: p.id, region: p.region, ...at, cargo: sells(i) ? 10 : 0, credits: 0 });
}
// Write-behind: the zones publish ship states to this run's stream, persistence writes them (fenced).
const persistence = await startService(
  fileURLToPath(new URL("../../..", import.meta.url)),
  "persistence",
  {
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: database.url,
    STARLANE_KEY_PREFIX: prefix,
    STARLANE_PERSISTENCE_PORT: "0",
    STARLANE_LOG_LEVEL: "info",
  },
  "persistence listening",
);
const withDb = { ...env, ZONE_DATABASE_URL: database.url, ZONE_WRITE_BEHIND: "true" };
const watch = plan.map((p) => p.id);
const victim = await startNode({ prefix, regions: VICTIM.join(","), jwks: tokens.jwks, watch, env: withDb });
const survivor = await startNode({ prefix, regions: SURVIVOR.join(","), jwks: tokens.jwks, watch, env: withDb });
const nodes: ZoneNode[] = [victim, survivor];
// Zones a bot may try: a frozen (SIGSTOP) one would hold its join until SIGCONT, a dead one is gone.
let alive: ZoneNode[] = [victim, survivor];
for (const [i, p] of plan.entries()) {
  // Bots go where world entry would send them (the directory's owner first) and honour its
  // Retry-After (1 s) with full jitter: waits drawn from [0, 1 s].
  const pilot = new Pilot(p.id, p.region, p.loop, tokens, () => ownerFirst(redis, prefix, p.region, alive), {
    baseMs: 250,
    capMs: 1000,
  });
  // A loaded machine can stall a zone past its fence while the fleet joins: try both, a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      await pilot.join(attempt % 4 === 3 ? survivor.url : victim.url);
      break;
    } catch (err) {
      if (attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  if (sells(i)) await sellHold(pilot);
  pilot.fly();
  pilots.push(pilot);
}
const committed = await accounts(database.pool, watch);
const takeovers = async () => {
  let n = 0;
  for (const node of alive) n += counter((await node.stats()).metrics, "starlane_zone_takeovers_total");
  return n;
};
const loadCalm = load();
// Takeovers while the fleet joined (a zone stalled past its fence under load): reported, not hidden.
const t0 = await takeovers();
await new Promise((r) => setTimeout(r, CALM_S * 1000));
const spurious = (await takeovers()) - t0;
const before = await victim.stats();
// Where each victim region's tick and its stored snapshot stood just before the fault.
const atFault: Record<string, [number, number]> = {};
for (const a of before.acted as { region: string; tick?: number }[]) {
  const raw = await redis.hget(`${prefix}region:${a.region}:snapshot`, "data");
  atFault[a.region] = [a.tick ?? -1, raw ? (JSON.parse(raw) as { tick: number }).tick : -1];
}
// Inputs applied in the victim's regions so far, per zone, and what each bot saw acknowledged.
const inVictim = (metrics: string) =>
  VICTIM.reduce((n, r) => n + counter(metrics, "starlane_zone_inputs_applied_total", `region="region-${r}"`), 0);
const appliedBefore = new Map<ZoneNode, number>([
  [victim, inVictim(before.metrics)],
  [survivor, inVictim((await survivor.stats()).metrics)],
]);
const ackAtFault = new Map(pilots.map((p) => [p.id, p.link?.ack ?? 0]));
const faultAt = Date.now();
// The timeline of the takeover, seen from Redis: when each victim region's lease expired (no owner)
// and when the survivor's claim appeared (a new owner), polled every 10 ms.
const expiredAt: Record<string, number> = {};
const claimedAt: Record<string, number> = {};
let polling = true;
const poll = (async () => {
  const victimId = new Map<string, string>();
  for (const r of VICTIM) {
    const raw = await redis.get(`${prefix}region:region-${r}:owner`);
    if (raw) victimId.set(r, (JSON.parse(raw) as { zoneId: string }).zoneId);
  }
  while (polling && Object.keys(claimedAt).length < VICTIM.length) {
    for (const r of VICTIM) {
      if (claimedAt[r]) continue;
      const raw = await redis.get(`${prefix}region:region-${r}:owner`);
      if (!raw) expiredAt[r] ??= Date.now() - faultAt;
      else if ((JSON.parse(raw) as { zoneId: string }).zoneId !== victimId.get(r)) {
        expiredAt[r] ??= Date.now() - faultAt;
        claimedAt[r] = Date.now() - faultAt;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
})();
if (FAULT === "kill") {
  victim.kill("SIGKILL");
  alive = [survivor];
} else {
  victim.kill("SIGSTOP");
  alive = [survivor];
  await waitFor(
    "the survivor to take the regions over",
    async () => (await survivor.stats()).regions.length === 16,
    60_000,
  ).catch(() => {});
  victim.kill("SIGCONT");
  alive = [victim, survivor];
}
await waitFor("every bot to fly again", () => pilots.every((p) => p.resumedAt > 0), 90_000).catch(() => {});
polling = false;
await poll;
const loadFault = load();
await new Promise((r) => setTimeout(r, 1500));
const resumed = pilots.filter((p) => p.resumedAt > 0);
// A bot that never came back counts as never (Infinity: the percentile is written as null, not
// flattered by leaving it out).
const resumeS = pilots.map((p) => (p.resumedAt > 0 ? (p.resumedAt - faultAt) / 1000 : Number.POSITIVE_INFINITY));
const lostS = resumed.map((p) => Math.max(0, p.tickAtDrop - p.resumedTick) / TICK_HZ);
const ss = await survivor.stats();
const sv = FAULT === "stop" ? await victim.stats() : before;
// At most once: applied since the fault (both zones for SIGSTOP: the woken one may serve again) no
// more than sent above each bot's ack at the fault, or its restored ship's if lower; a ship restored
// from its row (ack 0) gets at most the 32 inputs its link re-sends from below the ack at the fault.
const applied =
  inVictim(ss.metrics) -
  appliedBefore.get(survivor)! +
  (FAULT === "stop" ? inVictim(sv.metrics) - appliedBefore.get(victim)! : 0);
const bound = resumed.reduce((n, p) => {
  const restored = p.restoredAcks.filter((a) => a > 0);
  return n + p.lastSeq - Math.min(ackAtFault.get(p.id)!, ...restored) + (p.restoredAcks.includes(0) ? 32 : 0);
}, 0);
const changed = await holdingsChanged(database.pool, pilots, committed, faultAt);
// Regions both processes acted on at overlapping times (the victim's data: its last stats).
let overlaps = 0;
for (const mine of sv.acted) {
  for (const theirs of ss.acted) {
    if (mine.region === theirs.region && mine.first <= theirs.last && theirs.first <= mine.last) overlaps++;
  }
}
let stale = 0;
for (const r of ss.regions) {
  const stored = Number(await redis.hget(`${prefix}region:${r.region}:snapshot`, "epoch"));
  if (stored && stored < r.epoch) stale++;
}
// Give write-behind a moment to drain what the zones published, then read what PostgreSQL took.
await new Promise((r) => setTimeout(r, 2000));
const pgStale = await staleWritesAccepted(database.pool);
const persistenceMetrics = await (await fetch(`http://127.0.0.1:${persistence.ready.port}/metrics`)).text();
const { rows: written } = await database.pool.query<{ n: string }>(
  "SELECT count(*) AS n FROM characters WHERE version > 0",
);
const result = {
  fault: FAULT,
  bots: BOTS,
  ttlMs: TTL_MS,
  snapshotMs: SNAPSHOT_MS,
  calmSeconds: CALM_S,
  resumed: resumed.length,
  resumeP50S: Number.isFinite(q(resumeS, 0.5)) ? +q(resumeS, 0.5).toFixed(2) : null,
  resumeP99S: Number.isFinite(q(resumeS, 0.99)) ? +q(resumeS, 0.99).toFixed(2) : null,
  movementLostP50S: +q(lostS, 0.5).toFixed(2),
  movementLostP99S: +q(lostS, 0.99).toFixed(2),
  dualOwners: ss.two + (FAULT === "stop" ? sv.two : 0) + overlaps,
  dualOwnersBreakdown: {
    survivorShips: ss.two,
    victimShips: FAULT === "stop" ? sv.two : 0,
    regionOverlaps: overlaps,
    // Not counted: the room was fenced while the detector read the record (a stalled host).
    fencedDuringRead: ss.fencedDuringRead + (FAULT === "stop" ? sv.fencedDuringRead : 0),
  },
  staleWritesAccepted: stale + pgStale.shipRows + pgStale.trades,
  staleWritesBreakdown: {
    redisSnapshots: stale,
    postgresShipRows: pgStale.shipRows,
    postgresTrades: pgStale.trades,
    postgresRefused: counter(persistenceMetrics, "starlane_persistence_rejected_stale_writes_total"),
    shipRowsWritten: Number(written[0]!.n),
  },
  spuriousTakeovers: spurious,
  inputsAppliedAfterFault: applied,
  inputsBound: bound,
  inputsOverBound: Math.max(0, applied - bound),
  holdingsChanged: changed.length,
  holdingsChangedFirst: changed.slice(0, 3),
  sellers: plan.filter((_, i) => sells(i)).length,
  takeoversWhileJoining: t0,
  takeovers: counter(ss.metrics, "starlane_zone_takeovers_total"),
  restoreSecondsSum: +counter(ss.metrics, "starlane_zone_restore_duration_seconds_sum").toFixed(3),
  loadCalm,
  loadFault,
  // Where the time goes (ms from the fault): lease gone and claim seen in Redis per region; per bot
  // (p50 / p99): the drop noticed, the first successful re-join, from re-join to moving again, tries.
  timeline: {
    leaseGoneMs: expiredAt,
    claimedMs: claimedAt,
    droppedMs: pq(resumed.map((p) => p.droppedAt - faultAt)),
    firstJoinPerRegionMs: Object.fromEntries(
      VICTIM.map((r) => {
        const at = resumed.filter((p) => p.region === `region-${r}`).map((p) => p.rejoinedAt - faultAt);
        return [r, at.length ? Math.min(...at) : null];
      }),
    ),
    rejoinedMs: pq(resumed.map((p) => p.rejoinedAt - faultAt)),
    rejoinToMovingMs: pq(resumed.map((p) => p.resumedAt - p.rejoinedAt)),
    tries: pq(pilots.map((p) => p.tries)),
  },
  atFault,
  // Why the bots that never came back did not (their last join error), counted.
  notBack: pilots
    .filter((p) => p.resumedAt === 0)
    .reduce<Record<string, number>>((n, p) => {
      const key = `${p.region}: ${p.lastError.slice(0, 80) || (p.dropped ? "no error" : "never dropped")}`;
      n[key] = (n[key] ?? 0) + 1;
      return n;
    }, {}),
};
for (const p of pilots) p.stop();
alive = [];
for (const n of nodes) {
  n.kill("SIGCONT");
  await n.quit();
}
persistence.child.kill("SIGTERM");
await new Promise((r) => persistence.child.once("exit", r));
await database.drop();
const keys = await redis.keys(`${prefix}*`);
if (keys.length > 0) await redis.del(...keys);
console.log(JSON.stringify(result));
redis.disconnect();
process.exit(0);

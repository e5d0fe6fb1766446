// Trades benchmark: bots trading in pairs across the x = 4000 border, each pair one ship in a west
// region (one zone process) and one in the east region beside it (another zone process), Redis
// between them and one PostgreSQL ledger (durability settings as configured: fsync and
// synchronous_commit stay on). Each pair trades one at a time: the west bot offers (1 ore for 3
// credits, sides alternating), the east bot accepts as soon as the offer shows, the west bot offers
// again once told it committed. Reported: trades committed per second, the ledger commit latency
// (the home zone's histogram, and the east player's accept -> `tradeClosed` exact samples), and
// conservation checks once everything settled:
// - credits and ore summed over all accounts equal what they started at (trades only move them);
// - every committed trade's ledger rows sum to zero, and the ledger holds exactly the trades the
//   players were told were committed;
// - every player's screen shows its account.
// Baselines in the same run: the same pairs across the border with one ledger transaction per trade
// (no group commit), and with both ships in one room of one process. Each trade's time is split
// into the offer's trip (west sends it -> east shows it) and the accept's (east accepts -> told
// committed), the ledger's share of that from the home zone's histogram.
//
//   node --conditions=starlane-source --import tsx services/zone/bench/trades.ts [pairs=50] [seconds=15]
import { Client, type Room } from "@colyseus/sdk";
import { createShipRepository, migratePersistence } from "@starlane/persistence";
import { ClientMessage, connectPostgres, connectRedis, ServerMessage } from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { startNode, type ZoneNode } from "../test/cluster.js";
import type { RegionView } from "../test/harness.js";
import { testTokens } from "../test/tokens.js";

const PAIRS = Number(process.argv[2] ?? 50);
const SECONDS = Number(process.argv[3] ?? 15);
const START = { credits: 1000, cargo: 1000 };
const tokens = await testTokens();
const redis = await connectRedis(TEST_REDIS_URL);

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};

/** The p-quantile of a Prometheus histogram (summed over its series), as the upper bound of its bucket. */
function histogramQuantile(text: string, name: string, match: string, p: number): number {
  const buckets = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(match)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le) continue;
    const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  return sorted.find(([, n]) => n >= p * total)?.[0] ?? Number.NaN;
}

interface Seat {
  id: string;
  room: Room<unknown, RegionView>;
}

/** Close codes of the seats the zone closed during the current run (4101: over the message rate limit). */
const closes = new Map<number, number>();
let running = false;

async function seat(url: string, id: string, region: string): Promise<Seat> {
  const client = new Client(url);
  client.auth.token = await tokens.sign({ sub: id, name: id });
  // Hundreds of joins at once can find the ship store saturated (503): a client tries again.
  let room: Room<unknown, RegionView> | undefined;
  for (let attempt = 1; !room; attempt++) {
    room = await client.joinById<RegionView>(region, {}).catch((err: { code?: number }) => {
      if (err.code !== 503 || attempt >= 20) throw err;
      return new Promise<undefined>((r) => setTimeout(() => r(undefined), 250 * attempt));
    });
  }
  room.reconnection.maxRetries = 0;
  // A seat the zone closes stops seeing updates: its screen then counts as a mismatch. Say why.
  room.onLeave((code: number) => {
    if (running) closes.set(code, (closes.get(code) ?? 0) + 1);
  });
  attachRegion(room, { self: id });
  await waitFor(`${id} first state`, () => regionView(room)?.ships.has(id), 30_000);
  return { id, room };
}

async function run(mode: "cluster" | "cluster-per-op" | "same-room") {
  const prefix = testRedisPrefix();
  const db = await createTestDatabase();
  const pool = await connectPostgres(db.url, { max: 4 });
  await migratePersistence(pool);
  const repo = createShipRepository(pool);
  // TRADES_PROFILE=<dir>: each zone process writes a CPU profile there (west.cpuprofile, east.cpuprofile).
  const profile = process.env.TRADES_PROFILE;
  const env = (side: string) => ({
    ZONE_DATABASE_URL: db.url,
    STARLANE_LOG_LEVEL: "error",
    // The comparison: one ledger transaction per trade (no group commit).
    ...(mode === "cluster-per-op" ? { ZONE_LEDGER_MAX_BATCH: "1", ZONE_LEDGER_MAX_BATCHES: "8" } : {}),
    ...(profile ? { ZONE_CPU_PROFILE: `${profile}/${side}.cpuprofile` } : {}),
  });
  const row = (i: number) => i % 4;
  const y = (i: number) => row(i) * 2000 + 200 + ((i * 37) % 1600);
  const pairs = Array.from({ length: PAIRS }, (_, i) => ({
    west: { id: `tw-${i}`, x: 3900, y: y(i), region: `region-1-${row(i)}` },
    east:
      mode !== "same-room"
        ? { id: `te-${i}`, x: 4100, y: y(i), region: `region-2-${row(i)}` }
        : { id: `te-${i}`, x: 3850, y: y(i), region: `region-1-${row(i)}` },
  }));
  for (const p of pairs) {
    for (const s of [p.west, p.east])
      await repo.createAtSpawn(s.id, s.id, { region: s.region, x: s.x, y: s.y, ...START });
  }
  const nodes: ZoneNode[] = [
    await startNode({ prefix, regions: "1-0,1-1,1-2,1-3", jwks: tokens.jwks, env: env("west") }),
    ...(mode !== "same-room"
      ? [await startNode({ prefix, regions: "2-0,2-1,2-2,2-3", jwks: tokens.jwks, env: env("east") })]
      : []),
  ];
  const east = nodes.at(-1)!;
  const seats = await Promise.all(
    pairs.map(async (p) => ({
      west: await seat(nodes[0]!.url, p.west.id, p.west.region),
      east: await seat(east.url, p.east.id, p.east.region),
    })),
  );

  running = true;
  closes.clear();
  let committed = 0;
  let inFlight = 0;
  const refused = new Map<string, number>();
  const acceptMs: number[] = [];
  /** West sends the offer -> the east player sees it (the offer's trip through both zones and Redis). */
  const offerMs: number[] = [];
  /** West sends the offer -> west told it committed (one whole trade). */
  const cycleMs: number[] = [];
  const told = new Set<string>();
  const loops = seats.map(({ west, east }, i) => {
    let side: "sell" | "buy" = i % 2 ? "sell" : "buy";
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    let sentAt = 0;
    const offer = () => {
      if (!running) return done();
      side = side === "sell" ? "buy" : "sell";
      inFlight++;
      sentAt = performance.now();
      west.room.send(ClientMessage.TradeOffer, { to: east.id, side, ore: 1, credits: 3 });
    };
    const accepted = new Map<string, number>();
    east.room.onMessage(ServerMessage.TradeOffered, (m: { id: string; from: string }) => {
      if (m.from !== west.id) return;
      offerMs.push(performance.now() - sentAt);
      accepted.set(m.id, performance.now());
      east.room.send(ClientMessage.TradeAccept, { id: m.id });
    });
    east.room.onMessage(ServerMessage.TradeClosed, (m: { id: string; outcome: string }) => {
      const t = accepted.get(m.id);
      if (t !== undefined && m.outcome === "committed") acceptMs.push(performance.now() - t);
      accepted.delete(m.id);
    });
    west.room.onMessage(ServerMessage.TradeOffered, () => {});
    west.room.onMessage(ServerMessage.TradeClosed, (m: { id: string; outcome: string; code?: string }) => {
      inFlight--;
      if (m.outcome === "committed") {
        cycleMs.push(performance.now() - sentAt);
        committed++;
        told.add(m.id);
      } else {
        const k = m.code ?? m.outcome;
        refused.set(k, (refused.get(k) ?? 0) + 1);
      }
      offer();
    });
    west.room.onMessage(ServerMessage.Error, (m: { code: string }) => {
      inFlight--;
      refused.set(m.code, (refused.get(m.code) ?? 0) + 1);
      setTimeout(offer, 20);
    });
    east.room.onMessage(ServerMessage.Error, (m: { code: string }) => {
      refused.set(`accept:${m.code}`, (refused.get(`accept:${m.code}`) ?? 0) + 1);
    });
    return { offer, finished };
  });

  const load0 = (await import("node:os")).loadavg()[0]!;
  const started = performance.now();
  for (const l of loops) l.offer();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  running = false;
  const during = committed;
  const elapsed = (performance.now() - started) / 1000;
  await Promise.race([Promise.all(loops.map((l) => l.finished)), new Promise((r) => setTimeout(r, 15_000))]);
  const load1 = (await import("node:os")).loadavg()[0]!;

  // Settled: conservation and what the screens show.
  const metrics = await Promise.all(nodes.map((n) => n.stats().then((s) => s.metrics)));
  const ids = pairs.flatMap((p) => [p.west.id, p.east.id]);
  const { rows: sums } = await pool.query<{ credits: string; cargo: string }>(
    "SELECT sum(credits) AS credits, sum(cargo) AS cargo FROM characters WHERE player_id = ANY($1)",
    [ids],
  );
  const { rows: unbalanced } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT trade_key FROM ledger GROUP BY trade_key
       HAVING sum(credits_delta) <> 0 OR sum(ore_delta) <> 0) u`,
  );
  const { rows: keys } = await pool.query<{ key: string }>("SELECT key FROM trades WHERE kind = 'trade'");
  const ledgerKeys = new Set(keys.map((r) => r.key));
  const { rows: accounts } = await pool.query<{ player_id: string; credits: string; cargo: string }>(
    "SELECT player_id, credits, cargo FROM characters WHERE player_id = ANY($1)",
    [ids],
  );
  const byId = new Map(accounts.map((a) => [a.player_id, a]));
  await new Promise((r) => setTimeout(r, 500)); // the last patches
  let screenMismatches = 0;
  for (const s of seats.flatMap((p) => [p.west, p.east])) {
    const v = regionView(s.room)?.ships.get(s.id);
    const a = byId.get(s.id);
    if (!v || !a || v.credits !== Number(a.credits) || v.cargo !== Number(a.cargo)) screenMismatches++;
  }
  const creditDrift = Number(sums[0]!.credits) - START.credits * ids.length;
  const oreDrift = Number(sums[0]!.cargo) - START.cargo * ids.length;
  const toldNotInLedger = [...told].filter((k) => !ledgerKeys.has(k)).length;
  const inLedgerNotTold = [...ledgerKeys].filter((k) => !told.has(k)).length;
  const violations =
    (creditDrift !== 0 ? 1 : 0) +
    (oreDrift !== 0 ? 1 : 0) +
    unbalanced[0]!.n +
    toldNotInLedger +
    inLedgerNotTold +
    screenMismatches;
  const trade = 'kind="trade"';
  // Trades commit in the offerer's (west) zone: its histogram.
  const ledgerP99 = histogramQuantile(metrics[0]!, "starlane_zone_ledger_commit_seconds", trade, 0.99);
  const ledgerP50 = histogramQuantile(metrics[0]!, "starlane_zone_ledger_commit_seconds", trade, 0.5);
  console.log(
    JSON.stringify({
      mode,
      pairs: PAIRS,
      seconds: Math.round(elapsed * 10) / 10,
      committedPerSecond: Math.round(during / elapsed),
      committed,
      refused: Object.fromEntries(refused),
      acceptP50Ms: Math.round(q(acceptMs, 0.5) * 10) / 10,
      acceptP99Ms: Math.round(q(acceptMs, 0.99) * 10) / 10,
      offerP50Ms: Math.round(q(offerMs, 0.5) * 10) / 10,
      offerP99Ms: Math.round(q(offerMs, 0.99) * 10) / 10,
      tradeP50Ms: Math.round(q(cycleMs, 0.5) * 10) / 10,
      tradeP99Ms: Math.round(q(cycleMs, 0.99) * 10) / 10,
      ledgerCommitP50UpToMs: ledgerP50 * 1000,
      ledgerCommitP99UpToMs: ledgerP99 * 1000,
      violations,
      detail: {
        creditDrift,
        oreDrift,
        unbalanced: unbalanced[0]!.n,
        toldNotInLedger,
        inLedgerNotTold,
        screenMismatches,
      },
      inFlightAtEnd: inFlight,
      closedByZone: Object.fromEntries(closes),
      load: [Math.round(load0 * 100) / 100, Math.round(load1 * 100) / 100],
    }),
  );
  for (const s of seats.flatMap((p) => [p.west, p.east])) await s.room.leave(true).catch(() => {});
  for (const n of nodes) await n.quit();
  await pool.end();
  await db.drop();
  const keysLeft = await redis.keys(`${prefix}*`);
  if (keysLeft.length > 0) await redis.del(...keysLeft);
}

// TRADES_MODES=cluster,same-room: only those runs (default: all three; with TRADES_PROFILE, cluster).
const modes = (
  process.env.TRADES_MODES ?? (process.env.TRADES_PROFILE ? "cluster" : "cluster,cluster-per-op,same-room")
)
  .split(",")
  .map((m) => m.trim()) as ("cluster" | "cluster-per-op" | "same-room")[];
for (const mode of modes) await run(mode);
redis.disconnect();
process.exit(0);

// Handoff benchmark: SDK bots (ShipLink) fly back and forth across the border x = 4000 between the
// regions of columns 1 and 2 (spread over its whole length) for a while, and we report handoffs per second sustained and the player's gap
// per handoff (from the `handoff` message to the new room showing the ship: ShipLink.lastSwitchMs),
// plus the server-side duration (decision -> target owns the ship) from the zones' histograms.
// Two configurations in one run: "local" (both columns in one zone process, the embedded case) as
// the baseline, and "cluster" (each column in its own zone process, Redis between them).
//
//   node --conditions=starlane-source --import tsx services/zone/bench/handoff.ts [bots=150] [seconds=20]

import type { StoredShip } from "@starlane/shared";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { type Bot, counter, startBot, startNode, type ZoneNode } from "../test/cluster.js";
import { testTokens } from "../test/tokens.js";

const BOTS = Number(process.argv[2] ?? 150);
const SECONDS = Number(process.argv[3] ?? 20);
// Waypoints this far either side of the border: just past the 50-unit hysteresis plus the turn.
const SPAN = Number(process.argv[4] ?? 130);
// The whole border x = 4000 (four region pairs, rows 0-3), bots spread along it so each sees a
// share of the others, as in a world where crossings happen in many places at once.
const WEST = "1-0,1-1,1-2,1-3";
const EAST = "2-0,2-1,2-2,2-3";
const tokens = await testTokens();
const redis = await connectRedis(TEST_REDIS_URL);

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};

async function run(mode: "local" | "cluster") {
  const prefix = testRedisPrefix();
  const ships: StoredShip[] = Array.from({ length: BOTS }, (_, i) => ({
    playerId: `hb-${i}`,
    x: i % 2 ? 4100 : 3900,
    y: 200 + (7600 * i) / BOTS,
    vx: 0,
    vy: 0,
    heading: i % 2 ? Math.PI : 0,
    hull: 100,
    cargo: 0,
    credits: 0,
  }));
  const nodes: ZoneNode[] =
    mode === "local"
      ? [await startNode({ prefix, regions: `${WEST},${EAST}`, jwks: tokens.jwks, ships })]
      : [
          await startNode({ prefix, regions: WEST, jwks: tokens.jwks, ships }),
          await startNode({ prefix, regions: EAST, jwks: tokens.jwks, ships }),
        ];
  const bots: Bot[] = [];
  for (const [i, s] of ships.entries()) {
    const node = nodes.length === 1 || s.x < 4000 ? nodes[0]! : nodes[1]!;
    const wp = [
      { x: 4000 - SPAN, y: s.y },
      { x: 4000 + SPAN, y: s.y },
    ];
    bots.push(
      await startBot(
        node.url,
        tokens,
        s.playerId,
        `region-${s.x < 4000 ? 1 : 2}-${Math.floor(s.y / 2000)}`,
        i % 2 ? wp.reverse() : wp,
        50,
      ),
    );
  }
  const gaps: number[] = [];
  const seen = new Map<Bot, number>();
  const collect = setInterval(() => {
    for (const b of bots) {
      const n = b.link.handoffs;
      if (!b.link.switching && n > (seen.get(b) ?? 0)) {
        gaps.push(b.link.lastSwitchMs);
        seen.set(b, n);
      }
    }
  }, 5);
  const completed = async () => {
    let n = 0;
    for (const node of nodes)
      n += counter((await node.stats()).metrics, "starlane_zone_handoffs_total", 'outcome="completed"');
    return n;
  };
  await new Promise((r) => setTimeout(r, 3000)); // warm-up
  gaps.length = 0;
  const c0 = await completed();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const c1 = await completed();
  const secs = (performance.now() - t0) / 1000;
  clearInterval(collect);
  const stats = await Promise.all(nodes.map((n) => n.stats()));
  const durSum = stats.reduce((s, x) => s + counter(x.metrics, "starlane_zone_handoff_duration_seconds_sum"), 0);
  const durCount = stats.reduce((s, x) => s + counter(x.metrics, "starlane_zone_handoff_duration_seconds_count"), 0);
  const aborted = stats.reduce(
    (s, x) => s + counter(x.metrics, "starlane_zone_handoffs_total", 'outcome="aborted"'),
    0,
  );
  const violations = stats.reduce((s, x) => s + x.two + x.none, 0);
  for (const b of bots) b.stop();
  for (const b of bots) await b.link.room.leave(true).catch(() => {});
  for (const n of nodes) await n.quit();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  return {
    mode,
    bots: BOTS,
    seconds: Math.round(secs),
    handoffsPerSecond: +((c1 - c0) / secs).toFixed(1),
    gapP50Ms: +q(gaps, 0.5).toFixed(1),
    gapP99Ms: +q(gaps, 0.99).toFixed(1),
    gapMaxMs: +Math.max(...gaps).toFixed(1),
    serverMeanMs: +((durSum / Math.max(1, durCount)) * 1000).toFixed(2),
    aborted,
    ownershipViolations: violations,
  };
}

for (const mode of ["local", "cluster"] as const) console.log(JSON.stringify(await run(mode)));
redis.disconnect();
process.exit(0);

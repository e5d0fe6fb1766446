// Live region moves with the operator's tool: real zone processes (test/zone-node.ts) sharing the
// local Redis under this test's prefix, SDK bots flying in the regions, and `zonectl move` /
// `zonectl drain` run as the operator runs them. Checked: every player ends on the other zone,
// none is disconnected, every input is applied exactly once (applied across both zones = sent), no
// ship ever has two owners or none (each zone's detector every 25 ms) and no two zones ever tick the
// region (the region detector every 5 ms), `zonectl status --json` agrees with the zones' /metrics,
// and bad input is one line, a non-zero exit and no change.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ClusterStatus,
  connectRedis,
  RedisRelocationBoard,
  relocationKeys,
  type StoredShip,
} from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { type Bot, counter, type SdkRoom, startBot, startNode, type ZoneNode } from "./cluster.js";
import { testTokens } from "./tokens.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const ZONECTL = join(ROOT, "infra/zonectl/zonectl.ts");
const tokens = await testTokens();
const dir = mkdtempSync(join(tmpdir(), "starlane-mv-"));
let redis: Redis;
const nodes: ZoneNode[] = [];
const prefixes: string[] = [];

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
});

after(async () => {
  await Promise.all(nodes.map((n) => n.quit()));
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** `zonectl` as an operator runs it, against this test's prefix (no cluster folder: no PM2). Not blocking. */
function zonectl(prefix: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", ZONECTL, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        STARLANE_CLUSTER_DIR: dir,
        REDIS_URL: TEST_REDIS_URL,
        STARLANE_KEY_PREFIX: prefix,
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const ship = (playerId: string, x: number, y: number): StoredShip => ({
  playerId,
  x,
  y,
  vx: 0,
  vy: 0,
  heading: 0,
  hull: 100,
  cargo: 0,
  credits: 0,
});

/** A loop inside region (col, row) of the 4 x 4 world of 2000-unit regions. */
const loopIn = (col: number, row: number) =>
  [
    [600, 600],
    [1400, 600],
    [1400, 1400],
    [600, 1400],
  ].map(([x, y]) => ({ x: col * 2000 + x!, y: row * 2000 + y! }));

/**
 * Watches the bots every 5 ms: connections lost without the bot leaving them itself (ShipLink leaves
 * the old room only after switching), and the acknowledged sequence going back (inputs the old
 * owner applied after its final snapshot would be lost: the new owner's ship would not have them).
 */
function watchBots(bots: Bot[]) {
  const seen = new Set<SdkRoom>();
  const lost: string[] = [];
  const regressed: string[] = [];
  const maxAck = new Map<string, number>();
  const timer = setInterval(() => {
    for (const b of bots) {
      const room = b.link.room;
      if (!b.link.switching && b.link.ack > 0) {
        const before = maxAck.get(b.id) ?? 0;
        if (b.link.ack < before) regressed.push(`${b.id}: ack ${before} -> ${b.link.ack}`);
        maxAck.set(b.id, Math.max(before, b.link.ack));
      }
      if (seen.has(room)) continue;
      seen.add(room);
      room.onLeave((code) => {
        if (b.link.room === room) lost.push(`${b.id} (${code})`);
      });
    }
  }, 5);
  return { lost, regressed, stop: () => clearInterval(timer) };
}

async function startZones(prefix: string, zones: [string, string][], ships: StoredShip[], watch: string[]) {
  const env = { STARLANE_ZONE_TAKEOVER: "true", STARLANE_ZONE_LEASE_TTL_MS: "3000", STARLANE_ZONE_SNAPSHOT_MS: "250" };
  const started = await Promise.all(
    zones.map(([name, regions]) =>
      startNode({ prefix, regions, jwks: tokens.jwks, ships, watch, env: { ...env, STARLANE_ZONE_NAME: name } }),
    ),
  );
  nodes.push(...started);
  return started;
}

/** Stops the bots, waits until every input sent is acknowledged, and checks the invariants on `zones`. */
async function settle(bots: Bot[], zones: ZoneNode[]) {
  for (const b of bots) b.stop();
  await waitFor("every input acknowledged", () => bots.every((b) => b.link.ack === b.sent), 20_000);
  const stats = await Promise.all(zones.map((z) => z.stats()));
  const applied = stats.reduce((n, s) => n + counter(s.metrics, "starlane_zone_inputs_applied_total"), 0);
  const sent = bots.reduce((n, b) => n + b.sent, 0);
  assert.equal(applied, sent, "every input applied exactly once across the zones");
  for (const s of stats) {
    assert.equal(s.two, 0, s.detail.join("\n"));
    assert.equal(s.none, 0, s.detail.join("\n"));
    assert.ok(s.samples > 10, "the ownership detector sampled");
  }
  // No two processes ever ticked one region at the same time (each process's ticks, by epoch).
  const acted = stats.flatMap((s, i) => s.acted.map((a) => ({ ...a, zone: i })));
  for (const a of acted)
    for (const b of acted)
      if (a.region === b.region && a.zone !== b.zone && a.epoch < b.epoch)
        assert.ok(a.last < b.first, `${a.region}: epoch ${a.epoch} ticked until ${a.last}, ${b.epoch} from ${b.first}`);
  return stats;
}

test("zonectl move: a region with players moves live to another zone (no disconnect, every input once, one owner)", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const ids = Array.from({ length: 5 }, (_, i) => `mv-${i}`);
  const ships = ids.map((id, i) => ship(id, 2700 + i * 120, 2700));
  const [a, b] = await startZones(
    prefix,
    [
      ["zone-a", "1-1"],
      ["zone-b", "2-1"],
    ],
    ships,
    ids,
  );
  const bots = await Promise.all(ids.map((id) => startBot(a!.url, tokens, id, "region-1-1", loopIn(1, 1), 60)));
  const watch = watchBots(bots);
  try {
    await waitFor("the bots fly", () => bots.every((x) => x.link.ack > 5), 15_000);
    await waitFor(
      "both zones report",
      async () => {
        const r = await zonectl(prefix, ["status", "--json"]);
        return (JSON.parse(r.stdout || "{}") as ClusterStatus).zones?.length === 2;
      },
      30_000,
    );
    const moved = await zonectl(prefix, ["move", "region-1-1", "zone-b"]);
    assert.equal(moved.status, 0, moved.stderr);
    assert.match(moved.stdout, /^moved region-1-1 from zone-a to zone-b \(epoch (\d+) -> (\d+), 5 players handed over/);
    const [, e1, e2] = /epoch (\d+) -> (\d+)/.exec(moved.stdout)!;
    assert.ok(Number(e2) > Number(e1), "the target holds the region under a higher epoch");
    await waitFor(
      "every bot flies on zone-b",
      () => bots.every((x) => x.link.handoffs === 1 && !x.link.switching),
      20_000,
    );
    const acks = bots.map((x) => x.link.ack);
    await waitFor("inputs are applied there", () => bots.every((x, i) => x.link.ack > acks[i]! + 3), 15_000);

    // zonectl status --json agrees with the zones' /metrics (players per region).
    const status = JSON.parse((await zonectl(prefix, ["status", "--json"])).stdout) as ClusterStatus;
    const zb = status.zones.find((z) => z.name === "zone-b")!;
    const metrics = await (await fetch(`${b!.url}/metrics`)).text();
    assert.deepEqual(zb.regions.map((r) => r.id).sort(), ["region-1-1", "region-2-1"], "zone-b holds both regions");
    for (const r of zb.regions)
      assert.equal(r.players, counter(metrics, "starlane_zone_clients", `region="${r.id}"`), `${r.id} players`);
    assert.equal(zb.regions.find((r) => r.id === "region-1-1")!.players, 5);
    assert.equal(status.zones.find((z) => z.name === "zone-a")?.regions.length ?? 0, 0);
    assert.equal(zb.regions.find((r) => r.id === "region-1-1")!.epoch, Number(e2));

    const stats = await settle(bots, [a!, b!]);
    assert.ok(stats[1]!.regions.some((r) => r.region === "region-1-1"));
    assert.ok(!stats[0]!.regions.some((r) => r.region === "region-1-1"));
    assert.equal(counter(stats[1]!.metrics, "starlane_zone_takeovers_total"), 0, "a planned move is not a takeover");
    assert.deepEqual(watch.lost, [], "no player was disconnected");
    assert.deepEqual(watch.regressed, [], "no acknowledged input was undone");
  } finally {
    watch.stop();
    for (const x of bots) x.stop();
  }

  // Bad input: one line, a non-zero exit, nothing changed.
  const owner = () => redis.get(`${prefix}region:region-1-1:owner`);
  const before = await owner();
  const other = new RedisRelocationBoard(redis, { prefix });
  // Another operator's order, under way (its source zone never answers, so it stays in the way).
  await other.place({
    id: "someone-else",
    region: "region-2-1",
    from: "zone-gone",
    to: "zone-a",
    by: "alice",
    at: Date.now(),
    state: "ordered",
  });
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["move", "region-1-1", "zone-x"], {}, /zone "zone-x" is not running \(live zones: zone-a, zone-b\)/],
    [["move", "region-7-7", "zone-a"], {}, /region-7-7 is not a region of this world/],
    [["move", "region-1-1", "zone-b"], {}, /region-1-1 is already on zone-b/],
    [["move", "region-2-1", "zone-a"], {}, /region-2-1 is already being moved to zone-a by alice/],
    [["move", "region-1-1", "zone-a"], { REDIS_URL: "redis://127.0.0.1:1" }, /unreachable/],
    [["drain", "zone-x"], {}, /zone "zone-x" is not running/],
  ];
  const answers = await Promise.all(cases.map(([args, env]) => zonectl(prefix, args, env)));
  for (const [i, r] of answers.entries()) {
    assert.equal(r.status, 1, `${cases[i]![0].join(" ")}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, cases[i]![2]);
  }
  assert.equal(await owner(), before, "nothing moved");
  await other.clear("region-2-1", "someone-else");
});

test("zonectl drain: every region of a zone with players moves live to the others; moves to it and a last-zone drain are refused", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const west = Array.from({ length: 3 }, (_, i) => `dw-${i}`);
  const east = Array.from({ length: 3 }, (_, i) => `de-${i}`);
  const ships = [
    ...west.map((id, i) => ship(id, 2700 + i * 150, 2800)),
    ...east.map((id, i) => ship(id, 4700 + i * 150, 2800)),
  ];
  const [a, b, c] = await startZones(
    prefix,
    [
      ["zone-a", "1-1,2-1"],
      ["zone-b", "0-0"],
      ["zone-c", "3-3"],
    ],
    ships,
    [...west, ...east],
  );
  const bots = await Promise.all([
    ...west.map((id) => startBot(a!.url, tokens, id, "region-1-1", loopIn(1, 1), 60)),
    ...east.map((id) => startBot(a!.url, tokens, id, "region-2-1", loopIn(2, 1), 60)),
  ]);
  const watch = watchBots(bots);
  try {
    await waitFor("the bots fly", () => bots.every((x) => x.link.ack > 5), 15_000);
    await waitFor(
      "three zones report",
      async () => {
        const r = await zonectl(prefix, ["status", "--json"]);
        return (JSON.parse(r.stdout || "{}") as ClusterStatus).zones?.length === 3;
      },
      30_000,
    );
    const drained = await zonectl(prefix, ["drain", "zone-a"]);
    assert.equal(drained.status, 0, drained.stderr);
    const lines = drained.stdout.trim().split("\n");
    // Fewest regions first: one region to each of the other zones.
    assert.match(lines[0]!, /^moved region-(1|2)-1 from zone-a to zone-(b|c) .*3 players handed over/);
    assert.match(lines[1]!, /^moved region-(1|2)-1 from zone-a to zone-(b|c) .*3 players handed over/);
    assert.notEqual(/to (zone-\w)/.exec(lines[0]!)![1], /to (zone-\w)/.exec(lines[1]!)![1]);
    assert.match(lines[2]!, /zone-a holds no region and takes none over; not stopped here/);
    await waitFor(
      "every bot flies on its new zone",
      () => bots.every((x) => x.link.handoffs === 1 && !x.link.switching),
      20_000,
    );
    const acks = bots.map((x) => x.link.ack);
    await waitFor("inputs are applied there", () => bots.every((x, i) => x.link.ack > acks[i]! + 3), 15_000);
    const stats = await settle(bots, [a!, b!, c!]);
    assert.deepEqual(stats[0]!.regions, [], "the drained zone holds nothing");
    assert.deepEqual(watch.lost, [], "no player was disconnected");
    assert.deepEqual(watch.regressed, [], "no acknowledged input was undone");
  } finally {
    watch.stop();
    for (const x of bots) x.stop();
  }
  // A draining zone takes no region.
  const refused = await zonectl(prefix, ["move", "region-0-0", "zone-a"]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /zone zone-a is draining: it takes no region/);
  // With the others gone, zone-b is the last zone: its drain is refused and changes nothing.
  await Promise.all([a!.quit(), c!.quit()]);
  await waitFor(
    "only zone-b reports",
    async () => {
      const r = await zonectl(prefix, ["status", "--json"]);
      const s = JSON.parse(r.stdout || "{}") as ClusterStatus;
      return s.zones?.length === 1;
    },
    30_000,
  );
  const last = await zonectl(prefix, ["drain", "zone-b"]);
  assert.equal(last.status, 1, last.stdout);
  assert.equal(last.stderr.trim().split("\n").length, 1, last.stderr);
  assert.match(last.stderr, /cannot drain zone-b: it is the last zone/);
  const statsB = await b!.stats();
  assert.ok(
    statsB.regions.some((r) => r.region === "region-0-0"),
    "zone-b keeps its regions",
  );
  const ids = (await redis.keys(`${relocationKeys(prefix, "", "*").draining}`)).length;
  assert.equal(ids, 1, "only zone-a was marked draining");
});

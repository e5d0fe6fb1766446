// `zonectl move` on real zone processes (test/zone-node.ts) with SDK bots flying in the region:
// every player ends on the other zone, none is disconnected, every input is applied exactly once
// (applied across both zones = sent) and no acknowledged sequence goes back, no ship ever has two
// owners or none (each zone's detector every 25 ms), no two zones ever tick the region (every 5 ms),
// `zonectl status --json` agrees with the zones' /metrics; then bad input (one line, a non-zero
// exit, nothing changed) and two operators moving one region at once (one wins, the other is told).
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ClusterStatus, RedisRelocationBoard, RedisZoneStatusBoard } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { counter, startBot } from "./cluster.js";
import {
  freshPrefix,
  loopIn,
  redis,
  settle,
  ship,
  startZones,
  tokens,
  watchBots,
  zonectl,
} from "./relocate-harness.js";

test("zonectl move: a region with players moves live to another zone (no disconnect, every input once, one owner)", async () => {
  const prefix = freshPrefix();
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
  const board = new RedisZoneStatusBoard(redis, { prefix });
  // 10 inputs a second, as the other cluster tests: ShipLink re-sends at most 32 unacknowledged
  // inputs, so a move that stops the region longer than 3.2 s would lose the oldest (a move took
  // 2.1 s at load 40; at 20 inputs a second that already lost some: see infra/zonectl/README.md).
  const bots = await Promise.all(ids.map((id) => startBot(a!.url, tokens, id, "region-1-1", loopIn(1, 1))));
  const watch = watchBots(bots);
  try {
    await waitFor("the bots fly", () => bots.every((x) => x.link.ack > 5), 15_000);
    await waitFor("both zones report", async () => (await board.list()).length === 2, 20_000);
    const moved = await zonectl(prefix, ["move", "region-1-1", "zone-b"]);
    assert.equal(moved.status, 0, moved.stderr);
    console.log(`# ${moved.stdout.trim()}`);
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

  // Bad input: one line, a non-zero exit, nothing changed. Alongside, two operators move region-1-1
  // at the same moment: one wins, the other is told.
  const owner = () => redis.get(`${prefix}region:region-2-1:owner`);
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
    [["move", "region-2-1", "zone-x"], {}, /zone "zone-x" is not running \(live zones: zone-a, zone-b\)/],
    [["move", "region-7-7", "zone-a"], {}, /region-7-7 is not a region of this world/],
    [["move", "region-2-1", "zone-b"], {}, /region-2-1 is already on zone-b/],
    [["move", "region-2-1", "zone-a"], {}, /region-2-1 is already being moved to zone-a by alice/],
    [["move", "region-2-1", "zone-a"], { REDIS_URL: "redis://127.0.0.1:1" }, /unreachable/],
    [["drain", "zone-x"], {}, /zone "zone-x" is not running/],
  ];
  const [answers, both] = await Promise.all([
    Promise.all(cases.map(([args, env]) => zonectl(prefix, args, env))),
    Promise.all([1, 2].map(() => zonectl(prefix, ["move", "region-1-1", "zone-a"]))),
  ]);
  for (const [i, r] of answers.entries()) {
    assert.equal(r.status, 1, `${cases[i]![0].join(" ")}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, cases[i]![2]);
  }
  assert.equal(await owner(), before, "nothing moved");
  await other.clear("region-2-1", "someone-else");
  assert.deepEqual(both.map((r) => r.status).sort(), [0, 1], both.map((r) => r.stdout + r.stderr).join("\n"));
  const told = both.find((r) => r.status === 1)!;
  assert.equal(told.stderr.trim().split("\n").length, 1, told.stderr);
  // Told while the winner's order is under way, or, if it was that quick, that it is done.
  assert.match(told.stderr, /region-1-1 is already (being moved to zone-a by|on zone-a)/);
});

// `zonectl drain` on real zone processes (test/zone-node.ts) with SDK bots in two regions of the
// drained zone: each region moves live to another zone (fewest regions first), with the same checks
// as relocate-move-cluster; then a move to the draining zone and the last zone's drain are refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisZoneStatusBoard, relocationKeys } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { startBot } from "./cluster.js";
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

test("zonectl drain: every region of a zone with players moves live to the others; moves to it and a last-zone drain are refused", async () => {
  const prefix = freshPrefix();
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
  const board = new RedisZoneStatusBoard(redis, { prefix });
  const bots = await Promise.all([
    ...west.map((id) => startBot(a!.url, tokens, id, "region-1-1", loopIn(1, 1))),
    ...east.map((id) => startBot(a!.url, tokens, id, "region-2-1", loopIn(2, 1))),
  ]);
  const watch = watchBots(bots);
  try {
    await waitFor("the bots fly", () => bots.every((x) => x.link.ack > 5), 15_000);
    await waitFor("three zones report", async () => (await board.list()).length === 3, 20_000);
    const drained = await zonectl(prefix, ["drain", "zone-a"]);
    assert.equal(drained.status, 0, drained.stderr);
    const lines = drained.stdout.trim().split("\n");
    console.log(lines.map((l) => `# ${l}`).join("\n"));
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
  await waitFor("only zone-b reports", async () => (await board.list()).length === 1, 20_000);
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

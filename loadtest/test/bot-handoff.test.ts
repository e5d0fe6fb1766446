// The bot's handoff path, driven the way the handoff client will drive it: a seat reservation in
// hand, the bot moves to it, re-sends what was not acknowledged, and measures the gap. Until the
// zone sends `handoff` itself (issue 7), the seat is one reserved for the same ship in the same
// region room over the zone's public matchmaking endpoint; taking it closes the old connection
// (4104 Replaced), which the bot must not mistake for a disconnect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Bot, crowd, Measurements } from "../src/index.js";
import { startZoneChild, type ZoneChild } from "../src/zone-child.js";

let zone: ZoneChild;
before(async () => {
  zone = await startZoneChild(1);
});
after(async () => {
  await zone?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a handoff moves the bot to the new seat: gap measured, no reconnect, no input lost or applied twice", async () => {
  const m = new Measurements();
  let bot: Bot | null = null;
  bot = new Bot({
    entry: { kind: "direct", url: zone.url, roomId: "region-1-1", shipId: "bot-0", token: () => zone.sign("bot-0") },
    brain: crowd.brain({ index: 0, world: { width: 8000, height: 8000, cols: 4, rows: 4 }, random: Math.random }),
    ctx: { m, sentAt: (id, seq) => (id === "bot-0" ? bot?.sentAt(seq) : undefined), zoneSeen: () => {} },
  });
  assert.equal(await bot.start(), true);
  await sleep(1500);
  const old = bot.room!;
  const res = await fetch(`${zone.url}/matchmake/joinById/region-1-1`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await zone.sign("bot-0")}` },
    body: "{}",
  });
  assert.equal(res.status, 200);
  await bot.handoff(old, { roomId: "region-1-1", reservation: await res.json(), address: `127.0.0.1:${zone.port}` });
  assert.notEqual(bot.room, old);
  await sleep(1500);
  await bot.stop();

  assert.equal(m.handoffs, 1);
  assert.equal(m.handoffsFailed, 0);
  const gap = m.handoffGap.total.summary();
  assert.equal(gap.count, 1);
  assert.ok(gap.p50! >= 0 && gap.p50! < 2000, `gap ${gap.p50} ms`);
  assert.equal(m.reconnects, 0);
  assert.deepEqual(Object.fromEntries(m.errors), {}, "the old room's 4104 is not an error");
  assert.equal(m.inputsLost, 0);
  assert.equal(m.inputsDuplicated, 0);
  assert.ok(m.rtt.total.count > 15, `acks after the move: ${m.rtt.total.count}`);
});

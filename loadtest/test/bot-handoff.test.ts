// The bot's handoff path against a real zone: a zone process owning two neighbouring regions, a bot
// that flies east out of region 1-1 into region 2-1 and back. The zone hands the ship over; the
// bot's ShipLink takes the new seat and re-sends what was not acknowledged; the bot measures the gap
// and must see no reconnect, no error (the old room's close is part of the handoff) and no input
// lost or applied twice.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@starlane/shared/testing";
import { Bot, Measurements } from "../src/index.js";
import { steerTo } from "../src/scenarios/steer.js";
import { startZoneChild, type ZoneChild } from "../src/zone-child.js";

let zone: ZoneChild;
before(async () => {
  zone = await startZoneChild(1, { BENCH_REGIONS: "1-1,2-1" });
});
after(async () => {
  await zone?.stop();
});

test("the zone hands the bot's ship to the next region: the bot follows, gap measured, no reconnect, no input lost or applied twice", async () => {
  const m = new Measurements();
  const rooms = new Set<string>();
  let east = true;
  let bot: Bot | null = null;
  bot = new Bot({
    entry: { kind: "direct", url: zone.url, roomId: "region-1-1", shipId: "bot-0", token: () => zone.sign("bot-0") },
    brain: {
      control(view) {
        const me = view.me;
        if (me && me.x > 4250) east = false;
        if (me && me.x < 3750) east = true;
        return steerTo(me, east ? 4400 : 3600, me?.y ?? 3000);
      },
    },
    ctx: { m, sentAt: (id, seq) => (id === "bot-0" ? bot?.sentAt(seq) : undefined), zoneSeen: () => {} },
    inputRate: 20,
  });
  assert.equal(await bot.start(), true);
  const watch = setInterval(() => bot?.room && rooms.add(bot.room.roomId), 20);
  await waitFor(
    "two handoffs (east, then back west)",
    () => m.handoffs >= 2 && bot!.room?.roomId === "region-1-1",
    25_000,
    50,
  );
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(watch);
  await bot.stop();

  assert.deepEqual([...rooms].sort(), ["region-1-1", "region-2-1"]);
  assert.equal(m.handoffsFailed, 0);
  const gap = m.handoffGap.total.summary();
  assert.ok(gap.count >= 2, `gaps measured: ${gap.count}`);
  assert.ok(gap.p50! >= 0 && gap.p50! < 2000, `gap ${gap.p50} ms`);
  assert.equal(m.reconnects, 0);
  assert.deepEqual(Object.fromEntries(m.errors), {}, "the old room's close is not an error");
  assert.equal(m.inputsLost, 0);
  assert.equal(m.inputsDuplicated, 0);
  assert.ok(m.rtt.total.count > 15, `acks: ${m.rtt.total.count}`);
});

// What a bot does after each kind of close, against a real zone, as the shared close policy says
// (the table itself is tested in shared/src/close-policy.test.ts): 4104 Replaced ends the bot,
// 4101 RateLimited pauses at least 2 s and comes back, 4100 Unauthorized comes back with a new token.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { waitFor } from "@starlane/shared/testing";
import { Bot, Measurements } from "../src/index.js";
import { startZoneChild, type ZoneChild } from "../src/zone-child.js";

const LIMIT = 15; // messages per second before the zone closes with 4101

let zone: ZoneChild;
before(async () => {
  zone = await startZoneChild(3, { STARLANE_ZONE_MAX_MESSAGES_PER_SECOND: String(LIMIT) });
});
after(async () => {
  await zone?.stop();
});

function makeBot(shipId: string, m: Measurements, inputRate: number, token = () => zone.sign(shipId)): Bot {
  return new Bot({
    entry: { kind: "direct", url: zone.url, roomId: "region-1-1", shipId, token },
    brain: { control: () => ({ thrust: 0, turn: 0.2, fire: false }) },
    ctx: { m, sentAt: () => undefined, zoneSeen: () => {} },
    inputRate,
  });
}

test("4104 Replaced: the same ship joins elsewhere and the bot ends instead of taking it back", async () => {
  const m = new Measurements();
  const bot = makeBot("bot-0", m, 5);
  assert.equal(await bot.start(), true);
  const other = new Client(zone.url);
  other.auth.token = await zone.sign("bot-0");
  const room = await other.joinById("region-1-1", {});
  try {
    await waitFor("the bot to end", () => bot.stopped, 10_000, 10);
    assert.deepEqual(Object.fromEntries(m.errors), { CLOSE_4104: 1 }, "no attempt to come back");
    assert.equal(m.reconnects, 0);
    assert.equal(bot.connected, false);
  } finally {
    await room.leave(true).catch(() => {});
    await bot.stop();
  }
});

test("4101 RateLimited: the bot pauses at least 2 s, then comes back through a new join", async () => {
  const m = new Measurements();
  const bot = makeBot("bot-1", m, LIMIT * 3);
  assert.equal(await bot.start(), true);
  try {
    await waitFor("a rejoin after the rate-limit close", () => m.reconnects >= 1, 20_000, 10);
  } finally {
    await bot.stop();
  }
  assert.ok((m.errors.get("CLOSE_4101") ?? 0) >= 1, JSON.stringify(Object.fromEntries(m.errors)));
  // Still flooding, it is closed again at once; stop() ends that second wait before it rejoins.
  const resume = m.resume.total.summary();
  assert.equal(resume.count, 1);
  assert.ok(resume.p50! >= 2, `came back ${resume.p50} s after its last state`);
});

test("4100 Unauthorized: the bot comes back with a new token", async () => {
  const m = new Measurements();
  let tokens = 0;
  const bot = makeBot("bot-2", m, 5, () => {
    tokens++;
    return zone.sign("bot-2");
  });
  assert.equal(await bot.start(), true);
  assert.equal(tokens, 1);
  try {
    // No zone closes a live connection with 4100 yet (tokens are checked at join): the bot's socket
    // is closed with 4100 from its side and the zone echoes the code in its close frame, so the bot
    // receives the same close a server's 4100 sends.
    bot.room!.connection.close(4100, "test");
    await waitFor("a rejoin after the 4100 close", () => m.reconnects >= 1 && bot.connected, 10_000, 10);
    assert.equal(tokens, 2, "a fresh token for the new join");
    assert.deepEqual(Object.fromEntries(m.errors), { CLOSE_4100: 1 });
  } finally {
    await bot.stop();
  }
});

// The shared client helper (`ChatClient` of @starlane/shared/client) against a real chat instance,
// over `ws` as the bots use it: welcome, history, say, whisper, mute, and a close code on refusal.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectPostgres, connectRedis } from "@starlane/shared";
import { ChatClient, type ChatEvent, type ChatSocketConstructor } from "@starlane/shared/client";
import {
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
  waitFor,
} from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import WebSocket from "ws";
import { migrateChat } from "../src/index.js";
import { type Instance, makeTokens, startInstance, type Tokens } from "./harness.js";

let testDb: TestDatabase;
let db: pg.Pool;
let redis: Redis;
let tokens: Tokens;
let chat: Instance;
const open: ChatClient[] = [];

before(async () => {
  testDb = await createTestDatabase();
  db = await connectPostgres(testDb.url, { max: 4 });
  await migrateChat(db);
  redis = await connectRedis(TEST_REDIS_URL);
  tokens = await makeTokens();
  chat = await startInstance({ redis, db, prefix: testRedisPrefix(), tokens });
});

after(async () => {
  for (const c of open) c.close();
  await chat.chat.close();
  await chat.bus.close();
  await db.end();
  await testDb.drop();
  redis.disconnect();
});

function client(token: string) {
  const events: ChatEvent[] = [];
  const closes: number[] = [];
  const c = new ChatClient(chat.url, token, {
    WebSocket: WebSocket as unknown as ChatSocketConstructor,
    onMessage: (e) => events.push(e),
    onClose: (code) => closes.push(code),
  });
  open.push(c);
  return { c, events, closes };
}

test("ChatClient: welcome, say, whisper and moderation round trips", async () => {
  const one = client(await tokens.sign({ name: "helper_one" }));
  const two = client(await tokens.sign({ name: "helper_two" }));
  assert.equal((await one.c.welcome()).player.name, "helper_one");
  await two.c.welcome();
  await waitFor("history", () => two.events.some((e) => e.t === "history"));
  one.c.say("global", "via the helper");
  await waitFor("message", () => two.events.some((e) => e.t === "message" && e.text === "via the helper"));
  one.c.whisper("helper_two", "private");
  await waitFor("whisper", () => two.events.some((e) => e.t === "whispered" && e.text === "private"));
  two.c.moderate("mute", "helper_one", 5);
  await waitFor("ok", () => two.events.some((e) => e.t === "ok" && e.ref === 5));
  one.c.say("global", "x".repeat(501), "long");
  const err = await waitFor("error", () => one.events.find((e) => e.t === "error" && e.ref === "long"));
  assert.equal(err.t === "error" && err.code, "STARLANE_ERR_CHAT_TOO_LONG");
});

test("ChatClient: a refused token rejects the welcome with 4100", async () => {
  const bad = client("nope");
  await assert.rejects(bad.c.welcome(), (e: { code?: number }) => e.code === 4100);
  assert.deepEqual(bad.closes, [4100]);
});

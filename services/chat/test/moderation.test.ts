// Moderation across two instances on the real Redis and PostgreSQL: players' mute and block lists
// (kept across reconnects), operator mute and kick through the endpoint guarded by the operator
// credential, whichever instance the operator calls and the player is on.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CloseCode, connectPostgres, connectRedis, RedisAccountEvents } from "@starlane/shared";
import {
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
  waitFor,
} from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { migrateChat } from "../src/index.js";
import { Client, type Instance, makeTokens, OPERATOR_TOKEN, startInstance, type Tokens } from "./harness.js";

let testDb: TestDatabase;
let db: pg.Pool;
let redis: Redis;
let tokens: Tokens;
let a: Instance;
let b: Instance;
let accountEvents: RedisAccountEvents;
const clients: Client[] = [];

before(async () => {
  testDb = await createTestDatabase();
  db = await connectPostgres(testDb.url, { max: 4 });
  await migrateChat(db);
  redis = await connectRedis(TEST_REDIS_URL);
  tokens = await makeTokens();
  const deps = { redis, db, prefix: testRedisPrefix(), tokens };
  accountEvents = new RedisAccountEvents(redis, { prefix: deps.prefix });
  const limits = { rateBurst: 1000, rateMessages: 1000 };
  a = await startInstance(deps, {}, limits);
  b = await startInstance(deps, {}, limits);
});

after(async () => {
  for (const c of clients) c.close();
  for (const i of [a, b]) {
    await i.chat.close();
    await i.bus.close();
  }
  await db.end();
  await testDb.drop();
  redis.disconnect();
});

const ids: Record<string, string> = {};
async function connect(instance: Instance, name: string) {
  ids[name] ??= `id-${name}`;
  const c = new Client(instance.url, { token: await tokens.sign({ sub: ids[name], name }) });
  clients.push(c);
  await c.ready();
  return c;
}

async function operator(instance: Instance, path: string, body: unknown, token = OPERATOR_TOKEN) {
  const res = await fetch(`http://127.0.0.1:${instance.port}/v1/operator/chat/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** `from` says `text` on global; resolves once `witness` (who hides nobody) has it. */
async function say(from: Client, witness: Client, text: string) {
  from.send({ t: "say", channel: "global", text });
  await witness.next(text, (m) => m.text === text);
}

test("a muted player's messages and whispers are hidden from the one who muted them, across reconnects", async () => {
  const alice = await connect(a, "alice");
  let bob = await connect(b, "bob");
  const carol = await connect(a, "carol");
  bob.send({ t: "mute", name: "Alice", ref: "m" });
  await bob.next("ok", (m) => m.t === "ok" && m.ref === "m");
  await say(alice, carol, "hidden-1");
  await say(carol, bob, "after-hidden-1"); // bob would have had alice's first
  assert.equal(bob.messages.filter((m) => m.text === "hidden-1").length, 0);
  alice.send({ t: "whisper", to: "bob", text: "hidden-whisper" });
  await alice.next("own echo", (m) => m.text === "hidden-whisper");
  await say(carol, bob, "after-hidden-whisper");
  assert.equal(bob.messages.filter((m) => m.text === "hidden-whisper").length, 0);

  bob.close();
  bob = await connect(b, "bob");
  const hist = bob.messages.find((m) => m.t === "history");
  assert.ok(hist, "history on reconnect");
  await say(alice, carol, "hidden-2");
  await say(carol, bob, "after-hidden-2");
  assert.equal(bob.messages.filter((m) => m.text === "hidden-2").length, 0, "the mute list is kept");

  bob.send({ t: "unmute", name: "alice", ref: "u" });
  await bob.next("ok", (m) => m.t === "ok" && m.ref === "u");
  await say(alice, bob, "visible-again");
});

test("a block refuses the blocked player's whispers with its code", async () => {
  const dave = await connect(a, "dave");
  const erin = await connect(b, "erin");
  erin.send({ t: "block", name: "dave", ref: "b" });
  await erin.next("ok", (m) => m.ref === "b");
  dave.send({ t: "whisper", to: "erin", text: "let me in", ref: "w" });
  assert.equal((await dave.next("refused", (m) => m.ref === "w")).code, "STARLANE_ERR_CHAT_WHISPER_REFUSED");
  erin.send({ t: "whisper", to: "dave", text: "no", ref: "w2" });
  await dave.next("erin may still whisper dave", (m) => m.t === "whispered" && m.text === "no");
});

test("operator mute through one instance silences the player on the other, until lifted; kept across reconnects", async () => {
  let frank = await connect(a, "frank");
  const witness = await connect(a, "witness1");
  const muted = await operator(b, "mute", { name: "Frank", seconds: 600 });
  assert.equal(muted.status, 200);
  const refusedOnce = async (ref: string) => {
    frank.send({ t: "say", channel: "global", text: "can you hear me", ref });
    return (await frank.next("muted", (m) => m.ref === ref, 0, 300)).code;
  };
  // The mute travels over the bus: the first refusal may take a moment.
  let code = await refusedOnce("s0").catch(() => "none");
  for (let i = 1; code !== "STARLANE_ERR_CHAT_MUTED" && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    code = await refusedOnce(`s${i}`).catch(() => "none");
  }
  assert.equal(code, "STARLANE_ERR_CHAT_MUTED");
  frank.close();
  frank = await connect(b, "frank");
  assert.equal(await refusedOnce("after-reconnect"), "STARLANE_ERR_CHAT_MUTED", "kept in PostgreSQL");
  assert.equal((await operator(a, "mute", { name: "frank", seconds: 0 })).status, 200);
  // The lift travels over the bus too: say again until the witness hears it.
  await waitFor("frank speaks again", async () => {
    frank.send({ t: "say", channel: "global", text: "back" });
    await new Promise((r) => setTimeout(r, 50));
    return witness.messages.some((m) => m.text === "back");
  });
});

test("operator kick closes every connection of the player, on any instance, with 4160", async () => {
  const g1 = await connect(a, "grace");
  const g2 = await connect(b, "grace");
  const other = await connect(a, "henry");
  const res = await operator(b, "kick", { name: "GRACE" });
  assert.equal(res.status, 200);
  assert.equal((await g1.waitClosed()).code, 4160);
  assert.equal((await g2.waitClosed()).code, 4160);
  assert.equal(other.closed, undefined);
});

test("the operator routes refuse a missing or wrong credential and bad bodies", async () => {
  assert.equal((await operator(a, "kick", { name: "henry" }, "wrong-token-of-the-right-length-00000000")).status, 401);
  const none = await fetch(`http://127.0.0.1:${a.port}/v1/operator/chat/mute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "henry", seconds: 5 }),
  });
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { code: string }).code, "STARLANE_ERR_OPERATOR_UNAUTHORIZED");
  const bad = await operator(a, "mute", { name: "henry", seconds: -1 });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, "seconds");
  assert.equal((await operator(a, "kick", { name: "<x>" })).status, 400);
});

test("a mute or block reaches the player's connections on the other instance at once, not at their next connect", async () => {
  const ivan = await connect(a, "ivan");
  const judyA = await connect(a, "judy");
  const judyB = await connect(b, "judy");
  const witness = await connect(b, "witness2");
  judyA.send({ t: "mute", name: "ivan", ref: "m" });
  await judyA.next("ok", (m) => m.ref === "m");
  // The relation event and ivan's message travel the same bus in this order: no wait needed.
  await say(ivan, witness, "live-hidden");
  await say(witness, judyB, "after-live-hidden");
  assert.equal(judyB.messages.filter((m) => m.text === "live-hidden").length, 0, "hidden on the other instance");
  assert.equal(judyA.messages.filter((m) => m.text === "live-hidden").length, 0);
  judyB.send({ t: "unmute", name: "ivan", ref: "u" });
  await judyB.next("ok", (m) => m.ref === "u");
  await say(ivan, judyA, "live-visible");
  await judyB.next("visible on the instance that unmuted too", (m) => m.text === "live-visible");
  judyB.send({ t: "block", name: "ivan", ref: "b" });
  await judyB.next("ok", (m) => m.ref === "b");
  await say(ivan, witness, "live-blocked");
  await say(witness, judyA, "after-live-blocked");
  assert.equal(judyA.messages.filter((m) => m.text === "live-blocked").length, 0, "the block reached instance a");
});

test("an operator ban closes the player's chat connections on every instance with 4180; ended sessions with 4181", async () => {
  const k1 = await connect(a, "kate");
  const k2 = await connect(b, "kate");
  const l1 = await connect(b, "leo");
  const other = await connect(a, "mallory");
  await accountEvents.publish({ kind: "banned", account: ids.kate! });
  assert.equal((await k1.waitClosed()).code, CloseCode.AccountBanned);
  assert.equal((await k2.waitClosed()).code, CloseCode.AccountBanned);
  await accountEvents.publish({ kind: "sessions-revoked", account: ids.leo! });
  assert.equal((await l1.waitClosed()).code, CloseCode.SessionsRevoked);
  await accountEvents.publish({ kind: "banned", account: "id-nobody-here" });
  await say(other, other, "still here");
  assert.equal(other.closed, undefined);
});

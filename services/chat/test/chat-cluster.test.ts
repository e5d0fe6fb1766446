// Two chat instances on the real Redis and PostgreSQL, clients on each: channel messages reach
// every subscriber once and nobody else, the region channel follows the ownership record, whispers
// cross instances, history comes on join.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectPostgres, connectRedis, RedisShipOwnership } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, testRedisPrefix } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { migrateChat } from "../src/index.js";
import { Client, type Instance, type Msg, makeTokens, startInstance, type Tokens } from "./harness.js";

let testDb: TestDatabase;
let db: pg.Pool;
let redis: Redis;
let prefix: string;
let tokens: Tokens;
let a: Instance;
let b: Instance;
let ownership: RedisShipOwnership;
const clients: Client[] = [];
const ids = { alice: "id-alice", bob: "id-bob", carol: "id-carol" };

before(async () => {
  testDb = await createTestDatabase();
  db = await connectPostgres(testDb.url, { max: 4 });
  await migrateChat(db);
  redis = await connectRedis(TEST_REDIS_URL);
  prefix = testRedisPrefix();
  tokens = await makeTokens();
  ownership = new RedisShipOwnership(redis, { prefix });
  // alice and bob fly in region-0-0, carol in region-1-1: written the way the zone writes them.
  await ownership.move(ids.alice, "", 0, "region-0-0");
  await ownership.move(ids.bob, "", 0, "region-0-0");
  await ownership.move(ids.carol, "", 0, "region-1-1");
  // Rate limits out of the way here: limits.test.ts tests them.
  const limits = { rateBurst: 1000, rateMessages: 1000 };
  a = await startInstance({ redis, db, prefix, tokens }, {}, limits);
  b = await startInstance({ redis, db, prefix, tokens }, {}, limits);
});

after(async () => {
  for (const c of clients) c.close();
  await a.chat.close();
  await b.chat.close();
  await a.bus.close();
  await b.bus.close();
  await db.end();
  await testDb.drop();
  redis.disconnect();
});

async function connect(instance: Instance, name: keyof typeof ids | string): Promise<Client> {
  const sub = (ids as Record<string, string>)[name] ?? `id-${name}`;
  const c = new Client(instance.url, { token: await tokens.sign({ sub, name }) });
  clients.push(c);
  await c.ready();
  return c;
}

const count = (c: Client, pred: (m: Msg) => boolean) => c.messages.filter(pred).length;

let alice: Client;
let bob: Client;
let carol: Client;

test("welcome names the player and the region the ownership record gives, never the client", async () => {
  alice = await connect(a, "alice");
  bob = await connect(b, "bob");
  carol = await connect(a, "carol");
  const welcome = alice.messages.find((m) => m.t === "welcome");
  assert.deepEqual(welcome?.player, { id: ids.alice, name: "alice" });
  assert.equal(welcome?.region, "region-0-0");
  assert.equal(carol.messages.find((m) => m.t === "welcome")?.region, "region-1-1");
});

test("global messages reach every subscriber on both instances exactly once, in order", async () => {
  for (let i = 0; i < 4; i++) alice.send({ t: "say", channel: "global", text: `g${i}` });
  await bob.next("g3", (m) => m.text === "g3");
  bob.send({ t: "say", channel: "global", text: "g-end" });
  for (const c of [alice, bob, carol]) await c.next("g-end", (m) => m.text === "g-end");
  for (const c of [alice, bob, carol]) {
    const got = c.texts("global").filter((t) => t.startsWith("g"));
    assert.deepEqual(got.slice(0, 4), ["g0", "g1", "g2", "g3"], "alice's messages in her order");
    assert.equal(got.length, 5, "each exactly once");
  }
  const fromAlice = bob.messages.find((m) => m.text === "g0");
  assert.deepEqual(fromAlice?.from, { id: ids.alice, name: "alice" });
  assert.match(String(fromAlice?.id), /^\d+$/);
});

test("region messages reach the region's players on both instances and no one else", async () => {
  alice.send({ t: "say", channel: "region", text: "r-hello" });
  await bob.next("region message", (m) => m.text === "r-hello");
  await alice.next("own region message", (m) => m.text === "r-hello");
  // carol (region-1-1) is sent one after it on global: once she has that, she would have had the first.
  alice.send({ t: "say", channel: "global", text: "r-sentinel" });
  await carol.next("sentinel", (m) => m.text === "r-sentinel");
  assert.equal(
    count(carol, (m) => m.text === "r-hello"),
    0,
  );
  assert.equal(
    count(bob, (m) => m.text === "r-hello"),
    1,
  );
  assert.equal(bob.messages.find((m) => m.text === "r-hello")?.channel, "region:region-0-0");
});

test("the region channel follows the ship when the ownership record moves (a handoff)", async () => {
  const from = carol.messages.length;
  await ownership.move(ids.carol, "region-1-1", 1, "region-0-0");
  await carol.next("region change", (m) => m.t === "region" && m.region === "region-0-0", from);
  const hist = await carol.next("region history", (m) => m.t === "history" && m.channel === "region:region-0-0", from);
  assert.ok(
    hist.messages.some((m: Msg) => m.text === "r-hello"),
    "the new region's history on switching",
  );
  bob.send({ t: "say", channel: "region", text: "r-after-handoff" });
  await carol.next("message in her new region", (m) => m.text === "r-after-handoff");
  // Her own region messages go to region-0-0 now.
  carol.send({ t: "say", channel: "region", text: "r-from-carol" });
  const got = await bob.next("carol in region-0-0", (m) => m.text === "r-from-carol");
  assert.equal(got.channel, "region:region-0-0");
});

test("whispers cross instances to the named player only; offline and unknown names are refused", async () => {
  alice.send({ t: "whisper", to: "Bob", text: "psst", ref: 7 });
  const w = await bob.next("whisper", (m) => m.t === "whispered" && m.text === "psst");
  assert.deepEqual(w.from, { id: ids.alice, name: "alice" });
  await alice.next("own echo", (m) => m.t === "whispered" && m.text === "psst");
  alice.send({ t: "say", channel: "global", text: "w-sentinel" });
  await carol.next("sentinel", (m) => m.text === "w-sentinel");
  assert.equal(
    count(carol, (m) => m.t === "whispered"),
    0,
  );
  alice.send({ t: "whisper", to: "nobody_here", text: "hello?", ref: "r1" });
  const e = await alice.next("offline", (m) => m.t === "error" && m.ref === "r1");
  assert.equal(e.code, "STARLANE_ERR_CHAT_PLAYER_OFFLINE");
  alice.send({ t: "whisper", to: "<b>x</b>", text: "hello?", ref: "r2" });
  assert.equal((await alice.next("bad name", (m) => m.ref === "r2")).code, "STARLANE_ERR_CHAT_PLAYER_OFFLINE");
});

test("a player who joins later gets the channel's history, oldest first, with ids", async () => {
  const dave = await connect(b, "dave");
  const hist = dave.messages.find((m) => m.t === "history" && m.channel === "global");
  const texts = ((hist?.messages ?? []) as Msg[]).map((m) => m.text);
  const i = texts.indexOf("g0");
  assert.ok(i >= 0);
  assert.deepEqual(texts.slice(i, i + 5), ["g0", "g1", "g2", "g3", "g-end"]);
  const seqs = ((hist?.messages ?? []) as Msg[]).map((m) => Number(m.id));
  assert.deepEqual(
    seqs,
    [...seqs].sort((x, y) => x - y),
  );
  assert.ok(dave.messages.find((m) => m.t === "welcome")?.region === "", "no ship record: no region");
  dave.send({ t: "say", channel: "region", text: "x", ref: 1 });
  assert.equal((await dave.next("no region", (m) => m.ref === 1)).code, "STARLANE_ERR_CHAT_NO_REGION");
});

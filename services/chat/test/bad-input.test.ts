// Every kind of bad input from the list gets its documented code, nothing is interpreted,
// and a bystander on the same instance keeps chatting throughout. Real Redis and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CloseCode, connectPostgres, connectRedis } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, testRedisPrefix } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { migrateChat } from "../src/index.js";
import { Client, type Instance, makeTokens, startInstance, type Tokens } from "./harness.js";

let testDb: TestDatabase;
let db: pg.Pool;
let redis: Redis;
let tokens: Tokens;
let chat: Instance;
let capped: Instance;
let bystander: Client;
const clients: Client[] = [];

before(async () => {
  testDb = await createTestDatabase();
  db = await connectPostgres(testDb.url, { max: 4 });
  await migrateChat(db);
  redis = await connectRedis(TEST_REDIS_URL);
  tokens = await makeTokens();
  const deps = { redis, db, prefix: testRedisPrefix(), tokens };
  chat = await startInstance(deps);
  capped = await startInstance(deps, { maxConnectionsPerIp: 2, upgradesPerIpPerS: 50 });
  bystander = await connect(chat, "bystander");
});

after(async () => {
  for (const c of clients) c.close();
  await chat.chat.close();
  await capped.chat.close();
  await chat.bus.close();
  await capped.bus.close();
  await db.end();
  await testDb.drop();
  redis.disconnect();
});

async function connect(instance: Instance, name: string, options: { lt?: boolean; origin?: string } = {}) {
  const c = new Client(instance.url, {
    token: await tokens.sign({ name, ...(options.lt ? { lt: true } : {}) }),
    ...(options.origin ? { origin: options.origin } : {}),
  });
  clients.push(c);
  return c;
}

async function ready(instance: Instance, name: string) {
  const c = await connect(instance, name);
  await c.ready();
  return c;
}

/** The bystander still gets messages: the instance serves everyone else. */
async function stillServing(tag: string) {
  const from = bystander.messages.length;
  bystander.send({ t: "say", channel: "global", text: `still-${tag}` });
  await bystander.next(`own message ${tag}`, (m) => m.text === `still-${tag}`, from);
}

test("a missing, foreign, malformed or expired token: closed with 4100", async () => {
  const none = new Client(chat.url);
  const garbage = new Client(chat.url, { token: "not.a.jwt" });
  const expired = new Client(chat.url, { token: await tokens.sign({ name: "late", expiresIn: -60 }) });
  const foreign = new Client(chat.url, { token: await (await makeTokens()).sign({ name: "spy" }) });
  clients.push(none, garbage, expired, foreign);
  for (const c of [none, garbage, expired, foreign]) {
    assert.equal((await c.waitClosed()).code, 4100);
    assert.equal(c.messages.length, 0, "nothing is said to an unauthenticated connection");
  }
  await stillServing("token");
});

test("a browser page from another origin: HTTP 403 before any WebSocket; the front door's origin passes", async () => {
  const evil = await connect(chat, "evil", { origin: "https://evil.example" });
  await evil.waitClosed();
  assert.equal(evil.refusedStatus, 403);
  const own = await connect(chat, "ownpage", { origin: "http://localhost:8080" });
  await own.ready();
});

test("malformed frames close with 4103: bad JSON, not an object, unknown type, wrong field type, binary", async () => {
  const frames: (string | Buffer)[] = [
    "{not json",
    "[1,2]",
    JSON.stringify({ t: "join", channel: "party" }),
    JSON.stringify({ t: "say", channel: "global", text: 42 }),
    Buffer.from([1, 2, 3]),
  ];
  for (const [i, frame] of frames.entries()) {
    const c = await ready(chat, `malformed${i}`);
    c.ws.send(frame);
    assert.equal((await c.waitClosed()).code, 4103, `frame ${i}`);
  }
  await stillServing("malformed");
});

test("an oversized frame (a 100 KB message) closes with 4102; a 501-character message is refused, the connection stays", async () => {
  const big = await ready(chat, "bigsender");
  big.send({ t: "say", channel: "global", text: "x".repeat(100 * 1024) });
  assert.equal((await big.waitClosed()).code, 4102);
  const long = await ready(chat, "longsender");
  long.send({ t: "say", channel: "global", text: "y".repeat(501), ref: "long" });
  assert.equal((await long.next("too long", (m) => m.ref === "long")).code, "STARLANE_ERR_CHAT_TOO_LONG");
  // 500 characters of 4-byte code points are within limits: characters, not bytes or UTF-16 units.
  long.send({ t: "say", channel: "global", text: "🚀".repeat(500), ref: "ok" });
  await bystander.next("500 rockets", (m) => m.text === "🚀".repeat(500));
  long.send({ t: "say", channel: "global", text: "\u0000\u0007\n\t", ref: "empty" });
  assert.equal((await long.next("empty", (m) => m.ref === "empty")).code, "STARLANE_ERR_CHAT_EMPTY");
  assert.equal(long.closed, undefined);
  await stillServing("size");
});

test("an unknown channel gets its error; the connection stays", async () => {
  const c = await ready(chat, "wanderer");
  c.send({ t: "say", channel: "party:1234", text: "hi", ref: 1 });
  assert.equal((await c.next("error", (m) => m.ref === 1)).code, "STARLANE_ERR_CHAT_UNKNOWN_CHANNEL");
  c.send({ t: "say", channel: "global", text: "still here", ref: 2 });
  await bystander.next("message after the error", (m) => m.text === "still here");
});

test("HTML and script payloads are stored and sent as text, unchanged; control characters are stripped", async () => {
  const c = await ready(chat, "markup");
  const payload = `<img src=x onerror="alert(1)"><script>document.cookie</script>&amp; "quotes"`;
  c.send({ t: "say", channel: "global", text: `${payload}\u202e\u0000` });
  const got = await bystander.next("markup", (m) => m.from?.name === "markup");
  assert.equal(got.text, payload);
  const { rows } = await db.query("SELECT body FROM chat_messages WHERE sender_name = 'markup'");
  assert.equal(rows[0]?.body, payload);
});

test("a flood: the burst passes, then each message is refused with its code, and a flood that goes on closes with 4101", async () => {
  const c = await ready(chat, "flooder");
  for (let i = 0; i < 40; i++) c.send({ t: "say", channel: "global", text: `flood ${i}`, ref: i });
  assert.equal((await c.waitClosed()).code, 4101);
  const refused = c.messages.filter((m) => m.code === "STARLANE_ERR_CHAT_RATE_LIMITED").length;
  assert.equal(refused, 19, "refused until the 20th in a row, which closes");
  await bystander.next("the 5th flood message", (m) => m.text === "flood 4");
  assert.equal(
    bystander.messages.filter((m) => String(m.text).startsWith("flood ")).length,
    5,
    "only the burst got out",
  );
  await stillServing("flood");
});

test("per-address caps: a connection over the cap is closed with 4111 before any message; load-test (lt) tokens are exempt", async () => {
  const one = await connect(capped, "cap1");
  const two = await connect(capped, "cap2");
  await one.ready();
  await two.ready();
  const three = await connect(capped, "cap3");
  const closed = await three.waitClosed();
  assert.equal(closed.code, CloseCode.TooManyConnections);
  assert.deepEqual(three.messages, []);
  const bot = await connect(capped, "capbot", { lt: true });
  await bot.ready();
  one.close();
  await capped.chat.connections(); // the close is seen by the server below
  const four = await connect(capped, "cap4");
  await four.next("welcome after a slot freed", (m) => m.t === "welcome", 0, 5000);
});

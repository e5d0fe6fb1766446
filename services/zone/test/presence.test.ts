// Two deployments (or test runs) on one Redis under different key prefixes must not hear each
// other: Colyseus's room calls travel over channels named only after the room, which ioredis's
// keyPrefix leaves alone.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { RedisPresence } from "@colyseus/redis-presence";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { PrefixedRedisPresence } from "../src/presence.js";

const a = new PrefixedRedisPresence(TEST_REDIS_URL, testRedisPrefix());
const b = new PrefixedRedisPresence(TEST_REDIS_URL, testRedisPrefix());
const plain = new RedisPresence(TEST_REDIS_URL);
after(() => {
  for (const p of [a, b, plain]) p.shutdown();
});

test("a channel of one prefix is not heard under another prefix, nor unprefixed", async () => {
  const heard = { a: [] as unknown[], b: [] as unknown[], plain: [] as unknown[] };
  await a.subscribe("$region-1-1", (m) => heard.a.push(m));
  await b.subscribe("$region-1-1", (m) => heard.b.push(m));
  await plain.subscribe("$region-1-1", (m) => heard.plain.push(m));
  await a.publish("$region-1-1", ["acceptHandoff", "r1"]);
  await b.publish("$region-1-1", ["reserveResume", "r2"]);
  await waitFor("each its own message", () => heard.a.length === 1 && heard.b.length === 1, 3000);
  // One more round trip on each connection: anything misrouted would have arrived by now.
  await a.publish("$region-1-1", "fence");
  await b.publish("$region-1-1", "fence");
  await waitFor("the fences", () => heard.a.length === 2 && heard.b.length === 2, 3000);
  assert.deepEqual(heard.a, [["acceptHandoff", "r1"], "fence"]);
  assert.deepEqual(heard.b, [["reserveResume", "r2"], "fence"]);
  assert.deepEqual(heard.plain, []);
});

test("a room's scoped presence (Object.create of ours, as Colyseus makes it) keeps the prefix", async () => {
  const scoped = Object.create(a) as PrefixedRedisPresence;
  const heard: unknown[] = [];
  await a.subscribe("$region-0-0", (m) => heard.push(m));
  await scoped.publish("$region-0-0", "from the room");
  await waitFor("the scoped publish", () => heard.length === 1, 3000);
  assert.deepEqual(await scoped.channels("$region-0-*"), ["$region-0-0"]);
});

test("channels() lists only this prefix's channels, named as Colyseus named them", async () => {
  await a.subscribe("p:proc-a", () => {});
  await b.subscribe("p:proc-b", () => {});
  assert.deepEqual(await a.channels("p:*"), ["p:proc-a"]);
  assert.deepEqual(await b.channels("p:*"), ["p:proc-b"]);
  await a.unsubscribe("p:proc-a");
  await waitFor("the unsubscribe", async () => (await a.channels("p:*")).length === 0, 3000);
});

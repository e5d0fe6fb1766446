// Account events, one suite over both implementations (in-process and Redis).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  type AccountEvent,
  type AccountEvents,
  accountEventsChannel,
  LocalAccountEvents,
  parseAccountEvent,
  RedisAccountEvents,
} from "./account-events.js";
import { connectRedis } from "./stores.js";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "./testing.js";

const prefix = testRedisPrefix();
const redis = await connectRedis(TEST_REDIS_URL);
after(() => redis.disconnect());

const implementations: [string, (p: string) => AccountEvents][] = [
  ["in-process", () => new LocalAccountEvents()],
  ["redis", (p) => new RedisAccountEvents(redis, { prefix: p })],
];

for (const [name, make] of implementations) {
  describe(`account events (${name})`, () => {
    test("every follower sees each event published after it started, in order; a stopped one sees no more", async () => {
      const events = make(`${prefix}${name}:a:`);
      const one: AccountEvent[] = [];
      const two: AccountEvent[] = [];
      const stopOne = await events.follow((e) => one.push(e));
      const stopTwo = await events.follow((e) => two.push(e));
      try {
        await events.publish({ kind: "banned", account: "acc-1" });
        await events.publish({ kind: "sessions-revoked", account: "acc-2" });
        await waitFor("both events, both followers", () => one.length === 2 && two.length === 2);
        assert.deepEqual(one, [
          { kind: "banned", account: "acc-1" },
          { kind: "sessions-revoked", account: "acc-2" },
        ]);
        assert.deepEqual(two, one);
        await stopOne();
        await events.publish({ kind: "banned", account: "acc-3" });
        await waitFor("the third event", () => two.length === 3);
        assert.equal(one.length, 2);
      } finally {
        await stopOne();
        await stopTwo();
      }
    });

    test("events of another prefix (another deployment on the same Redis) are not seen", async () => {
      const mine = make(`${prefix}${name}:mine:`);
      const theirs = name === "redis" ? make(`${prefix}${name}:theirs:`) : new LocalAccountEvents();
      const seen: AccountEvent[] = [];
      const stop = await mine.follow((e) => seen.push(e));
      try {
        await theirs.publish({ kind: "banned", account: "other" });
        await mine.publish({ kind: "banned", account: "marker" });
        await waitFor("the marker", () => seen.some((e) => e.account === "marker"));
        assert.deepEqual(
          seen.map((e) => e.account),
          ["marker"],
        );
      } finally {
        await stop();
      }
    });
  });
}

test("redis: another process's events arrive; junk on the channel is dropped; the last stop closes the subscriber", async () => {
  const p = `${prefix}cross:`;
  const publisher = new RedisAccountEvents(redis, { prefix: p });
  const own = redis.duplicate();
  after(() => own.disconnect());
  const follower = new RedisAccountEvents(own, { prefix: p });
  const seen: AccountEvent[] = [];
  const stop = await follower.follow((e) => seen.push(e));
  await redis.publish(accountEventsChannel(p), "not json");
  await redis.publish(accountEventsChannel(p), JSON.stringify({ kind: "deleted", account: "x" }));
  await publisher.publish({ kind: "sessions-revoked", account: "acc-9" });
  await waitFor("the event", () => seen.length > 0);
  assert.deepEqual(seen, [{ kind: "sessions-revoked", account: "acc-9" }]);
  const subscribers = async () => ((await redis.pubsub("NUMSUB", accountEventsChannel(p))) as [string, number])[1];
  assert.equal(await subscribers(), 1);
  await stop();
  await waitFor("unsubscribed", async () => (await subscribers()) === 0);
});

test("parseAccountEvent accepts only the known kinds with an account id", () => {
  assert.deepEqual(parseAccountEvent('{"kind":"banned","account":"a"}'), { kind: "banned", account: "a" });
  for (const raw of [
    "",
    "null",
    "[]",
    '{"kind":"banned"}',
    '{"kind":"x","account":"a"}',
    '{"kind":"banned","account":1}',
  ]) {
    assert.equal(parseAccountEvent(raw), undefined, raw);
  }
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  createInProcessShipQueue,
  createLogger,
  createRedisShipPublisher,
  createRegistry,
  SHIP_FIELD,
  writeBehindKeys,
} from "@starlane/shared";
import { testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { fenceRegion } from "../src/epochs.js";
import { createPersistence, createShipRepository, type Persistence } from "../src/index.js";
import { type Db, dropPrefix, ownRedis, redisClient, schemaDatabase, ship, versions } from "./helpers.js";

const log = createLogger("persistence-test", "silent");
const redis = redisClient();
const prefixes: string[] = [];
const running: Persistence[] = [];
let t: Db;

before(async () => {
  t = await schemaDatabase();
});
after(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const p of prefixes) await dropPrefix(redis, p);
  redis.disconnect();
  await t.close();
});

function consumer(prefix: string, options: Record<string, number> = {}) {
  const registry = createRegistry("persistence");
  const p = createPersistence({ pool: t.pool, redis, log, registry }, { keyPrefix: prefix, blockMs: 50, ...options });
  running.push(p);
  return { p, registry };
}

const metric = async (registry: ReturnType<typeof createRegistry>, name: string) => {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
};

test("zones publish, the consumer writes the latest version of every ship and acknowledges after commit", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const { p, registry } = consumer(prefix);
  await p.start();
  const publisher = createRedisShipPublisher(redis, { prefix });
  for (let v = 1; v <= 20; v++) {
    for (let i = 0; i < 100; i++) publisher.publish(ship(`e2e-${i}`, v, { region: "region-3-3" }));
    await new Promise((r) => setTimeout(r, 2));
  }
  await publisher.flush();
  await waitFor("all ships at version 20", async () => {
    const vs = await versions(t.pool);
    return [...Array(100).keys()].every((i) => vs.get(`e2e-${i}`) === 20);
  });
  const { stream } = writeBehindKeys(prefix);
  await waitFor("stream drained", async () => (await redis.xlen(stream)) === 0);
  const text = await registry.metrics();
  for (const name of [
    "starlane_persistence_batch_size",
    "starlane_persistence_commit_seconds",
    "starlane_persistence_stream_lag",
    "starlane_persistence_rejected_stale_writes_total",
  ]) {
    assert.match(text, new RegExp(`^${name}`, "m"), name);
  }
  assert.ok((await metric(registry, "starlane_persistence_rows_written_total")) >= 100);
  publisher.close();
});

test("malformed entries go to the dead-letter stream with a reason; the stream keeps flowing", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const { stream, deadLetter } = writeBehindKeys(prefix);
  await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship("good-1", 1)));
  await redis.xadd(stream, "*", SHIP_FIELD, "{not json");
  await redis.xadd(stream, "*", "something", "else");
  await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify({ ...ship("bad-region", 1), region: "atlantis" }));
  await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify({ ...ship("bad-x", 1), x: "1e999" }));
  await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship("good-2", 1)));
  const { p, registry } = consumer(prefix);
  await p.start();
  await waitFor("stream drained", async () => (await redis.xlen(stream)) === 0);
  const vs = await versions(t.pool);
  assert.equal(vs.get("good-1"), 1);
  assert.equal(vs.get("good-2"), 1);
  assert.equal(vs.has("bad-region"), false);
  const dead = await redis.xrange(deadLetter, "-", "+");
  const reasons = dead.map(([, f]) => f[f.indexOf("reason") + 1]);
  assert.deepEqual(reasons.sort(), [
    'no "ship" field',
    "not JSON",
    "region: expected region-<col>-<row>",
    "x: expected a finite number",
  ]);
  assert.equal(await metric(registry, "starlane_persistence_dead_letter_total"), 4);
  assert.equal(p.notReadyReason(), null, "still consuming");
});

test("an entry PostgreSQL itself refuses is isolated and dead-lettered; the rest of its batch is written", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const { stream, deadLetter } = writeBehindKeys(prefix);
  for (let i = 0; i < 10; i++) {
    // A NUL character passes JSON and our validation, but PostgreSQL text cannot hold it.
    const name = i === 4 ? "nul\u0000name" : `ok-${i}`;
    await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship(`pgbad-${i}`, 1, { name })));
  }
  const { p, registry } = consumer(prefix);
  await p.start();
  await waitFor("stream drained", async () => (await redis.xlen(stream)) === 0);
  const vs = await versions(t.pool);
  assert.equal([...Array(10).keys()].filter((i) => vs.get(`pgbad-${i}`) === 1).length, 9);
  assert.equal(vs.has("pgbad-4"), false);
  const dead = await redis.xrange(deadLetter, "-", "+");
  assert.equal(dead.length, 1);
  assert.match(dead[0]![1][dead[0]![1].indexOf("reason") + 1]!, /^refused by PostgreSQL: /);
  assert.equal(await metric(registry, "starlane_persistence_dead_letter_total"), 1);
});

test("entries left pending by a dead consumer are reclaimed by a live one", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const { stream, group } = writeBehindKeys(prefix);
  await redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  for (let i = 0; i < 30; i++) await redis.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship(`orphan-${i}`, 3)));
  // A consumer reads them and dies before acknowledging.
  const taken = (await redis.xreadgroup("GROUP", group, "dead-one", "COUNT", 100, "STREAMS", stream, ">")) as [
    string,
    unknown[],
  ][];
  assert.equal(taken[0]![1].length, 30);
  const { p, registry } = consumer(prefix, { claimIdleMs: 150 });
  await p.start();
  await waitFor("orphans written", async () => {
    const vs = await versions(t.pool);
    return [...Array(30).keys()].every((i) => vs.get(`orphan-${i}`) === 3);
  });
  await waitFor("nothing pending", async () => ((await redis.xpending(stream, group)) as [number])[0] === 0);
  assert.equal(await metric(registry, "starlane_persistence_reclaimed_total"), 30);
});

test("several persistence instances share the stream; each entry is handled once", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const { stream } = writeBehindKeys(prefix);
  const pipeline = redis.pipeline();
  for (let i = 0; i < 3000; i++) pipeline.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship(`shared-${i}`, 1)));
  await pipeline.exec();
  const a = consumer(prefix, { batchSize: 50 });
  const b = consumer(prefix, { batchSize: 50 });
  await Promise.all([a.p.start(), b.p.start()]);
  await waitFor("stream drained", async () => (await redis.xlen(stream)) === 0, 20_000);
  const wa = await metric(a.registry, "starlane_persistence_rows_written_total");
  const wb = await metric(b.registry, "starlane_persistence_rows_written_total");
  assert.ok(wa > 0 && wb > 0, `both instances worked (${wa} + ${wb})`);
  assert.equal(wa + wb, 3000, "no entry written twice, none skipped");
});

test("a zone that lost its region: its writes are rejected and counted", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const region = "region-7-7";
  await fenceRegion(t.pool, region, 10);
  const { p, registry } = consumer(prefix);
  await p.start();
  const publisher = createRedisShipPublisher(redis, { prefix });
  publisher.publish(ship("fenced", 1, { region, epoch: 10, x: 1 }));
  await publisher.flush();
  await waitFor("owner's write", async () => (await versions(t.pool)).get("fenced") === 1);
  publisher.publish(ship("fenced", 2, { region, epoch: 9, x: 666 }));
  await publisher.flush();
  await waitFor(
    "rejection counted",
    async () => (await metric(registry, "starlane_persistence_rejected_stale_writes_total")) === 1,
  );
  assert.equal((await createShipRepository(t.pool).load("fenced"))?.x, 1);
  publisher.close();
});

test("embedded mode: the in-process queue is drained by the same consumer; flush means written", async () => {
  const queue = createInProcessShipQueue();
  const registry = createRegistry("persistence");
  const p = createPersistence({ pool: t.pool, queue, log, registry }, { blockMs: 50 });
  running.push(p);
  await p.start();
  for (let v = 1; v <= 3; v++) queue.publish(ship("embedded", v, { x: v }));
  queue.publish({ ...ship("nan", 1), x: Number.NaN });
  await queue.flush(5000);
  const row = await createShipRepository(t.pool).load("embedded");
  assert.equal(row?.version, 3);
  assert.equal(await metric(registry, "starlane_persistence_dead_letter_total"), 1);
});

test("stop() returns by the stop timeout even when Redis has gone away", async () => {
  const server = await ownRedis();
  const lost = redisClient(server.url);
  const p = createPersistence(
    { pool: t.pool, redis: lost, log, registry: createRegistry("persistence") },
    { keyPrefix: testRedisPrefix(), blockMs: 50, stopTimeoutMs: 300 },
  );
  await p.start();
  await server.stop();
  const t0 = Date.now();
  await p.stop();
  assert.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms`);
  lost.disconnect();
});

// PostgreSQL stops under load and comes back: the consumer retries with backoff, acknowledges
// nothing it has not committed, and catches up. Uses a PostgreSQL of its own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  connectPostgres,
  createLogger,
  createRedisShipPublisher,
  createRegistry,
  writeBehindKeys,
} from "@starlane/shared";
import { testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type pg from "pg";
import { createPersistence, migratePersistence, type Persistence } from "../src/index.js";
import { dropPrefix, type OwnPostgres, ownPostgres, redisClient, ship, versions } from "./helpers.js";

const redis = redisClient();
const prefix = testRedisPrefix();
let server: OwnPostgres;
let pool: pg.Pool;
let persistence: Persistence | undefined;

before(async () => {
  server = await ownPostgres();
  pool = await connectPostgres(server.url, { max: 4, connectionTimeoutMillis: 1000 });
  await migratePersistence(pool);
});
after(async () => {
  await persistence?.stop();
  await pool.end();
  await server.destroy();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

test("PostgreSQL stopped and restarted under load: retries, nothing acknowledged early, catches up, nothing lost", async () => {
  const registry = createRegistry("persistence");
  const log = createLogger("persistence-test", "silent");
  const consumer = createPersistence(
    { pool, redis, log, registry },
    { keyPrefix: prefix, blockMs: 50, batchSize: 500, maxRetryMs: 200 },
  );
  persistence = consumer;
  await consumer.start();
  const { stream, group } = writeBehindKeys(prefix);
  const publisher = createRedisShipPublisher(redis, { prefix });
  const ships = 300;
  let version = 0;
  // Zones keep publishing every 20 ms whatever the database does.
  const load = setInterval(() => {
    version++;
    for (let i = 0; i < ships; i++) publisher.publish(ship(`out-${i}`, version, { region: `region-${i % 3}-1` }));
  }, 20);
  try {
    await waitFor("writes flowing", async () => ((await versions(pool)).get("out-0") ?? 0) >= 3, 10_000);
    await server.stop();
    const stoppedAt = version;
    await waitFor("failures seen", () => consumer.notReadyReason() !== null, 5000);
    await waitFor("the zones keep publishing", () => version >= stoppedAt + 40, 5000);
    // Entries wait in the stream: the batch in hand is pending, not acknowledged.
    assert.ok(((await redis.xpending(stream, group)) as [number])[0] > 0, "batch in hand still pending");
    assert.ok((await redis.xlen(stream)) >= ships, "published states are waiting in the stream");
    const errors = (await registry.getSingleMetric("starlane_persistence_db_errors_total")?.get())?.values[0]?.value;
    assert.ok((errors ?? 0) >= 2, `retried (${errors} failed attempts)`);

    await server.start();
    await waitFor("consumer healthy again", () => consumer.notReadyReason() === null, 10_000);
  } finally {
    clearInterval(load);
  }
  await publisher.flush();
  const last = version;
  await waitFor(
    "caught up",
    async () => (await redis.xlen(stream)) === 0 && ((await redis.xpending(stream, group)) as [number])[0] === 0,
    20_000,
  );
  const vs = await versions(pool);
  for (let i = 0; i < ships; i++) assert.equal(vs.get(`out-${i}`), last, `out-${i} at its last published version`);
  publisher.close();
});

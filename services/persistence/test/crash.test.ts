// The persistence process is killed (kill -9) or stopped (SIGTERM) in the middle of the stream.
// A test-only trigger logs every row change, so "applied twice" and "went back in time" are
// observed directly, not inferred.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SHIP_FIELD, writeBehindKeys } from "@starlane/shared";
import { testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { startPersistence } from "./child.js";
import type { Redis } from "ioredis";
import { type Db, dropPrefix, ownRedis, redisClient, schemaDatabase, ship } from "./helpers.js";

const redis = redisClient();
const prefixes: string[] = [];
let t: Db;

before(async () => {
  t = await schemaDatabase();
  await t.pool.query(`
    CREATE TABLE applied_log (seq bigserial PRIMARY KEY, player_id text NOT NULL, version bigint NOT NULL, x float8 NOT NULL);
    CREATE FUNCTION log_applied() RETURNS trigger AS $$
      BEGIN INSERT INTO applied_log (player_id, version, x) VALUES (NEW.player_id, NEW.version, NEW.x); RETURN NEW; END
    $$ LANGUAGE plpgsql;
    CREATE TRIGGER log_applied AFTER INSERT OR UPDATE ON characters FOR EACH ROW EXECUTE FUNCTION log_applied();
    -- Each batch takes 30 ms longer: the consumer is then almost always inside a batch, as under load.
    CREATE FUNCTION slow_batch() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.03); RETURN NULL; END $$ LANGUAGE plpgsql;
    CREATE TRIGGER slow_batch AFTER INSERT ON characters FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();`);
});
after(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  redis.disconnect();
  await t.close();
});

/** What zones would have published over a minute: every ship, versions 1..versions, in order. */
async function publishHistory(
  redis: Redis,
  prefix: string,
  tag: string,
  players: number,
  versions: number,
): Promise<void> {
  const { stream } = writeBehindKeys(prefix);
  for (let v = 1; v <= versions; v++) {
    const pipeline = redis.pipeline();
    for (let i = 0; i < players; i++) {
      const region = `region-${i % 4}-0`;
      pipeline.xadd(stream, "*", SHIP_FIELD, JSON.stringify(ship(`${tag}-${i}`, v, { region })));
    }
    await pipeline.exec();
  }
}

async function appliedCount(tag: string): Promise<number> {
  const { rows } = await t.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM applied_log WHERE player_id LIKE $1",
    [`${tag}-%`],
  );
  return rows[0]!.n;
}

async function pending(prefix: string): Promise<number> {
  const { stream, group } = writeBehindKeys(prefix);
  return ((await redis.xpending(stream, group)) as [number])[0];
}

/** Every applied change, per player, in commit order: no version twice, never backwards. */
async function assertHistoryClean(tag: string): Promise<number> {
  const { rows } = await t.pool.query<{ player_id: string; version: string; x: number }>(
    "SELECT player_id, version, x FROM applied_log WHERE player_id LIKE $1 ORDER BY seq",
    [`${tag}-%`],
  );
  const last = new Map<string, number>();
  for (const r of rows) {
    const v = Number(r.version);
    const prev = last.get(r.player_id) ?? 0;
    assert.ok(v > prev, `${r.player_id}: version ${v} applied after ${prev} (twice or backwards)`);
    assert.equal(r.x, v * 10, "the row holds that version's state");
    last.set(r.player_id, v);
  }
  return rows.length;
}

test("kill -9 mid-batch, then restart: nothing lost, nothing applied twice, no row regressed", async (ctx) => {
  // Its own redis-server, so the test can hold Redis writes (CLIENT PAUSE WRITE) while the consumer
  // has a committed batch it has not acknowledged: the narrow window that matters, hit on purpose.
  const server = await ownRedis();
  const r = redisClient(server.url);
  const prefix = testRedisPrefix();
  const tag = "crash";
  const players = 400;
  const versions = 50;
  try {
    await publishHistory(r, prefix, tag, players, versions);
    const { stream, group } = writeBehindKeys(prefix);
    const env = {
      REDIS_URL: server.url,
      DATABASE_URL: t.db.url,
      STARLANE_KEY_PREFIX: prefix,
      STARLANE_PERSISTENCE_BATCH: "200",
      STARLANE_PERSISTENCE_CLAIM_IDLE_MS: "300",
    };
    let committedOrphans = 0;
    for (let attempt = 1; attempt <= 8 && committedOrphans === 0; attempt++) {
      const child = startPersistence(env);
      await child.port;
      // A batch is in hand (read, not acknowledged): hold Redis writes, so it commits and then
      // cannot acknowledge.
      await waitFor("a batch in hand", async () => ((await r.xpending(stream, group)) as [number])[0] > 0, 20_000, 1);
      await r.client("PAUSE", 60_000, "WRITE");
      // Wait until its writes stop: it is now held by Redis (acknowledging, or reading).
      let last = -1;
      for (let n = await appliedCount(tag); n !== last; n = await appliedCount(tag)) {
        last = n;
        await new Promise((res) => setTimeout(res, 300));
      }
      child.proc.kill("SIGKILL");
      assert.equal(await child.exited, null, "killed, not exited");
      await r.client("UNPAUSE");
      const held = (await r.xpending(stream, group, "-", "+", 10_000)) as [string][];
      for (const [id] of held) {
        const [[, fields]] = (await r.xrange(stream, id, id)) as [[string, string[]]];
        const s = JSON.parse(fields[1]!) as { playerId: string; version: number };
        const { rows } = await t.pool.query("SELECT 1 FROM characters WHERE player_id = $1 AND version >= $2", [
          s.playerId,
          s.version,
        ]);
        committedOrphans += rows.length;
      }
      ctx.diagnostic(
        `attempt ${attempt}: killed holding ${held.length} entries, ${committedOrphans} already committed`,
      );
    }
    assert.ok(committedOrphans > 0, "killed after COMMIT and before XACK at least once");
    assert.ok((await r.xlen(stream)) > 0, "killed before the end of the stream");

    const last = startPersistence(env);
    try {
      const port = await last.port;
      await waitFor(
        "stream drained",
        async () => (await r.xlen(stream)) === 0 && ((await r.xpending(stream, group)) as [number])[0] === 0,
        60_000,
      );
      const { rows } = await t.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM characters WHERE player_id LIKE $1 AND version = $2 AND x = $3",
        [`${tag}-%`, versions, versions * 10],
      );
      assert.equal(rows[0]!.n, players, "every ship ends at its last published state");
      await assertHistoryClean(tag);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const reclaimed = Number(/^starlane_persistence_reclaimed_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
      assert.ok(reclaimed > 0, "the restarted consumer took over the dead one's entries");
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    } finally {
      last.proc.kill("SIGTERM");
      await last.exited;
    }
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test("SIGTERM finishes the batch in hand: exits 0 with nothing of its own left pending", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const tag = "term";
  await publishHistory(redis, prefix, tag, 400, 30);
  const child = startPersistence({
    DATABASE_URL: t.db.url,
    STARLANE_KEY_PREFIX: prefix,
    STARLANE_PERSISTENCE_BATCH: "500",
  });
  await child.port;
  await waitFor("a batch in hand", async () => (await pending(prefix)) > 0, 20_000, 1);
  child.proc.kill("SIGTERM");
  assert.equal(await child.exited, 0, child.output());
  assert.equal(await pending(prefix), 0, "the batch in hand was committed and acknowledged");
  const { stream } = writeBehindKeys(prefix);
  assert.ok((await redis.xlen(stream)) > 0, "it stopped reading: the rest waits in the stream");
  assert.ok((await assertHistoryClean(tag)) > 0);
});

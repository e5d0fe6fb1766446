// Benchmark: ship rows written per second and commit latency, the set-based batched upsert
// (writeShipBatch) against a row-per-statement baseline measured in the same run, on the same
// database, with the same fencing and version checks. Then the whole path: Redis Stream ->
// consumer -> PostgreSQL.
//
//   node --conditions=starlane-source --import tsx services/persistence/bench/upsert.ts \
//     [--ships 20000] [--batch 1000] [--seconds 10] [--stream 100000]
//
// Uses the local PostgreSQL and Redis (DATABASE_URL / REDIS_URL as for the tests) in a database
// and key prefix of its own, dropped afterwards. Prints figures; asserts nothing.
import { parseArgs } from "node:util";
import {
  connectPostgres,
  connectRedis,
  createLogger,
  createRegistry,
  SHIP_FIELD,
  type ShipState,
  writeBehindKeys,
} from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import type pg from "pg";
import { createPersistence, migratePersistence, writeShipBatch } from "../src/index.js";

const { values } = parseArgs({
  options: {
    ships: { type: "string", default: "20000" },
    batch: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    stream: { type: "string", default: "100000" },
  },
});
const SHIPS = Number(values.ships);
const BATCH = Number(values.batch);
const SECONDS = Number(values.seconds);
const STREAM = Number(values.stream);
const REGIONS = 16;

let version = 0;
function round(): ShipState[] {
  version++;
  return Array.from({ length: SHIPS }, (_, i) => ({
    playerId: `bench-${i}`,
    name: `pilot ${i}`,
    region: `region-${i % 4}-${Math.floor(i / 4) % 4}`,
    x: Math.random() * 8000,
    y: Math.random() * 8000,
    vx: Math.random() * 10,
    vy: Math.random() * 10,
    heading: Math.random() * 6.28,
    hull: 100,
    cargo: i % 50,
    credits: 1000 + i,
    version,
    epoch: 1,
    ledgerVersion: 0,
  }));
}

// The baseline: the same transaction shape and checks, one INSERT ... ON CONFLICT per row.
async function writeRowByRow(pool: pg.Pool, states: ShipState[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const regions = [...new Set(states.map((s) => s.region))].sort();
    for (const r of regions) {
      const epoch = Math.max(...states.filter((s) => s.region === r).map((s) => s.epoch));
      await client.query(
        `INSERT INTO region_epochs (region, epoch) VALUES ($1, $2)
         ON CONFLICT (region) DO UPDATE SET epoch = EXCLUDED.epoch WHERE region_epochs.epoch < EXCLUDED.epoch`,
        [r, epoch],
      );
    }
    for (const s of states) {
      await client.query(
        `INSERT INTO characters AS c (player_id, name, region, x, y, vx, vy, heading, hull, cargo, credits, version, epoch, ledger_version)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
         WHERE $13 >= (SELECT epoch FROM region_epochs WHERE region = $3)
         ON CONFLICT (player_id) DO UPDATE SET
           name = EXCLUDED.name, region = EXCLUDED.region, x = EXCLUDED.x, y = EXCLUDED.y, vx = EXCLUDED.vx,
           vy = EXCLUDED.vy, heading = EXCLUDED.heading, hull = EXCLUDED.hull,
           cargo = CASE WHEN EXCLUDED.ledger_version = c.ledger_version THEN EXCLUDED.cargo ELSE c.cargo END,
           credits = CASE WHEN EXCLUDED.ledger_version = c.ledger_version THEN EXCLUDED.credits ELSE c.credits END,
           version = EXCLUDED.version, epoch = EXCLUDED.epoch, updated_at = now()
         WHERE c.version < EXCLUDED.version`,
        [
          s.playerId,
          s.name,
          s.region,
          s.x,
          s.y,
          s.vx,
          s.vy,
          s.heading,
          s.hull,
          s.cargo,
          s.credits,
          s.version,
          s.epoch,
          0,
        ],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(name: string, write: (batch: ShipState[]) => Promise<unknown>) {
  const latencies: number[] = [];
  let rows = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  while (performance.now() < deadline) {
    const states = round();
    for (let i = 0; i < states.length && performance.now() < deadline; i += BATCH) {
      const batch = states.slice(i, i + BATCH);
      const b0 = performance.now();
      await write(batch);
      latencies.push(performance.now() - b0);
      rows += batch.length;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const line = {
    method: name,
    rows,
    seconds: +secs.toFixed(2),
    rowsPerSec: Math.round(rows / secs),
    batches: latencies.length,
    commitP50ms: +pct(latencies, 50).toFixed(1),
    commitP99ms: +pct(latencies, 99).toFixed(1),
    commitMaxMs: +latencies[latencies.length - 1]!.toFixed(1),
  };
  console.log(JSON.stringify(line));
  return line;
}

async function streamToPostgres(pool: pg.Pool): Promise<void> {
  const redis = await connectRedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = testRedisPrefix();
  const { stream } = writeBehindKeys(prefix);
  try {
    const states = round();
    for (let i = 0; i < STREAM; i += 5000) {
      const pipeline = redis.pipeline();
      for (let j = i; j < Math.min(STREAM, i + 5000); j++) {
        const s = states[j % SHIPS]!;
        pipeline.xadd(stream, "*", SHIP_FIELD, JSON.stringify({ ...s, version: s.version + Math.floor(j / SHIPS) }));
      }
      await pipeline.exec();
    }
    version += Math.ceil(STREAM / SHIPS);
    const registry = createRegistry("persistence");
    const persistence = createPersistence(
      { pool, redis, log: createLogger("bench", "silent"), registry },
      { keyPrefix: prefix, batchSize: BATCH, blockMs: 50 },
    );
    const t0 = performance.now();
    await persistence.start();
    while ((await redis.xlen(stream)) > 0) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    await persistence.stop();
    const h = (await registry.getSingleMetric("starlane_persistence_commit_seconds")!.get()).values;
    const count = h.find((v) => (v as { metricName?: string }).metricName?.endsWith("_count"))?.value ?? 0;
    console.log(
      JSON.stringify({
        method: "stream->consumer->postgres (end to end)",
        entries: STREAM,
        seconds: +secs.toFixed(2),
        entriesPerSec: Math.round(STREAM / secs),
        batches: count,
      }),
    );
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

const db = await createTestDatabase();
const pool = await connectPostgres(db.url, { max: 4 });
try {
  await migratePersistence(pool);
  console.log(JSON.stringify({ ships: SHIPS, batch: BATCH, secondsEach: SECONDS, regions: REGIONS }));
  for (let i = 0; i < SHIPS; i += BATCH) await writeShipBatch(pool, round().slice(i, i + BATCH)); // rows exist
  const batched = await measure("batched unnest upsert", (b) => writeShipBatch(pool, b));
  const perRow = await measure("row-per-statement baseline", (b) => writeRowByRow(pool, b));
  console.log(JSON.stringify({ speedup: +(batched.rowsPerSec / perRow.rowsPerSec).toFixed(1) }));
  if (STREAM > 0) await streamToPostgres(pool);
} finally {
  await pool.end();
  await db.drop();
}

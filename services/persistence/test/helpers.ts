// Test scaffolding: a fresh database with the persistence schema, ship states, and an isolated
// Redis prefix that is cleaned up afterwards.
import { connectPostgres, type ShipState } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@starlane/shared/testing";
import { Redis } from "ioredis";
import type pg from "pg";
import { migratePersistence } from "../src/index.js";

export interface Db {
  db: TestDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function schemaDatabase(): Promise<Db> {
  const db = await createTestDatabase();
  const pool = await connectPostgres(db.url, { max: 8 });
  await migratePersistence(pool);
  return {
    db,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

export function ship(playerId: string, version: number, extra: Partial<ShipState> = {}): ShipState {
  return {
    playerId,
    name: `pilot-${playerId}`,
    region: "region-0-0",
    x: version * 10,
    y: version,
    vx: 1,
    vy: 0,
    heading: 0,
    hull: 100,
    cargo: 0,
    credits: 0,
    version,
    epoch: 1,
    ledgerVersion: 0,
    ...extra,
  };
}

export const redisClient = (): Redis => {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  r.on("error", () => {});
  return r;
};

export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
}

export async function versions(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ player_id: string; version: string }>(
    "SELECT player_id, version FROM characters",
  );
  return new Map(rows.map((r) => [r.player_id, Number(r.version)]));
}

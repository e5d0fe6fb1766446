// Test scaffolding: a fresh database with the persistence schema, ship states, and an isolated
// Redis prefix that is cleaned up afterwards.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectPostgres, type ShipState } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, waitFor } from "@starlane/shared/testing";
import { Redis } from "ioredis";
import type pg from "pg";
import { migratePersistence } from "../src/index.js";

const execFileAsync = promisify(execFile);

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

export const redisClient = (url = TEST_REDIS_URL): Redis => {
  const r = new Redis(url, { maxRetriesPerRequest: null });
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

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });

/** A redis-server of the test's own (to pause or kill), never the shared one. */
export async function ownRedis(): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 20 });
  probe.on("error", () => {});
  await waitFor(
    "own redis-server",
    () =>
      probe.ping().then(
        (p) => p === "PONG",
        () => false,
      ),
    5000,
    20,
  );
  probe.disconnect();
  return {
    url,
    proc,
    stop: async () => {
      proc.kill("SIGCONT");
      proc.kill("SIGKILL");
      if (proc.exitCode === null) await once(proc, "exit");
    },
  };
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface OwnPostgres {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL of the test's own in a temp folder on a free port, to stop and start at will (the
 * machine's shared one is never touched). initdb refuses to run as root: run it as `postgres`.
 */
export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "starlane-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileAsync("runuser", ["-u", "postgres", "--", `${PG_BIN}/${bin}`, ...args])
      : execFileAsync(`${PG_BIN}/${bin}`, args);
  const port = await freePort();
  const data = join(dir, "data");
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-N"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pg = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await run("pg_ctl", ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "start"]);
    },
    stop: async () => {
      await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    destroy: async () => {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

// Connections to the two real engines, with one clear line when either is unreachable instead of a
// retry loop or a timeout buried in a stack trace.
import { Redis, type RedisOptions } from "ioredis";
import pg from "pg";

export class UnreachableError extends Error {
  override name = "UnreachableError";
}

const REDIS_HINT = "start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no";
const PG_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

/** Connects and pings once; rejects with UnreachableError naming the URL. */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, ...options });
  // Without a listener ioredis prints every reconnect failure as an unhandled error event.
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new UnreachableError(`Redis at ${redact(url)} is unreachable (${(err as Error).message}); ${REDIS_HINT}`);
  }
}

/** Makes a pool and checks one connection; rejects with UnreachableError naming the problem. */
export async function connectPostgres(url: string, options: pg.PoolConfig = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000, ...options });
  pool.on("error", () => {}); // an idle client dying is retried by the pool; queries still reject
  try {
    const client = await pool.connect();
    client.release();
    return pool;
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as Error & { code?: string };
    if (e.code === "3D000") {
      const db = new URL(url).pathname.slice(1);
      throw new UnreachableError(
        `PostgreSQL database "${db}" does not exist at ${redact(url)}; create it with: createdb -h 127.0.0.1 -U postgres ${db}`,
      );
    }
    throw new UnreachableError(`PostgreSQL at ${redact(url)} is unreachable (${e.message}); ${PG_HINT}`);
  }
}

/** Runs `work` in one transaction on one pooled connection: COMMIT if it resolves, ROLLBACK if not. */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await work(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

// The embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM, data in a folder) served over the
// PostgreSQL wire protocol on loopback, so every service uses the same `pg` code as in the cluster.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * Pool size for the embedded database: one. PGlite runs one statement at a time and the socket
 * server queues messages from all connections into it; with two or more connections, one
 * connection's Parse can land between another's Parse and Bind and replace its unnamed prepared
 * statement ("bind message supplies 1 parameters, but prepared statement "" requires 3"). One
 * connection shared by every service in the process serialises them instead.
 */
export const EMBEDDED_POOL_MAX = 1;

export interface EmbeddedPostgres {
  /** A postgres:// URL for `pg` (loopback, port chosen by the OS). */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // One connection (see EMBEDDED_POOL_MAX): a second one is refused rather than allowed to interleave.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: EMBEDDED_POOL_MAX });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

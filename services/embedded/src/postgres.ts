// The embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM, data in a folder) served over the
// PostgreSQL wire protocol on loopback, so every service uses the same `pg` code as in the cluster.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** A postgres:// URL for `pg` (loopback, port chosen by the OS). */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // The socket server queues queries and keeps a transaction's statements on their own
  // connection, so several pooled connections are safe; PGlite itself runs one at a time.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

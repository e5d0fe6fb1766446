// The embedded PostgreSQL under concurrent work from several services: transactions and plain
// parameterised queries at once, as login, persistence and the zone issue them under npm start.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectPostgres } from "@starlane/shared";
import { EMBEDDED_POOL_MAX, startEmbeddedPostgres } from "../src/postgres.js";

test("concurrent transactions and parameterised queries never interleave on the embedded database", async () => {
  const dir = mkdtempSync(join(tmpdir(), "starlane-pglite-"));
  const pg = await startEmbeddedPostgres(dir);
  // 200 callers queue for one connection: on a loaded machine the last wait longer than the
  // default 5 s pool wait, which is about load, not about interleaving.
  const db = await connectPostgres(pg.url, { max: EMBEDDED_POOL_MAX, connectionTimeoutMillis: 120_000 });
  try {
    await db.query("CREATE TABLE t (a int, b text, c int)");
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        try {
          if (i % 2) {
            const c = await db.connect();
            try {
              await c.query("BEGIN");
              await c.query("INSERT INTO t (a, b, c) VALUES ($1, $2, $3)", [i, `x${i}`, i]);
              await c.query("SELECT count(*) FROM t WHERE b = $1", [`x${i}`]);
              await c.query("COMMIT");
            } finally {
              c.release();
            }
          } else {
            await db.query("INSERT INTO t (a, b, c) VALUES ($1, $2, $3)", [i, `x${i}`, i * 2]);
            await db.query("SELECT a FROM t WHERE a = $1", [i]);
          }
        } catch (err) {
          failures.push((err as Error).message);
        }
      }),
    );
    assert.deepEqual(failures, []);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM t");
    assert.equal(rows[0].n, 200);
  } finally {
    await db.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type pg from "pg";
import { loadMigrations, migrate } from "./migrate.js";
import { connectPostgres } from "./stores.js";
import { createTestDatabase, type TestDatabase } from "./testing.js";

let db: TestDatabase;
let pools: pg.Pool[] = [];
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});

const dir = mkdtempSync(join(tmpdir(), "starlane-migrations-"));
writeFileSync(join(dir, "001_things.sql"), "CREATE TABLE things (id int PRIMARY KEY);");
writeFileSync(join(dir, "002_more.sql"), "ALTER TABLE things ADD COLUMN name text;");
writeFileSync(join(dir, "README.md"), "not a migration");

test("loadMigrations reads NNN_name.sql in order and ignores other files", () => {
  assert.deepEqual(
    loadMigrations(dir).map((m) => [m.version, m.name]),
    [
      [1, "things"],
      [2, "more"],
    ],
  );
});

test("two instances migrating at once apply each version exactly once; a rerun applies nothing", async () => {
  pools = [await connectPostgres(db.url), await connectPostgres(db.url)];
  const [a, b] = await Promise.all(pools.map((p) => migrate(p, "test", loadMigrations(dir))));
  assert.deepEqual([...a!, ...b!].sort(), [1, 2]);
  assert.deepEqual(await migrate(pools[0]!, "test", loadMigrations(dir)), []);
  const { rows } = await pools[0]!.query("SELECT component, version FROM schema_migrations ORDER BY version");
  assert.deepEqual(rows, [
    { component: "test", version: 1 },
    { component: "test", version: 2 },
  ]);
});

test("a failing migration rolls back alone and names itself", async () => {
  const bad = [{ version: 3, name: "broken", sql: "ALTER TABLE things ADD COLUMN ok int; SELECT nope FROM nowhere;" }];
  await assert.rejects(migrate(pools[0]!, "test", bad), /migration test\/3_broken failed/);
  const { rows } = await pools[0]!.query(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'things' AND column_name = 'ok'",
  );
  assert.equal(rows[0].n, 0);
});

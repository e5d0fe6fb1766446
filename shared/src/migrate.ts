// Versioned schema migrations, run at boot by each service that owns tables. Safe when several
// instances start at once (a PostgreSQL advisory lock serialises them) and idempotent (applied
// versions are recorded per component). Each migration runs in its own transaction.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNN_name.sql` files from a folder, in version order. */
export function loadMigrations(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), "utf8") });
  }
  const versions = out.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions in ${dir}`);
  return out;
}

// One lock for every component: migrations of different services may touch shared tables.
const LOCK_KEY = 0x5374_6172; // "Star"

/**
 * Applies the migrations of `component` not yet recorded. Returns the versions it applied.
 * A migration that fails rolls back alone and stops the run with its name in the error.
 */
export async function migrate(pool: pg.Pool, component: string, migrations: Migration[]): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component text NOT NULL,
      version integer NOT NULL,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version)
    )`);
    const { rows } = await client.query<{ version: number }>(
      "SELECT version FROM schema_migrations WHERE component = $1",
      [component],
    );
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query("BEGIN");
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)", [
          component,
          m.version,
          m.name,
        ]);
        await client.query("COMMIT");
        applied.push(m.version);
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`migration ${component}/${m.version}_${m.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

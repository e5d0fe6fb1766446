// The persistence component's tables (characters, trades and ledger, region epochs), applied with
// the shared migration runner so login, zones and persistence instances can all call it at boot.
import { fileURLToPath } from "node:url";
import { loadMigrations, migrate } from "@starlane/shared";
import type pg from "pg";

// ../migrations from both src/ (tests, tsx) and dist/ (built).
const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

export const MIGRATION_COMPONENT = "persistence";

/** Applies the persistence migrations not yet applied; returns their versions. */
export function migratePersistence(pool: pg.Pool): Promise<number[]> {
  return migrate(pool, MIGRATION_COMPONENT, loadMigrations(MIGRATIONS));
}

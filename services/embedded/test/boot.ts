// The embedded composition (what `npm start` runs) on a fresh test database and free ports, for the
// tests of this package: booted, listening, and torn down with its database.
import { loginConfig } from "@starlane/login";
import { connectPostgres, createLogger, loadConfig } from "@starlane/shared";
import { createTestDatabase } from "@starlane/shared/testing";
import { zoneConfig } from "@starlane/zone";
import type pg from "pg";
import { createEmbedded, type Embedded } from "../src/index.js";

export interface Booted {
  sl: Embedded;
  db: pg.Pool;
  /** The front door, `http://127.0.0.1:<port>`. */
  base: string;
  close(): Promise<void>;
}

/** Boots the system with login and zone settings from `env` (front door and zone on free ports). */
export async function bootEmbedded(env: Record<string, string>): Promise<Booted> {
  const settings = { STARLANE_FRONT_DOOR_PORT: "0", STARLANE_ZONE_PORT: "0", ...env };
  const tdb = await createTestDatabase();
  const db = await connectPostgres(tdb.url, { max: 4 });
  const sl = await createEmbedded(
    { log: createLogger("test", "warn"), db },
    {
      embedded: {
        host: "127.0.0.1",
        publicHost: "127.0.0.1",
        frontDoorPort: 0,
        dataDir: "",
        databaseUrl: tdb.url,
        logLevel: "warn",
      },
      login: loadConfig(loginConfig, settings),
      zone: loadConfig(zoneConfig, settings),
    },
  );
  const { frontDoor } = await sl.listen();
  return {
    sl,
    db,
    base: `http://127.0.0.1:${frontDoor.port}`,
    async close() {
      await sl.close();
      await db.end();
      await tdb.drop();
    },
  };
}

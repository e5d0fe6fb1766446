// Every Starlane service in one process: what `npm start` runs. Services join here as they land.
import { fileURLToPath } from "node:url";
import { type Login, type LoginConfig, mountLogin } from "@starlane/login";
import { createPersistence, migratePersistence, type Persistence } from "@starlane/persistence";
import {
  type ConfigOf,
  createApp,
  createInProcessShipQueue,
  createRegistry,
  type InProcessShipQueue,
  listen,
  type Listening,
  type Logger,
  mountNotFound,
  mountOps,
} from "@starlane/shared";
import type pg from "pg";
import type { embeddedConfig } from "./config.js";
import { mountStatic } from "./static.js";

export interface EmbeddedDeps {
  log: Logger;
  db: pg.Pool;
}

export interface EmbeddedConfig {
  embedded: ConfigOf<typeof embeddedConfig>;
  login: LoginConfig;
}

export interface Embedded {
  login: Login;
  persistence: Persistence;
  /** Where zones publish changed ship state; the persistence consumer drains it into PostgreSQL. */
  ships: InProcessShipQueue;
  /** Listens on every port; returns the front door's. */
  listen(): { frontDoor: Listening };
  close(): Promise<void>;
}

const CLIENT_DIR = fileURLToPath(new URL("../../../client-demo/public", import.meta.url));

export async function createEmbedded(deps: EmbeddedDeps, config: EmbeddedConfig): Promise<Embedded> {
  const registry = createRegistry("starlane");
  await migratePersistence(deps.db);
  const ships = createInProcessShipQueue();
  const persistence = createPersistence({ pool: deps.db, log: deps.log, registry, queue: ships });
  await persistence.start();
  const frontDoor = createApp();
  mountOps(frontDoor, { registry, notReadyReason: () => persistence.notReadyReason() });
  const login = await mountLogin(frontDoor, { log: deps.log, db: deps.db, registry }, config.login);
  mountStatic(frontDoor, CLIENT_DIR);
  mountNotFound(frontDoor);
  let frontDoorListening: Listening | undefined;
  return {
    login,
    persistence,
    ships,
    listen: () => {
      frontDoorListening = listen(frontDoor, config.embedded.host, config.embedded.frontDoorPort);
      return { frontDoor: frontDoorListening };
    },
    async close() {
      frontDoorListening?.close();
      await login.close();
      await ships.flush(5000).catch((err) => deps.log.warn({ err }, "ship states left unwritten at shutdown"));
      ships.close();
      await persistence.stop();
    },
  };
}

// Every Starlane service in one process: what `npm start` runs. The same factories as the cluster,
// with the in-process halves of each pair: LocalPresence/LocalDriver instead of Redis, the
// in-process region directory and ship ownership, the in-process write-behind queue, and one
// PostgreSQL pool for what persistence keeps (ships, fencing, ledger) and login's accounts.
import { fileURLToPath } from "node:url";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import { createWorldEntry, type Login, type LoginConfig, mountLogin } from "@starlane/login";
import {
  createPersistence,
  createRegionFencing,
  createShipRepository,
  migratePersistence,
  type Persistence,
} from "@starlane/persistence";
import {
  type ConfigOf,
  createApp,
  createInProcessShipQueue,
  createRegistry,
  createTokenVerifier,
  type InProcessShipQueue,
  type Listening,
  LocalAccountEvents,
  LocalRegionDirectory,
  LocalShipOwnership,
  type Logger,
  listen,
  mountNotFound,
  mountOps,
  type ShipOwnership,
  worldFromConfig,
} from "@starlane/shared";
import { createZoneServer, type ZoneConfig, type ZoneServer } from "@starlane/zone";
import type pg from "pg";
import type { embeddedConfig } from "./config.js";
import { mountStatic } from "./static.js";

// The embedded PostgreSQL, for tests of other packages that boot this composition (client-demo).
export { EMBEDDED_POOL_MAX, type EmbeddedPostgres, startEmbeddedPostgres } from "./postgres.js";

export interface EmbeddedDeps {
  log: Logger;
  db: pg.Pool;
}

export interface EmbeddedConfig {
  embedded: ConfigOf<typeof embeddedConfig>;
  login: LoginConfig;
  zone: ZoneConfig;
}

export interface Embedded {
  login: Login;
  zone: ZoneServer;
  persistence: Persistence;
  /** Where the zone publishes changed ship state; the persistence consumer drains it into PostgreSQL. */
  ships: InProcessShipQueue;
  /** Which region room holds which ship: written by the zone, read by world entry; watch it to follow players. */
  ownership: ShipOwnership;
  /** Listens on every port. */
  listen(): Promise<{ frontDoor: Listening; zone: { port: number; address: string } }>;
  close(): Promise<void>;
}

const CLIENT_DIR = fileURLToPath(new URL("../../../client-demo/public", import.meta.url));

export async function createEmbedded(deps: EmbeddedDeps, config: EmbeddedConfig): Promise<Embedded> {
  const { log, db } = deps;
  const registry = createRegistry("starlane");
  await migratePersistence(db);
  const ships = createInProcessShipQueue();
  const persistence = createPersistence({ pool: db, log, registry, queue: ships });
  await persistence.start();

  const frontDoor = createApp();
  // Bans and ended sessions, published by login, followed by the zone (closes live connections).
  const accountEvents = new LocalAccountEvents();
  const login = await mountLogin(frontDoor, { log, db, registry, accountEvents }, config.login);
  const repository = createShipRepository(db);
  const directory = new LocalRegionDirectory();
  // One record store for the zone (writes) and world entry (reads where a ship is).
  const ownership = new LocalShipOwnership();
  const zone = createZoneServer(
    {
      log,
      verifier: createTokenVerifier({ keys: login.verificationKeys }),
      directory,
      presence: new LocalPresence(),
      driver: new LocalDriver(),
      ships: repository,
      ownership,
      publisher: ships,
      fencing: createRegionFencing(db),
      registry,
      accountEvents,
    },
    config.zone,
  );
  login.setWorldEntry(
    createWorldEntry({ world: worldFromConfig(config.zone), ships: repository, ownership, directory }),
  );
  mountOps(frontDoor, {
    registry,
    notReadyReason: () => zone.notReadyReason() ?? persistence.notReadyReason(),
  });
  mountStatic(frontDoor, CLIENT_DIR);
  mountNotFound(frontDoor);

  let frontDoorListening: Listening | undefined;
  return {
    login,
    zone,
    persistence,
    ships,
    ownership,
    async listen() {
      frontDoorListening = listen(frontDoor, config.embedded.host, config.embedded.frontDoorPort);
      return { frontDoor: frontDoorListening, zone: await zone.listen() };
    },
    // Reverse order of dependence: stop taking players, save their ships, drain to PostgreSQL.
    async close() {
      frontDoorListening?.close();
      await zone.close(); // saves every ship in play and flushes them through the queue
      ships.close();
      await persistence.stop();
      await login.close();
    },
  };
}

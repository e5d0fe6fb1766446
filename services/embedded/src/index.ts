// Every Starlane service in one process: what `npm start` runs. The same factories as the cluster,
// with the in-process halves of each pair: LocalPresence/LocalDriver instead of Redis, the
// in-process region directory and ship ownership, the in-process write-behind queue, chat's
// in-process bus and roster, and one PostgreSQL pool for what persistence keeps (ships, fencing,
// ledger), login's accounts and chat's history and mute lists.
import { fileURLToPath } from "node:url";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import {
  CHAT_PATH,
  type ChatConfig,
  type ChatServer,
  chatConfig,
  chatEdge,
  createChatServer,
  createHistory,
  createModeration,
  LocalChatBus,
  LocalParties,
  LocalRoster,
  migrateChat,
} from "@starlane/chat";
import { createWorldEntry, type Login, type LoginConfig, mountLogin } from "@starlane/login";
import {
  createLedger,
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
  createOperatorCheck,
  createRegistry,
  createTokenVerifier,
  edgeFromSettings,
  type InProcessShipQueue,
  type Listening,
  LocalAccountEvents,
  LocalRegionDirectory,
  LocalShipOwnership,
  LocalZoneStatusBoard,
  type Logger,
  listen,
  loadConfig,
  mountNotFound,
  mountOps,
  mountStatic,
  readClusterStatus,
  type ShipOwnership,
  worldFromConfig,
} from "@starlane/shared";
import {
  createZoneServer,
  type StatusPublishing,
  startZoneStatus,
  type ZoneConfig,
  type ZoneServer,
} from "@starlane/zone";
import type pg from "pg";
import type { embeddedConfig } from "./config.js";

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
  /** Chat's settings; without them, chat's defaults on a free port (tests). */
  chat?: ChatConfig;
}

export interface Embedded {
  login: Login;
  zone: ZoneServer;
  persistence: Persistence;
  /** Where the zone publishes changed ship state; the persistence consumer drains it into PostgreSQL. */
  ships: InProcessShipQueue;
  /** Which region room holds which ship: written by the zone, read by world entry; watch it to follow players. */
  ownership: ShipOwnership;
  chat: ChatServer;
  /** Listens on every port. */
  listen(): Promise<{
    frontDoor: Listening;
    zone: { port: number; address: string };
    chat: { port: number; url: string };
  }>;
  close(): Promise<void>;
}

const CLIENT_DIR = fileURLToPath(new URL("../../../client-demo/public", import.meta.url));

/** The embedded zone's shortest lease (see createEmbedded). */
export const EMBEDDED_LEASE_TTL_MS = 30_000;

export async function createEmbedded(deps: EmbeddedDeps, config: EmbeddedConfig): Promise<Embedded> {
  const { log, db } = deps;
  const registry = createRegistry("starlane");
  await migratePersistence(db);
  const ships = createInProcessShipQueue();
  const persistence = createPersistence({ pool: db, log, registry, queue: ships });
  await persistence.start();

  const frontDoor = createApp();
  // Bans and ended sessions, published by login, followed by the zone and chat (close live connections).
  const accountEvents = new LocalAccountEvents();
  let frontDoorListening: Listening | undefined;
  const frontDoorOrigin = () =>
    frontDoorListening ? `http://${config.embedded.publicHost}:${frontDoorListening.port}` : undefined;
  const directory = new LocalRegionDirectory();
  // The zone reports its regions' figures here; the operator map at /operator/map.html reads them.
  const board = new LocalZoneStatusBoard();
  const world = worldFromConfig(config.zone);
  const login = await mountLogin(
    frontDoor,
    { log, db, registry, accountEvents, cluster: () => readClusterStatus(world, directory, board) },
    config.login,
  );
  const repository = createShipRepository(db);
  // One zone holds every region and the region directory lives in this process: no other zone can
  // take a region over. A stall of the whole process (PGlite runs in it) past a short lease's fence
  // would only close every player with 4106 and reopen the same regions; so the lease here is at
  // least EMBEDDED_LEASE_TTL_MS (a longer STARLANE_ZONE_LEASE_TTL_MS is kept).
  const zoneSettings = { ...config.zone, leaseTtlMs: Math.max(config.zone.leaseTtlMs, EMBEDDED_LEASE_TTL_MS) };
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
      ledger: createLedger(db),
      registry,
      accountEvents,
      // The browser client comes from the front door, whose port is known once it listens.
      edge: edgeFromSettings(config.zone, () => frontDoorOrigin()),
    },
    zoneSettings,
  );
  const chatSettings = config.chat ?? loadConfig(chatConfig, { STARLANE_CHAT_PORT: "0" });
  await migrateChat(db);
  // In-process halves: one bus and one roster, as there is one chat instance; the front door's
  // origin (where the browser client comes from) is allowed to connect.
  const chat = await createChatServer(
    {
      log,
      verifier: createTokenVerifier({ keys: login.verificationKeys }),
      edge: chatEdge(chatSettings, () => frontDoorOrigin()),
      bus: new LocalChatBus(),
      roster: new LocalRoster(),
      parties: new LocalParties(),
      history: createHistory(db, chatSettings.historySize),
      moderation: createModeration(db),
      ownership,
      operatorCheck: createOperatorCheck(config.login.operatorToken),
      registry,
      accountEvents,
    },
    { ...chatSettings, host: config.embedded.host },
  );
  let chatUrl: string | undefined;
  login.setWorldEntry(
    createWorldEntry({
      world,
      ships: repository,
      ownership,
      directory,
      chatUrl: () => chatUrl,
    }),
  );
  mountOps(frontDoor, {
    registry,
    notReadyReason: () => zone.notReadyReason() ?? persistence.notReadyReason(),
  });
  mountStatic(frontDoor, CLIENT_DIR);
  mountNotFound(frontDoor);
  let status: StatusPublishing | undefined;

  return {
    login,
    zone,
    persistence,
    ships,
    ownership,
    chat,
    async listen() {
      frontDoorListening = listen(frontDoor, config.embedded.host, config.embedded.frontDoorPort);
      const chatListening = chat.listen();
      chatUrl = `ws://${config.embedded.publicHost}:${chatListening.port}${CHAT_PATH}`;
      const zoneListening = await zone.listen();
      status = startZoneStatus(zone, board, {
        address: zoneListening.address,
        leaseTtlMs: zoneSettings.leaseTtlMs,
        intervalMs: 1000,
        log,
      });
      return { frontDoor: frontDoorListening, zone: zoneListening, chat: { port: chatListening.port, url: chatUrl } };
    },
    // Reverse order of dependence: stop taking players, save their ships, drain to PostgreSQL.
    async close() {
      frontDoorListening?.close();
      await chat.close();
      await status?.stop();
      await zone.close(); // saves every ship in play and flushes them through the queue
      ships.close();
      await persistence.stop();
      await login.close();
    },
  };
}

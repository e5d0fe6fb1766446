// The chat service. `createChatServer` builds it from its dependencies without listening; the
// cluster's main.ts and the embedded composition root pick the pair halves (in-process or Redis)
// and call listen(). Everything chat keeps in PostgreSQL is created by `migrateChat`.
import { fileURLToPath } from "node:url";
import { type ConfigOf, type ConnectionEdge, edgeFromSettings, loadMigrations, migrate } from "@starlane/shared";
import type pg from "pg";
import type { chatConfig } from "./config.js";

export { type ChatBus, LocalChatBus, RedisChatBus } from "./bus.js";
export { chatConfig } from "./config.js";
export { createHistory } from "./history.js";
export { createModeration } from "./moderation.js";
export { LocalRoster, RedisRoster } from "./online.js";
export { LocalParties, type Parties, RedisParties } from "./parties.js";
export { CHAT_PATH, type ChatDeps, type ChatServer, createChatServer } from "./server.js";

export type ChatConfig = ConfigOf<typeof chatConfig>;

const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

export async function migrateChat(db: pg.Pool): Promise<number[]> {
  return migrate(db, "chat", loadMigrations(MIGRATIONS));
}

/** The connection edge from chat's settings (the front door's origin always allowed). */
export function chatEdge(config: ChatConfig, frontDoorOrigin?: () => string | undefined): ConnectionEdge {
  return edgeFromSettings(config, frontDoorOrigin);
}

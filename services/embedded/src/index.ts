// Every Starlane service in one process: what `npm start` runs. Services join here as they land.
import { fileURLToPath } from "node:url";
import {
  createApp,
  createRegistry,
  type ConfigOf,
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

export interface Embedded {
  listen(): { frontDoor: Listening };
}

const CLIENT_DIR = fileURLToPath(new URL("../../../client-demo/public", import.meta.url));

export function createEmbedded(deps: EmbeddedDeps, config: ConfigOf<typeof embeddedConfig>): Embedded {
  const registry = createRegistry("front-door");
  const frontDoor = createApp();
  mountOps(frontDoor, { registry, notReadyReason: () => null });
  mountStatic(frontDoor, CLIENT_DIR);
  mountNotFound(frontDoor);
  return {
    listen: () => ({ frontDoor: listen(frontDoor, config.host, config.frontDoorPort) }),
  };
}

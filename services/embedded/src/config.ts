import { logLevelSetting, operatorTokenFileSetting, setting } from "@starlane/shared";

/** Settings for `npm start`. Per-service settings are declared by each service. */
export const embeddedConfig = {
  host: setting.string("STARLANE_HOST", "address every listener binds to", "127.0.0.1"),
  publicHost: setting.string("STARLANE_PUBLIC_HOST", "host name printed in URLs and given to clients", "localhost"),
  frontDoorPort: setting.port("STARLANE_FRONT_DOOR_PORT", "login API, world entry and browser client", 8080),
  dataDir: setting.string("STARLANE_DATA_DIR", "embedded PostgreSQL data folder", ".starlane/pgdata"),
  databaseUrl: setting.url("DATABASE_URL", "use this PostgreSQL instead of the embedded one", [
    "postgres",
    "postgresql",
  ]),
  logLevel: logLevelSetting,
};

/**
 * Read by main.ts alone: it makes or reads the token file and hands the token to login's config,
 * so the factory (and the tests that build it) never touch the file system for it.
 */
export const embeddedOperatorConfig = {
  operatorTokenFile: operatorTokenFileSetting,
};

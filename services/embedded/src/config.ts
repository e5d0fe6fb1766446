import { setting, logLevelSetting } from "@starlane/shared";

/** Settings for `npm start`. Per-service settings are declared by each service. */
export const embeddedConfig = {
  host: setting.string("STARLANE_HOST", "address every listener binds to", "127.0.0.1"),
  publicHost: setting.string("STARLANE_PUBLIC_HOST", "host name printed in URLs and given to clients", "localhost"),
  frontDoorPort: setting.port("STARLANE_FRONT_DOOR_PORT", "login API, world entry and browser client", 8080),
  dataDir: setting.string("STARLANE_DATA_DIR", "embedded PostgreSQL data folder", ".starlane/pgdata"),
  databaseUrl: setting.url("DATABASE_URL", "use this PostgreSQL instead of the embedded one", ["postgres", "postgresql"]),
  logLevel: logLevelSetting,
};

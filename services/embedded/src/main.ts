import { loginConfig } from "@starlane/login";
import { connectPostgres, createLogger, loadConfig, runMain } from "@starlane/shared";
import { zoneConfig } from "@starlane/zone";
import { embeddedConfig } from "./config.js";
import { createEmbedded } from "./index.js";
import { startEmbeddedPostgres } from "./postgres.js";

runMain("starlane", async (life) => {
  const config = loadConfig(embeddedConfig, process.env);
  const login = loadConfig(loginConfig, process.env);
  const zone = loadConfig(zoneConfig, process.env);
  const log = createLogger("starlane", config.logLevel);

  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    const pg = await startEmbeddedPostgres(config.dataDir);
    life.defer("embedded postgres", pg.stop);
    databaseUrl = pg.url;
  }
  const db = await connectPostgres(databaseUrl, { max: 4 });
  life.defer("postgres pool", () => db.end());

  const starlane = await createEmbedded({ log, db }, { embedded: config, login, zone });
  life.defer("services", starlane.close);
  const { frontDoor, zone: zoneListening } = await starlane.listen();
  life.exitOnSignals(log);

  const base = `http://${config.publicHost}:${frontDoor.port}`;
  log.info({ frontDoor: base, database: config.databaseUrl ? "DATABASE_URL" : config.dataDir }, "starlane is up");
  process.stdout.write(
    [
      "",
      "Starlane is running (embedded mode: in-process presence, embedded PostgreSQL).",
      `  browser client   ${base}/`,
      `  health           ${base}/healthz   ${base}/readyz   ${base}/metrics`,
      `  zone             ws://${zoneListening.address} (all ${starlane.zone.regions().length} regions; clients get here through POST ${base}/v1/world/enter)`,
      "Ctrl-C stops it.",
      "",
    ].join("\n"),
  );
});

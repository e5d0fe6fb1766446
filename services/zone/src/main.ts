// A zone process of the cluster: reads the environment, builds its dependencies in order (Redis,
// presence, driver, region directory, token verifier), listens, and unwinds on SIGTERM. The
// embedded mode does not use this file: `npm start` builds the zone in-process.
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import {
  ConfigError,
  connectRedis,
  createLogger,
  createTokenVerifier,
  loadConfig,
  RedisRegionDirectory,
  runMain,
} from "@starlane/shared";
import { zoneConfig } from "./config.js";
import { RedisShipOwnership } from "./ownership.js";
import { createZoneServer } from "./server.js";
import { MemoryShipStore } from "./ships.js";

runMain("zone", async (life) => {
  const config = loadConfig(zoneConfig, process.env);
  if (!config.redisUrl) {
    throw new ConfigError("REDIS_URL", "required for a standalone zone process (the embedded mode runs the zone inside npm start)");
  }
  if (!config.jwksUrl) throw new ConfigError("STARLANE_JWKS_URL", "required: the login service's JWKS URL");
  const log = createLogger("zone", config.logLevel);
  const redis = await connectRedis(config.redisUrl);
  life.defer("redis", () => redis.quit());
  const zone = createZoneServer(
    {
      log,
      verifier: createTokenVerifier({ keys: new URL(config.jwksUrl) }),
      directory: new RedisRegionDirectory(redis),
      ownership: new RedisShipOwnership(redis),
      // Colyseus shuts these two down itself when the zone closes.
      presence: new RedisPresence(config.redisUrl),
      driver: new RedisDriver(config.redisUrl),
      // Until the persistence service provides the PostgreSQL-backed store, new ships start fresh.
      ships: new MemoryShipStore(),
    },
    config,
  );
  life.defer("zone", () => zone.close());
  const { address } = await zone.listen();
  log.info({ address, zone: zone.zoneId, regions: zone.regions() }, "zone listening");
  life.exitOnSignals(log);
});

// A zone process of the cluster: reads the environment, builds its dependencies in order (Redis,
// PostgreSQL and persistence's schema, presence, driver, region directory, ship ownership, token
// verifier, ship repository, fencing, write-behind), listens, and
// unwinds on SIGTERM (players' ships are flushed to the write-behind stream first). The
// embedded mode does not use this file: `npm start` builds the zone in-process.
import { createLedger, createRegionFencing, createShipRepository, migratePersistence } from "@starlane/persistence";
import {
  ConfigError,
  connectPostgres,
  connectRedis,
  createLogger,
  createRedisShipPublisher,
  createTokenVerifier,
  loadConfig,
  RedisAccountEvents,
  RedisRegionDirectory,
  RedisRegionSnapshots,
  RedisRelocationBoard,
  RedisShipOwnership,
  RedisZoneStatusBoard,
  runMain,
} from "@starlane/shared";
import { leaseTiming, zoneConfig } from "./config.js";
import { PrefixedRedisPresence, prefixedRedisDriver } from "./presence.js";
import { createZoneServer } from "./server.js";
import { startZoneStatus, zoneStatusConfig } from "./status.js";

runMain("zone", async (life) => {
  const config = loadConfig(zoneConfig, process.env);
  leaseTiming(config); // lease, fence and snapshot timings that cannot work stop the zone here
  const statusConfig = loadConfig(zoneStatusConfig, process.env);
  if (!config.redisUrl) {
    throw new ConfigError(
      "REDIS_URL",
      "required for a standalone zone process (the embedded mode runs the zone inside npm start)",
    );
  }
  if (!config.databaseUrl)
    throw new ConfigError("DATABASE_URL", "required: the zone loads players' ships from PostgreSQL");
  if (!config.jwksUrl) throw new ConfigError("STARLANE_JWKS_URL", "required: the login service's JWKS URL");
  const log = createLogger("zone", config.logLevel);
  const redis = await connectRedis(config.redisUrl);
  life.defer("redis", () => redis.quit());
  const leaseRedis = await connectRedis(config.redisUrl);
  life.defer("redis (leases)", () => leaseRedis.quit());
  const db = await connectPostgres(config.databaseUrl, { max: 4 });
  life.defer("postgres", () => db.end());
  // The zone reads ships and fences regions in persistence's tables: they must exist even if the
  // persistence service is not up yet (migrations are idempotent and serialised by a lock).
  await migratePersistence(db);
  const publisher = createRedisShipPublisher(redis, { prefix: config.keyPrefix });
  const board = new RedisZoneStatusBoard(redis, { prefix: config.keyPrefix });
  life.defer("write-behind", () => publisher.close());
  const zone = createZoneServer(
    {
      log,
      verifier: createTokenVerifier({ keys: new URL(config.jwksUrl) }),
      // Leases on a connection of their own: a renewal never waits behind bulk traffic (snapshots,
      // restores, write-behind), or the zone would fence itself under load.
      directory: new RedisRegionDirectory(leaseRedis, { prefix: config.keyPrefix }),
      ownership: new RedisShipOwnership(redis, { prefix: config.keyPrefix }),
      // Colyseus shuts these two down itself when the zone closes. Both keep to STARLANE_KEY_PREFIX,
      // channels included, so clusters sharing one Redis under different prefixes stay apart.
      presence: new PrefixedRedisPresence(config.redisUrl, config.keyPrefix),
      driver: prefixedRedisDriver(config.redisUrl, config.keyPrefix),
      zones: board,
      ships: createShipRepository(db),
      publisher,
      fencing: createRegionFencing(db),
      snapshots: new RedisRegionSnapshots(redis, { prefix: config.keyPrefix }),
      ledger: createLedger(db),
      accountEvents: new RedisAccountEvents(redis, { prefix: config.keyPrefix }),
      // zonectl move / drain (relocate.ts).
      relocations: new RedisRelocationBoard(redis, { prefix: config.keyPrefix }),
    },
    config,
  );
  life.defer("zone", () => zone.close());
  const { address } = await zone.listen();
  // What zonectl and the cluster map show (see status.ts).
  const status = startZoneStatus(zone, board, {
    ...(statusConfig.name ? { name: statusConfig.name } : {}),
    address,
    leaseTtlMs: config.leaseTtlMs,
    intervalMs: statusConfig.statusIntervalMs,
    log,
  });
  life.defer("status", () => status.stop());
  log.info({ address, zone: zone.zoneId, slot: statusConfig.name, regions: zone.regions() }, "zone listening");
  life.exitOnSignals(log);
});

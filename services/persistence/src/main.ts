// The persistence service as its own process: consume the write-behind stream into PostgreSQL,
// health and metrics on STARLANE_PERSISTENCE_PORT. SIGTERM finishes the batch in hand, then exits.
import { hostname } from "node:os";
import {
  ConfigError,
  connectPostgres,
  connectRedis,
  createApp,
  createLogger,
  createRegistry,
  listen,
  loadConfig,
  mountNotFound,
  mountOps,
  runMain,
} from "@starlane/shared";
import { persistenceConfig } from "./config.js";
import { createPersistence } from "./consumer.js";
import { migratePersistence } from "./schema.js";

runMain("persistence", async (life) => {
  const config = loadConfig(persistenceConfig, process.env);
  if (!config.redisUrl) throw new ConfigError("REDIS_URL", "required for the standalone persistence service");
  if (!config.databaseUrl) throw new ConfigError("DATABASE_URL", "required for the standalone persistence service");
  const log = createLogger("persistence", config.logLevel);
  life.exitOnSignals(log);

  const redis = await connectRedis(config.redisUrl, { maxRetriesPerRequest: null });
  // QUIT waits for Redis; if Redis is gone, give up after a second rather than hang the exit.
  life.defer("redis", () =>
    Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1000).unref())]).finally(() => redis.disconnect()),
  );
  const pool = await connectPostgres(config.databaseUrl, { max: 4 });
  life.defer("postgres", () => pool.end());
  await migratePersistence(pool);

  const registry = createRegistry("persistence");
  const persistence = createPersistence(
    { pool, redis, log, registry },
    { ...config, consumer: config.consumer ?? `${hostname()}-${process.pid}` },
  );
  await persistence.start();
  life.defer("consumer", () => persistence.stop());

  const app = createApp();
  mountOps(app, { registry, notReadyReason: persistence.notReadyReason });
  mountNotFound(app);
  const listening = listen(app, config.host, config.port);
  life.defer("http", () => listening.close());
  log.info({ port: listening.port, consumer: persistence.consumer }, "persistence listening");
});

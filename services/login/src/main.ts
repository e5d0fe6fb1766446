// The login service as its own process (cluster mode): PostgreSQL for accounts and keys, Redis
// for the rate-limit counters. Unwinds in reverse on SIGTERM.
import { ConfigError, connectPostgres, connectRedis, createLogger, loadConfig, runMain } from "@starlane/shared";
import { createLoginServer, loginConfig } from "./index.js";

runMain("starlane-login", async (life) => {
  const config = loadConfig(loginConfig, process.env);
  if (!config.databaseUrl) throw new ConfigError("DATABASE_URL", "required when login runs on its own");
  const log = createLogger("login", config.logLevel);

  const db = await connectPostgres(config.databaseUrl, { max: 8 });
  life.defer("postgres pool", () => db.end());
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  if (redis) life.defer("redis", () => redis.quit());

  const login = await createLoginServer({ log, db, redis }, config);
  life.defer("login", login.close);
  const listening = login.listen();
  life.defer("listener", listening.close);
  life.exitOnSignals(log);
  log.info({ port: listening.port, rateLimits: redis ? "redis" : "in-process" }, "login is up");
});

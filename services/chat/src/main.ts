// A chat instance of the cluster: reads the environment, builds its dependencies in order (Redis,
// PostgreSQL and chat's schema, the bus, the roster, ship ownership, the token verifier), listens,
// and unwinds on SIGTERM (stop accepting, close the connections with 4105, close the bus, Redis and
// PostgreSQL). The embedded mode does not use this file: `npm start` builds chat in-process.
import { randomUUID } from "node:crypto";
import {
  ConfigError,
  connectPostgres,
  connectRedis,
  createLogger,
  createOperatorCheck,
  createRegistry,
  createTokenVerifier,
  loadConfig,
  OPERATOR_TOKEN_MIN_LENGTH,
  RedisAccountEvents,
  RedisShipOwnership,
  runMain,
} from "@starlane/shared";
import {
  chatConfig,
  chatEdge,
  createChatServer,
  createHistory,
  createModeration,
  migrateChat,
  RedisChatBus,
  RedisParties,
  RedisRoster,
} from "./index.js";

runMain("chat", async (life) => {
  const config = loadConfig(chatConfig, process.env);
  if (!config.redisUrl) {
    throw new ConfigError("REDIS_URL", "required for a chat instance on its own (npm start runs chat in-process)");
  }
  if (!config.databaseUrl) throw new ConfigError("DATABASE_URL", "required: chat keeps history and mute lists there");
  if (!config.jwksUrl) throw new ConfigError("STARLANE_JWKS_URL", "required: the login service's JWKS URL");
  if (!config.operatorToken) {
    throw new ConfigError(
      "STARLANE_OPERATOR_TOKEN",
      `required: it guards chat's operator mute and kick (at least ${OPERATOR_TOKEN_MIN_LENGTH} characters)`,
    );
  }
  const log = createLogger("chat", config.logLevel);
  const instance = randomUUID();
  const redis = await connectRedis(config.redisUrl);
  life.defer("redis", () => redis.quit());
  const db = await connectPostgres(config.databaseUrl, { max: 8 });
  life.defer("postgres", () => db.end());
  await migrateChat(db);
  const bus = new RedisChatBus(redis, { prefix: config.keyPrefix });
  life.defer("bus", () => bus.close());
  const ownership = new RedisShipOwnership(redis, { prefix: config.keyPrefix });
  const chat = await createChatServer(
    {
      log,
      verifier: createTokenVerifier({ keys: new URL(config.jwksUrl) }),
      edge: chatEdge(config),
      bus,
      roster: new RedisRoster(redis, { prefix: config.keyPrefix, instance }),
      parties: new RedisParties(redis, { prefix: config.keyPrefix }),
      history: createHistory(db, config.historySize),
      moderation: createModeration(db),
      ownership,
      operatorCheck: createOperatorCheck(config.operatorToken),
      registry: createRegistry("chat", { instance }),
      accountEvents: new RedisAccountEvents(redis, { prefix: config.keyPrefix }),
    },
    config,
  );
  life.defer("chat", () => chat.close());
  const listening = chat.listen();
  log.info({ port: listening.port, instance }, "chat is up");
  life.exitOnSignals(log);
});

// The login service as its own process (cluster mode): PostgreSQL for accounts, keys and ships,
// Redis for the rate-limit counters and the region directory and ship ownership records world
// entry reads. Unwinds in reverse on SIGTERM.
import { createShipRepository, migratePersistence } from "@starlane/persistence";
import {
  ConfigError,
  connectPostgres,
  connectRedis,
  createLogger,
  loadConfig,
  OPERATOR_TOKEN_MIN_LENGTH,
  RedisAccountEvents,
  RedisRegionDirectory,
  RedisShipOwnership,
  RedisZoneStatusBoard,
  readClusterStatus,
  readSecretFile,
  runMain,
  worldFromConfig,
} from "@starlane/shared";
import { createLoginServer, createWorldEntry, loginConfig } from "./index.js";
import { KEY_ENCRYPTION_KEY_ENV, KEY_ENCRYPTION_KEY_FILE_ENV, parseKeyEncryptionKey } from "./key-envelope.js";

runMain("starlane-login", async (life) => {
  const config = loadConfig(loginConfig, process.env);
  if (!config.databaseUrl) throw new ConfigError("DATABASE_URL", "required when login runs on its own");
  // Login serves the operator routes: no credential, no start (a cluster must not run them open or
  // dead by accident). Its length is checked when the setting is parsed.
  if (!config.operatorToken) {
    throw new ConfigError(
      "STARLANE_OPERATOR_TOKEN",
      `required when login runs on its own (it guards the /v1/operator routes); at least ${OPERATOR_TOKEN_MIN_LENGTH} characters, e.g. from \`openssl rand -hex 32\``,
    );
  }
  // The signing keys' key-encryption key: the variable, or a file (a mounted Kubernetes Secret).
  if (!config.keyEncryptionKey && config.keyEncryptionKeyFile) {
    const key = readSecretFile(config.keyEncryptionKeyFile, KEY_ENCRYPTION_KEY_FILE_ENV, "key", parseKeyEncryptionKey);
    if (!key) throw new ConfigError(KEY_ENCRYPTION_KEY_FILE_ENV, `${config.keyEncryptionKeyFile} does not exist`);
    config.keyEncryptionKey = key;
  }
  if (!config.keyEncryptionKey) {
    throw new ConfigError(
      KEY_ENCRYPTION_KEY_ENV,
      `required when login runs on its own (it seals the signing keys at rest), or ${KEY_ENCRYPTION_KEY_FILE_ENV}; 32 bytes, e.g. from \`openssl rand -hex 32\``,
    );
  }
  const log = createLogger("login", config.logLevel);

  const db = await connectPostgres(config.databaseUrl, { max: 8 });
  life.defer("postgres pool", () => db.end());
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  if (redis) life.defer("redis", () => redis.quit());

  // World entry creates ships, so the characters table must exist even if persistence is not up yet.
  if (redis) await migratePersistence(db);
  const world = worldFromConfig(config);
  const directory = redis ? new RedisRegionDirectory(redis, { prefix: config.redisPrefix }) : undefined;
  const worldEntry =
    redis && directory
      ? createWorldEntry({
          world,
          ships: createShipRepository(db),
          directory,
          ownership: new RedisShipOwnership(redis, { prefix: config.redisPrefix }),
          chatUrl: () => config.chatUrl,
        })
      : undefined;
  // Without Redis there is no zone to tell (zones need Redis): bans still hold at world entry.
  const accountEvents = redis ? new RedisAccountEvents(redis, { prefix: config.redisPrefix }) : undefined;
  // The cluster map and zonectl's view: the directory plus what the zones report (zone-status.ts).
  const board = redis ? new RedisZoneStatusBoard(redis, { prefix: config.redisPrefix }) : undefined;
  const cluster = directory && board ? () => readClusterStatus(world, directory, board) : undefined;
  const login = await createLoginServer(
    {
      log,
      db,
      redis,
      ...(worldEntry ? { worldEntry } : {}),
      ...(accountEvents ? { accountEvents } : {}),
      ...(cluster ? { cluster } : {}),
    },
    config,
  );
  life.defer("login", login.close);
  const listening = login.listen();
  life.defer("listener", listening.close);
  life.exitOnSignals(log);
  log.info({ port: listening.port, rateLimits: redis ? "redis" : "in-process" }, "login is up");
});

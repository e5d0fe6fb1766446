import { type ConfigOf, setting, logLevelSetting } from "@starlane/shared";

export const persistenceConfig = {
  redisUrl: setting.url("REDIS_URL", "Redis with the write-behind stream", ["redis", "rediss"]),
  databaseUrl: setting.url("DATABASE_URL", "PostgreSQL to write player state to", ["postgres", "postgresql"]),
  host: setting.string("STARLANE_HOST", "address the health/metrics listener binds to", "127.0.0.1"),
  port: setting.port("STARLANE_PERSISTENCE_PORT", "health and metrics port", 8082),
  keyPrefix: setting.string("STARLANE_KEY_PREFIX", "prefix of every Redis key", "starlane:"),
  consumer: setting.string("STARLANE_PERSISTENCE_CONSUMER", "consumer name in the group (default host-pid)"),
  batchSize: setting.int("STARLANE_PERSISTENCE_BATCH", "most ship states per batch", 1000, 1, 10_000),
  blockMs: setting.int("STARLANE_PERSISTENCE_BLOCK_MS", "longest wait for new entries", 500, 1, 10_000),
  claimIdleMs: setting.int(
    "STARLANE_PERSISTENCE_CLAIM_IDLE_MS",
    "take over entries another consumer left unacknowledged this long",
    15_000,
    1,
    3_600_000,
  ),
  maxRetryMs: setting.int(
    "STARLANE_PERSISTENCE_MAX_RETRY_MS",
    "longest backoff between failed writes",
    5000,
    1,
    60_000,
  ),
  stopTimeoutMs: setting.int(
    "STARLANE_PERSISTENCE_STOP_TIMEOUT_MS",
    "on SIGTERM, how long to keep retrying the batch in hand",
    10_000,
    0,
    600_000,
  ),
  logLevel: logLevelSetting,
};

export type PersistenceConfig = ConfigOf<typeof persistenceConfig>;

/** What the consumer needs (the rest of the config is for main.ts). */
export type ConsumerConfig = Pick<
  PersistenceConfig,
  "keyPrefix" | "batchSize" | "blockMs" | "claimIdleMs" | "maxRetryMs" | "stopTimeoutMs"
> & { consumer: string };

export const consumerDefaults = {
  keyPrefix: "starlane:",
  batchSize: 1000,
  blockMs: 500,
  claimIdleMs: 15_000,
  maxRetryMs: 5000,
  stopTimeoutMs: 10_000,
} as const;

import { logLevelSetting, operatorTokenSetting, setting } from "@starlane/shared";

/** Settings of the chat service. The limits are per connection unless they say otherwise. */
export const chatConfig = {
  host: setting.string("STARLANE_HOST", "address the listener binds to", "127.0.0.1"),
  port: setting.port("STARLANE_CHAT_PORT", "chat WebSocket (/v1/chat), operator routes and /metrics", 8081),
  redisUrl: setting.url("REDIS_URL", "Redis for fan-out between chat instances and who is online (cluster)", [
    "redis",
    "rediss",
  ]),
  databaseUrl: setting.url("DATABASE_URL", "PostgreSQL for history, mute and block lists", ["postgres", "postgresql"]),
  keyPrefix: setting.string("STARLANE_KEY_PREFIX", "prefix of every Redis key and channel", "starlane:"),
  jwksUrl: setting.url("STARLANE_JWKS_URL", "the login service's JWKS URL (cluster)", ["http", "https"]),
  allowedOrigins: setting.string(
    "STARLANE_CHAT_ALLOWED_ORIGINS",
    "comma-separated origins whose browser pages may connect (`*` for any); the front door's is always allowed",
    "",
  ),
  frontDoorOrigin: setting.string(
    "STARLANE_FRONT_DOOR_ORIGIN",
    "the front door's origin (where the browser client is served)",
    "http://localhost:8080",
  ),
  maxConnectionsPerIp: setting.int(
    "STARLANE_CHAT_MAX_CONNECTIONS_PER_IP",
    "open connections per address (0: no cap)",
    20,
    0,
    1_000_000,
  ),
  upgradesPerIpPerS: setting.int(
    "STARLANE_CHAT_UPGRADES_PER_IP_PER_S",
    "connection attempts per address per second (0: no cap)",
    10,
    0,
    1_000_000,
  ),
  rateMessages: setting.int("STARLANE_CHAT_RATE_MESSAGES", "messages allowed per rate window", 5, 1, 10_000),
  rateWindowMs: setting.int("STARLANE_CHAT_RATE_WINDOW_MS", "the rate window, ms", 2000, 100, 600_000),
  rateBurst: setting.int(
    "STARLANE_CHAT_RATE_BURST",
    "messages that may be sent at once after a quiet spell",
    5,
    1,
    10_000,
  ),
  floodCloseAfter: setting.int(
    "STARLANE_CHAT_FLOOD_CLOSE_AFTER",
    "rate-limited messages in a row after which the connection is closed (4101)",
    20,
    1,
    100_000,
  ),
  maxChars: setting.int("STARLANE_CHAT_MAX_CHARS", "characters per message", 500, 1, 10_000),
  maxFrameBytes: setting.int(
    "STARLANE_CHAT_MAX_FRAME_BYTES",
    "bytes per WebSocket frame; larger closes 4102",
    8192,
    512,
    1_048_576,
  ),
  historySize: setting.int("STARLANE_CHAT_HISTORY", "messages per channel kept and sent on join", 50, 0, 1000),
  operatorToken: operatorTokenSetting,
  logLevel: logLevelSetting,
};

import { logLevelSetting, operatorTokenSetting, setting, worldConfigSpec } from "@starlane/shared";
import { keyEncryptionKeyFileSetting, keyEncryptionKeySetting } from "./key-envelope.js";

/** Settings of the login service. Limits are "N requests per window" per client IP or account name. */
export const loginConfig = {
  host: setting.string("STARLANE_HOST", "address the listeners bind to", "127.0.0.1"),
  port: setting.port("STARLANE_LOGIN_PORT", "login HTTP API (standalone; embedded uses the front door)", 8080),
  databaseUrl: setting.url("DATABASE_URL", "PostgreSQL for accounts, refresh tokens and signing keys", [
    "postgres",
    "postgresql",
  ]),
  redisUrl: setting.url("REDIS_URL", "Redis for rate-limit counters (cluster mode)", ["redis", "rediss"]),
  chatUrl: setting.url("STARLANE_CHAT_URL", "chat's public WebSocket URL, given to clients by world entry", [
    "ws",
    "wss",
  ]),
  clientDir: setting.string(
    "STARLANE_CLIENT_DIR",
    "standalone front door: serve the browser client (and the operator map) from this folder, e.g. client-demo/public",
  ),
  redisPrefix: setting.string("STARLANE_KEY_PREFIX", "prefix of every Redis key this service writes", "starlane:"),
  logLevel: logLevelSetting,
  accessTokenTtlS: setting.int("STARLANE_ACCESS_TOKEN_TTL_S", "access token lifetime, seconds", 900, 30, 3600),
  refreshTokenTtlS: setting.int(
    "STARLANE_REFRESH_TOKEN_TTL_S",
    "refresh token lifetime, seconds",
    30 * 24 * 3600,
    60,
    365 * 24 * 3600,
  ),
  keyRotationH: setting.int(
    "STARLANE_LOGIN_KEY_ROTATION_H",
    "rotate the signing key when it is this many hours old (0: only by rotateKeys())",
    168,
    0,
    8760,
  ),
  // Required by main.ts (the cluster); npm start generates one into a file. Without one (tests of
  // other packages) the signing keys are stored in the clear, with a warning at boot.
  keyEncryptionKey: keyEncryptionKeySetting,
  keyEncryptionKeyFile: keyEncryptionKeyFileSetting,
  keyReloadMs: setting.int(
    "STARLANE_LOGIN_KEY_RELOAD_MS",
    "how often an instance rereads the signing keys (another instance may have rotated them)",
    30_000,
    100,
    3_600_000,
  ),
  // OWASP's first choice for Argon2id: m = 19 MiB, t = 2, p = 1 (or an equivalent pair, such as
  // m = 46 MiB, t = 1). Lower only in tests. A changed value re-hashes each password at its next log-in.
  argon2MemoryKiB: setting.int(
    "STARLANE_LOGIN_ARGON2_MEMORY_KIB",
    "Argon2id memory per hash, KiB (OWASP: 19456)",
    19_456,
    1024,
    1_048_576,
  ),
  argon2TimeCost: setting.int("STARLANE_LOGIN_ARGON2_TIME_COST", "Argon2id passes (OWASP: 2)", 2, 1, 16),
  argon2Parallelism: setting.int("STARLANE_LOGIN_ARGON2_PARALLELISM", "Argon2id lanes per hash (OWASP: 1)", 1, 1, 8),
  hashConcurrency: setting.int(
    "STARLANE_LOGIN_HASH_CONCURRENCY",
    "password hashes run at once on libuv's threadpool (4 threads by default; leave some for fs, dns, zlib)",
    2,
    1,
    64,
  ),
  hashQueue: setting.int(
    "STARLANE_LOGIN_HASH_QUEUE",
    "password hashes allowed to wait; beyond it logins get 503 with Retry-After",
    16,
    0,
    100_000,
  ),
  trustedProxyHops: setting.int(
    "STARLANE_LOGIN_TRUSTED_PROXY_HOPS",
    "proxies in front of login whose X-Forwarded-For entries are trusted for per-IP limits (0: use the socket address)",
    0,
    0,
    10,
  ),
  rateWindowS: setting.int("STARLANE_LOGIN_RATE_WINDOW_S", "rate-limit window, seconds", 60, 1, 86_400),
  loginPerIp: setting.int("STARLANE_LOGIN_RATE_LOGIN_PER_IP", "log-ins per IP per window", 30, 1, 1_000_000),
  loginPerAccount: setting.int(
    "STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT",
    "log-ins per account name per window",
    10,
    1,
    1_000_000,
  ),
  registerPerIp: setting.int(
    "STARLANE_LOGIN_RATE_REGISTER_PER_IP",
    "registrations per IP per window",
    10,
    1,
    1_000_000,
  ),
  registerPerAccount: setting.int(
    "STARLANE_LOGIN_RATE_REGISTER_PER_ACCOUNT",
    "registration attempts per account name per window",
    5,
    1,
    1_000_000,
  ),
  // A client refreshes once per access-token lifetime (15 min); these only stop loops and guessing.
  refreshPerIp: setting.int(
    "STARLANE_LOGIN_RATE_REFRESH_PER_IP",
    "session refreshes per IP per window",
    60,
    1,
    1_000_000,
  ),
  refreshPerFamily: setting.int(
    "STARLANE_LOGIN_RATE_REFRESH_PER_SESSION",
    "refreshes per session (refresh-token family) per window",
    6,
    1,
    1_000_000,
  ),
  // Required by main.ts (the cluster); the embedded mode passes its generated one. Without it every
  // operator request is refused.
  operatorToken: operatorTokenSetting,
  operatorRefusedPerIp: setting.int(
    "STARLANE_LOGIN_RATE_OPERATOR_REFUSED_PER_IP",
    "operator requests refused (wrong or missing credential) per IP per window; past it every operator request from that IP is 429",
    10,
    1,
    1_000_000,
  ),
  ...worldConfigSpec,
};

// The zone's typed configuration. Only main.ts reads the environment; tests build it with
// loadConfig(zoneConfig, { ... }).
import { ConfigError, type ConfigOf, logLevelSetting, setting, worldConfigSpec } from "@starlane/shared";

export const zoneConfig = {
  host: setting.string("STARLANE_HOST", "address the zone listens on", "127.0.0.1"),
  port: setting.port("STARLANE_ZONE_PORT", "zone WebSocket + HTTP port (0 = any free port)", 2567),
  publicAddress: setting.string(
    "STARLANE_ZONE_PUBLIC_ADDRESS",
    "host:port clients use to reach this zone (default: host:port it listens on)",
  ),
  zoneId: setting.string(
    "STARLANE_ZONE_ID",
    "prefix of this zone process's id (default: zone); each process adds a random suffix, so a restarted process is a new zone",
  ),
  regions: setting.string(
    "STARLANE_ZONE_REGIONS",
    'regions to claim: "all" or a list like "0-0,1-0" (col-row); unclaimable ones are skipped',
    "all",
  ),
  tickHz: setting.int("STARLANE_TICK_HZ", "simulation ticks per second", 20, 1, 120),
  cellSize: setting.float(
    "STARLANE_ZONE_CELL_SIZE",
    "side of an interest cell in units; a client sees the 3 x 3 cells around its ship",
    1000,
    10,
    1_000_000,
  ),
  slowReaderBytes: setting.int(
    "STARLANE_ZONE_SLOW_READER_BYTES",
    "a client with more than this many bytes waiting in its send buffer gets no deltas until it drains (then a full state)",
    256 * 1024,
    1024,
    64 * 1024 * 1024,
  ),
  slowReaderCloseMs: setting.int(
    "STARLANE_ZONE_SLOW_READER_CLOSE_MS",
    "a client over the send-buffer limit for longer than this is closed with 4130 SlowReader",
    10_000,
    100,
    600_000,
  ),
  inputQueue: setting.int(
    "STARLANE_ZONE_INPUT_QUEUE",
    "pending inputs kept per client, one applied per tick (overflow is dropped); at least what a client re-sends after a handoff or a stall (ShipLink keeps 32)",
    64,
    1,
    256,
  ),
  maxMessagesPerSecond: setting.int(
    "STARLANE_ZONE_MAX_MESSAGES_PER_SECOND",
    "messages per second per client before it is closed with 4101",
    60,
    1,
    10_000,
  ),
  maxMessageBytes: setting.int(
    "STARLANE_ZONE_MAX_MESSAGE_BYTES",
    "largest WebSocket frame a client may send (bytes); larger closes the connection",
    1024,
    64,
    1_048_576,
  ),
  maxClientsPerRegion: setting.int("STARLANE_ZONE_MAX_CLIENTS", "players per region room", 500, 1, 100_000),
  saveIntervalMs: setting.int(
    "STARLANE_ZONE_SAVE_INTERVAL_MS",
    "how often every ship's state is handed to persistence (and always when its player leaves)",
    1000,
    50,
    600_000,
  ),
  leaseTtlMs: setting.int(
    "STARLANE_ZONE_LEASE_TTL_MS",
    "region lease time to live: a dead zone's regions are taken over this long (plus one renew interval) after its last renewal",
    2000,
    300,
    600_000,
  ),
  leaseRenewMs: setting.int(
    "STARLANE_ZONE_LEASE_RENEW_MS",
    "how often the leases are renewed (default: a quarter of the TTL; at most a third)",
    undefined,
    50,
    600_000,
  ),
  fenceMarginMs: setting.int(
    "STARLANE_ZONE_FENCE_MARGIN_MS",
    "a zone stops acting on a region this long before its lease could expire, counted on its own monotonic clock from when its last successful renewal was sent (default: a quarter of the TTL)",
    undefined,
    0,
    600_000,
  ),
  snapshotMs: setting.int(
    "STARLANE_ZONE_SNAPSHOT_MS",
    "how often each region writes its snapshot (the movement a takeover can lose); under the lease TTL",
    500,
    50,
    600_000,
  ),
  takeover: setting.bool(
    "STARLANE_ZONE_TAKEOVER",
    "claim regions whose lease expired (a dead, frozen or cut-off zone's), up to a fair share plus one",
    true,
  ),
  borderBand: setting.float(
    "STARLANE_ZONE_BORDER_BAND",
    "ships this close to a neighbouring region are mirrored there as read-only ghosts (units)",
    300,
    0,
    100_000,
  ),
  handoffHysteresis: setting.float(
    "STARLANE_ZONE_HANDOFF_HYSTERESIS",
    "how far past its region's border a ship must be before it is handed off (units)",
    50,
    0,
    10_000,
  ),
  handoffTimeoutMs: setting.int(
    "STARLANE_ZONE_HANDOFF_TIMEOUT_MS",
    "a handoff the target has not accepted within this is abandoned (the source keeps the ship; its inputs wait meanwhile)",
    300,
    50,
    60_000,
  ),
  handoffRetryMs: setting.int(
    "STARLANE_ZONE_HANDOFF_RETRY_MS",
    "wait after an abandoned handoff before trying again",
    500,
    0,
    60_000,
  ),
  redisUrl: setting.url("REDIS_URL", "Redis for presence, driver and the region directory (cluster mode)", [
    "redis",
    "rediss",
  ]),
  databaseUrl: setting.url("DATABASE_URL", "PostgreSQL with the players' ships (cluster mode)", [
    "postgres",
    "postgresql",
  ]),
  keyPrefix: setting.string("STARLANE_KEY_PREFIX", "prefix of every Redis key (write-behind stream)", "starlane:"),
  jwksUrl: setting.url("STARLANE_JWKS_URL", "login service JWKS (cluster mode)", ["http", "https"]),
  allowedOrigins: setting.string(
    "STARLANE_ZONE_ALLOWED_ORIGINS",
    "comma-separated origins whose browser pages may connect (`*` for any); the front door's is always allowed",
    "",
  ),
  frontDoorOrigin: setting.string(
    "STARLANE_FRONT_DOOR_ORIGIN",
    "the front door's origin (where the browser client is served)",
    "http://localhost:8080",
  ),
  maxConnectionsPerIp: setting.int(
    "STARLANE_ZONE_MAX_CONNECTIONS_PER_IP",
    "open connections per address (0: no cap); load-test accounts (`lt`) exempt",
    20,
    0,
    1_000_000,
  ),
  upgradesPerIpPerS: setting.int(
    "STARLANE_ZONE_UPGRADES_PER_IP_PER_S",
    "connection attempts per address per second (0: no cap); load-test accounts (`lt`) not counted",
    10,
    0,
    1_000_000,
  ),
  logLevel: logLevelSetting,
  ...worldConfigSpec,
};

/** The lease and snapshot timings, each checked against the TTL. */
export interface LeaseTiming {
  ttlMs: number;
  renewMs: number;
  /** Stop acting on a region once this long has passed since its last successful renewal was sent. */
  actForMs: number;
  snapshotMs: number;
}

/**
 * The failover timings from the config, defaults filled in; settings that cannot work (a renewal
 * that could not land before the fence, a snapshot interval over the TTL) throw a ConfigError
 * naming the setting, so the zone stops at boot with one line.
 */
export function leaseTiming(config: ConfigOf<typeof zoneConfig>): LeaseTiming {
  const ttlMs = config.leaseTtlMs;
  const renewMs = config.leaseRenewMs ?? Math.max(50, Math.floor(ttlMs / 4));
  const marginMs = config.fenceMarginMs ?? Math.floor(ttlMs / 4);
  if (renewMs * 3 > ttlMs) {
    throw new ConfigError(
      "STARLANE_ZONE_LEASE_RENEW_MS",
      `${renewMs} ms is not well under the lease TTL (${ttlMs} ms): at most a third of it`,
    );
  }
  if (marginMs >= ttlMs) {
    throw new ConfigError("STARLANE_ZONE_FENCE_MARGIN_MS", `${marginMs} ms must be under the lease TTL (${ttlMs} ms)`);
  }
  if (ttlMs - marginMs < 2 * renewMs) {
    throw new ConfigError(
      "STARLANE_ZONE_FENCE_MARGIN_MS",
      `${marginMs} ms leaves less than two renew intervals (${renewMs} ms) before the zone fences itself`,
    );
  }
  if (config.snapshotMs >= ttlMs) {
    throw new ConfigError(
      "STARLANE_ZONE_SNAPSHOT_MS",
      `${config.snapshotMs} ms must be under the lease TTL (${ttlMs} ms)`,
    );
  }
  return { ttlMs, renewMs, actForMs: ttlMs - marginMs, snapshotMs: config.snapshotMs };
}

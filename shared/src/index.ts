export { ConfigError, describeConfig, loadConfig, logLevelSetting, setting, type ConfigOf, type ConfigSpec, type Setting } from "./config.js";
export {
  createApp,
  listen,
  ListenError,
  mountNotFound,
  mountOps,
  readJson,
  reply,
  toStarlaneError,
  type App,
  type HttpRequest,
  type HttpResponse,
  type Listening,
  type Reply,
} from "./http.js";
export { createLogger, type Logger } from "./logger.js";
export { Counter, createRegistry, Gauge, Histogram, type Registry } from "./metrics.js";
export {
  ClientMessage,
  CloseCode,
  ErrorCode,
  ServerMessage,
  StarlaneError,
  type ErrorBody,
} from "./protocol.js";
export { connectPostgres, connectRedis, transaction, UnreachableError } from "./stores.js";
export { Lifecycle, runMain } from "./lifecycle.js";
export { loadMigrations, migrate, type Migration } from "./migrate.js";
export {
  ACCESS_TOKEN_TYPE,
  bearerToken,
  createTokenVerifier,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type AccessClaims,
  type TokenVerifier,
  type VerifierOptions,
} from "./auth.js";
export {
  createInProcessShipQueue,
  createRedisShipPublisher,
  decodeShipEntry,
  DEFAULT_KEY_PREFIX,
  DEFAULT_PUBLISH_INTERVAL_MS,
  FlushTimeoutError,
  nextShipVersion,
  SHIP_FIELD,
  validateShipState,
  writeBehindKeys,
  type InProcessShipQueue,
  type PublisherStats,
  type QueuedShip,
  type RedisPublisherOptions,
  type ShipState,
  type ShipStatePublisher,
  type Validation,
  type WriteBehindKeys,
} from "./writebehind.js";
export {
  allRegions,
  borderDistances,
  clampToWorld,
  DEFAULT_WORLD,
  defineWorld,
  isRegion,
  neighbours,
  parseRegionRoomId,
  REGION_ROOM_NAME,
  regionBounds,
  regionCenter,
  regionHeight,
  regionOf,
  regionRoomId,
  regionsWithin,
  regionWidth,
  sameRegion,
  worldConfigSpec,
  worldFromConfig,
  type BorderDistances,
  type Rect,
  type Region,
  type WorldConfig,
} from "./world.js";
export {
  LocalRegionDirectory,
  RedisRegionDirectory,
  regionKeys,
  type RegionDirectory,
  type RegionOwner,
  type ZoneIdentity,
} from "./regions.js";
export {
  LocalShipOwnership,
  RedisShipOwnership,
  type OwnerRecord,
  type OwnershipChange,
  type OwnershipListener,
  type ShipOwnership,
} from "./ownership.js";
export { MemoryShipRepository, SPAWN_DEFAULTS, type ShipRepository, type Spawn, type StoredShip } from "./ships.js";
export type { RegionFencing } from "./fencing.js";
export * from "./handoff-client.js";
export type { BodyView, MapView, RegionView, ShipView } from "./state-view.js";

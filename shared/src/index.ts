export {
  ACCOUNT_EVENT_CLOSE,
  type AccountEvent,
  type AccountEventListener,
  type AccountEvents,
  LocalAccountEvents,
  RedisAccountEvents,
} from "./account-events.js";
export {
  ACCESS_TOKEN_TYPE,
  type AccessClaims,
  bearerToken,
  createTokenVerifier,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type TokenVerifier,
  type VerifierOptions,
} from "./auth.js";
export {
  ConfigError,
  type ConfigOf,
  type ConfigSpec,
  describeConfig,
  loadConfig,
  logLevelSetting,
  type Setting,
  setting,
} from "./config.js";
export {
  type ConnectionEdge,
  createConnectionEdge,
  type EdgeOptions,
  type EdgeSettings,
  edgeFromSettings,
  originOf,
} from "./edge.js";
export type { RegionFencing } from "./fencing.js";
export * from "./handoff-client.js";
export {
  type App,
  createApp,
  type HttpRequest,
  type HttpResponse,
  ListenError,
  type Listening,
  listen,
  mountNotFound,
  mountOps,
  type Reply,
  readJson,
  reply,
  toStarlaneError,
} from "./http.js";
export {
  type Balance,
  type BuyUpgrade,
  checkBuy,
  checkSale,
  checkTrade,
  flattenTrade,
  type Hold,
  type Ledger,
  MAX_LEDGER_AMOUNT,
  MemoryLedger,
  type SellOre,
  type Trade,
  type TradeResult,
  UPGRADES,
  type Upgrade,
} from "./ledger.js";
export { Lifecycle, runMain } from "./lifecycle.js";
export { createLogger, type Logger } from "./logger.js";
export { Counter, createRegistry, Gauge, Histogram, type Registry } from "./metrics.js";
export { loadMigrations, type Migration, migrate } from "./migrate.js";
export {
  createOperatorCheck,
  DEFAULT_OPERATOR_TOKEN_FILE,
  ensureOperatorTokenFile,
  OPERATOR_TOKEN_ENV,
  OPERATOR_TOKEN_FILE_ENV,
  OPERATOR_TOKEN_MIN_LENGTH,
  type OperatorCheck,
  type OperatorTokenFile,
  operatorTokenFileSetting,
  operatorTokenSetting,
  readOperatorTokenFile,
} from "./operator.js";
export {
  LocalShipOwnership,
  type OwnerRecord,
  type OwnershipChange,
  type OwnershipListener,
  RedisShipOwnership,
  type ShipOwnership,
} from "./ownership.js";
export {
  CHAT_GLOBAL,
  ChatClientMessage,
  ChatServerMessage,
  ClientMessage,
  CloseCode,
  type ErrorBody,
  ErrorCode,
  ServerMessage,
  StarlaneError,
} from "./protocol.js";
export { RedisFanout } from "./redis-fanout.js";
export {
  LocalRegionDirectory,
  RedisRegionDirectory,
  type RegionDirectory,
  type RegionOwner,
  regionKeys,
  type ZoneIdentity,
} from "./regions.js";
export {
  LocalRelocationBoard,
  RELOCATION_STATES,
  RELOCATION_TTL_MS,
  RedisRelocationBoard,
  type RelocationBoard,
  type RelocationOrder,
  type RelocationState,
  relocationKeys,
  relocationSettled,
} from "./relocation.js";
export { type Body, collide, fly, flyAmong, type Motion, wrapAngle } from "./rules/flight.js";
export { TUNING } from "./rules/tuning.js";
export { ensureSecretFile, readSecretFile, type SecretFile } from "./secret-file.js";
export {
  type EntryMeta,
  fromShipRow,
  type Ghost,
  ghostToWire,
  LEDGER_FIELDS,
  type LedgerField,
  NEW_SHIP,
  PERSISTED_FIELDS,
  type PersistedField,
  SHIP_COLUMNS,
  SHIP_FIELDS,
  type Ship,
  type ShipRow,
  type ShipSeed,
  seedFromShipState,
  shipFromSeed,
  toGhost,
  toShipRow,
  toShipState,
  toWire,
} from "./ship.js";
export { MemoryShipRepository, type ShipRepository, SPAWN_DEFAULTS, type Spawn, type StoredShip } from "./ships.js";
export {
  LocalRegionSnapshots,
  RedisRegionSnapshots,
  type RegionSnapshot,
  type RegionSnapshots,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
  type SnapshotShip,
} from "./snapshots.js";
export type { BodyView, MapView, RegionView, ShipView } from "./state-view.js";
export { mountStatic, PAGE_SECURITY_HEADERS } from "./static.js";
export { connectPostgres, connectRedis, transaction, UnreachableError } from "./stores.js";
export * from "./wire/index.js";
export {
  allRegions,
  type BorderDistances,
  borderDistances,
  clampToWorld,
  DEFAULT_WORLD,
  defineWorld,
  isRegion,
  neighbours,
  parseRegionRoomId,
  REGION_ROOM_NAME,
  type Rect,
  type Region,
  regionBounds,
  regionCenter,
  regionHeight,
  regionOf,
  regionRoomId,
  regionsWithin,
  regionWidth,
  sameRegion,
  type WorldConfig,
  worldConfigSpec,
  worldFromConfig,
} from "./world.js";
export {
  createInProcessShipQueue,
  createRedisShipPublisher,
  DEFAULT_KEY_PREFIX,
  DEFAULT_PUBLISH_INTERVAL_MS,
  decodeShipEntry,
  FlushTimeoutError,
  type InProcessShipQueue,
  nextShipVersion,
  type PublisherStats,
  type QueuedShip,
  type RedisPublisherOptions,
  SHIP_FIELD,
  type ShipState,
  type ShipStatePublisher,
  type Validation,
  validateShipState,
  type WriteBehindKeys,
  writeBehindKeys,
} from "./writebehind.js";
export {
  type ClusterStatus,
  LocalZoneStatusBoard,
  RedisZoneStatusBoard,
  type RegionStatus,
  readClusterStatus,
  type ZoneReport,
  type ZoneStatusBoard,
  zoneStatusKeys,
} from "./zone-status.js";

export { zoneConfig } from "./config.js";
export { createZoneServer, wantedRegions, type ZoneConfig, type ZoneDeps, type ZoneServer } from "./server.js";
export { MemoryShipStore, type ShipStore, type StoredShip } from "./ships.js";
export { ZoneTransport } from "./transport.js";
export { LocalShipOwnership, RedisShipOwnership, type OwnerRecord, type ShipOwnership } from "./ownership.js";

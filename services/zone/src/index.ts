export { zoneConfig } from "./config.js";
export { createZoneServer, wantedRegions, type ZoneConfig, type ZoneDeps, type ZoneServer } from "./server.js";
export { type StatusPublishing, startZoneStatus, zoneStatusConfig } from "./status.js";
export { ZoneTransport } from "./transport.js";

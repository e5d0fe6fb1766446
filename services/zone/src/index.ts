export { zoneConfig } from "./config.js";
export { createZoneServer, wantedRegions, type ZoneConfig, type ZoneDeps, type ZoneServer } from "./server.js";
export { ZoneTransport } from "./transport.js";

export { type ConsumerConfig, type PersistenceConfig, persistenceConfig } from "./config.js";
export { createPersistence, type Persistence, type PersistenceDeps } from "./consumer.js";
export { createRegionFencing, StaleEpochError } from "./epochs.js";
export { buyUpgrade, createLedger, type LedgerOptions, sellOre, trade } from "./ledger.js";
export type { PersistenceMetrics } from "./metrics.js";
export { MIGRATION_COMPONENT, migratePersistence } from "./schema.js";
export { type BatchOutcome, createShipRepository, writeShipBatch } from "./ships.js";

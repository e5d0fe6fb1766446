// What every region room of one zone server shares: the zone server (server.ts) builds it once and
// binds it to the room class (room.ts); the rooms read their settings and the zone's services here.
import type {
  ConnectionEdge,
  Ledger,
  Logger,
  RegionSnapshot,
  RegionSnapshots,
  ShipOwnership,
  ShipRepository,
  ShipStatePublisher,
  TokenVerifier,
  WorldConfig,
} from "@starlane/shared";
import type { ZoneMetrics } from "./metrics.js";
import type { RegionRoom } from "./room.js";

/** What every region room of one zone server shares. */
export interface RoomContext {
  world: WorldConfig;
  tickHz: number;
  /** Side of an interest cell (units). */
  cellSize: number;
  /** Send-buffer bytes over which a client's frames are skipped, and how long before it is closed. */
  slowReaderBytes: number;
  slowReaderCloseMs: number;
  inputQueue: number;
  maxMessagesPerSecond: number;
  maxMessageBytes: number;
  maxClients: number;
  /** Tests drive ticks with step(); otherwise Colyseus's fixed timestep does. */
  manualTicks: boolean;
  verifier: TokenVerifier;
  /** Per-address connection cap: a seat takes a slot at join (`lt` tokens exempt) and gives it back on leave. */
  edge: ConnectionEdge;
  /** Players this process admitted with an `lt` token (their handoff seats stay exempt). */
  loadTestPlayers: Set<string>;
  ships: Pick<ShipRepository, "load">;
  /** Which room owns which ship (versioned); handoffs move it atomically. */
  ownership: ShipOwnership;
  /** Where clients reach this zone (host:port), set once it listens. */
  address: string;
  borderBand: number;
  handoffHysteresis: number;
  handoffTimeoutMs: number;
  handoffRetryMs: number;
  /** Write-behind to persistence; without it ships live only as long as their room. */
  publisher?: ShipStatePublisher;
  /** The authority for credits and ore: sales go through it. Without it sales are refused. */
  ledger?: Ledger;
  /** Every ship is saved this often (in ticks), and always when its player leaves. */
  saveEveryTicks: number;
  /** The ownership epoch this zone holds the region at (carried by every save); 0 once it may not act on it. */
  epochOf(region: string): number;
  /** Whether this zone may act on `region` now (its lease is fresh on the zone's monotonic clock). */
  acting(region: string): boolean;
  /** Where region snapshots go (failover restores from them); without it none are taken. */
  snapshots?: RegionSnapshots;
  /** A snapshot is written this often (in ticks). */
  snapshotEveryTicks: number;
  /** The snapshot a takeover opens this room from (handed over once), or undefined for a fresh region. */
  restoreOf(roomId: string): RegionSnapshot | null | undefined;
  /** Whether some zone holds a live lease on `region` (a room that does not answer may only be slow). */
  regionLive(region: string): Promise<boolean>;
  /** Stopped for a planned move (relocate.ts): no tick, no ship comes in, joins wait. */
  halted(region: string): boolean;
  /** True once for each room id the zone's claim path is opening: any other room refuses to exist. */
  mayOpen(roomId: string): boolean;
  metrics: ZoneMetrics;
  log: Logger;
  opened(room: RegionRoom): void;
  closed(room: RegionRoom): void;
}

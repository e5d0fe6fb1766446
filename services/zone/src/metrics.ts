// The zone's metrics behind a small domain interface; prom-client does the exposition at /metrics.
import { Counter, Gauge, Histogram, type Registry } from "@starlane/shared";

export type DropReason =
  | "malformed"
  | "out_of_range"
  | "not_your_ship"
  | "replayed"
  | "overflow"
  | "not_joined"
  | "handoff_refused";

export type HandoffAbort = "refused" | "timeout" | "lost";

export interface ZoneMetrics {
  tick(region: string, seconds: number, overrun: boolean, bytesSent: number): void;
  inputApplied(region: string): void;
  inputDropped(region: string, reason: DropReason): void;
  closed(
    region: string,
    reason: "rate_limited" | "too_large" | "malformed" | "replaced" | "account" | "edge" | "moved",
  ): void;
  /** A slow reader's frame was skipped (counted once per stall), it was resynchronised, or closed (4130). */
  slowReader(region: string, event: "skipped" | "resynced" | "closed"): void;
  population(region: string, clients: number, entities: number): void;
  handoffStarted(region: string): void;
  /** `seconds` from the source's decision to the target owning the ship. */
  handoffCompleted(region: string, seconds: number): void;
  handoffAborted(region: string, reason: HandoffAbort): void;
  /** A ledger operation settled: `outcome` is "committed" or the refusal's error code; `seconds` from asking. */
  ledger(kind: "sale" | "purchase" | "trade", outcome: string, seconds: number): void;
  /** The connection edge refused an upgrade (HTTP 403/429) with `code`. */
  upgradeRefused(code: string): void;
  /** A lease renewal's outcome: "ok", "refused" (someone else holds the region), "error" (directory unreachable). */
  leaseRenewal(outcome: "ok" | "refused" | "error"): void;
  /** This zone stopped acting on a region: "refused" renewal, "fenced" (renewals too old), or "released". */
  regionLost(reason: string): void;
  /** A region whose lease had expired was claimed and restored here, in `seconds` from claim to open room. */
  takeover(region: string, seconds: number): void;
  /** A region snapshot was written (`bytes` long). */
  snapshotWritten(region: string, bytes: number): void;
  /** A write the store refused because it carried an older epoch: `store` "redis" or "postgres". */
  staleRefused(store: "redis" | "postgres"): void;
}

export function createZoneMetrics(registry: Registry): ZoneMetrics {
  const tickDuration = new Histogram({
    name: "starlane_zone_tick_duration_seconds",
    help: "Time to simulate one tick, update interest and encode + send patches.",
    labelNames: ["region"],
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const overruns = new Counter({
    name: "starlane_zone_tick_overruns_total",
    help: "Ticks that took longer than the tick interval.",
    labelNames: ["region"],
    registers: [registry],
  });
  const bytesPerTick = new Histogram({
    name: "starlane_zone_bytes_sent_per_tick",
    help: "Bytes sent to all clients of a region in one tick (patches and messages).",
    labelNames: ["region"],
    buckets: [0, 100, 1_000, 10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000],
    registers: [registry],
  });
  const bytesTotal = new Counter({
    name: "starlane_zone_bytes_sent_total",
    help: "Bytes sent to clients by the tick loop.",
    labelNames: ["region"],
    registers: [registry],
  });
  const applied = new Counter({
    name: "starlane_zone_inputs_applied_total",
    help: "Control inputs applied to ships.",
    labelNames: ["region"],
    registers: [registry],
  });
  const dropped = new Counter({
    name: "starlane_zone_inputs_dropped_total",
    help: "Inbound inputs and actions dropped, by reason.",
    labelNames: ["region", "reason"],
    registers: [registry],
  });
  const closed = new Counter({
    name: "starlane_zone_clients_closed_total",
    help: "Connections the zone closed, by reason: misbehaviour, replaced, an account decision (ban, sessions ended), or the connection edge (per-address caps).",
    labelNames: ["region", "reason"],
    registers: [registry],
  });
  const upgradesRefused = new Counter({
    name: "starlane_zone_upgrades_refused_total",
    help: "WebSocket upgrades the connection edge refused before any socket existed (wrong Origin, too many per second), by code.",
    labelNames: ["code"],
    registers: [registry],
  });
  const clients = new Gauge({
    name: "starlane_zone_clients",
    help: "Connected clients.",
    labelNames: ["region"],
    registers: [registry],
  });
  const entities = new Gauge({
    name: "starlane_zone_entities",
    help: "Entities simulated (ships, asteroids, stations, shots).",
    labelNames: ["region"],
    registers: [registry],
  });
  const handoffs = new Counter({
    name: "starlane_zone_handoffs_total",
    help: "Handoffs of ships to a neighbouring region's room, by the source region and outcome (started, completed, aborted).",
    labelNames: ["region", "outcome"],
    registers: [registry],
  });
  const handoffAborts = new Counter({
    name: "starlane_zone_handoffs_aborted_total",
    help: "Handoffs abandoned (the ship stayed with the source), by reason.",
    labelNames: ["region", "reason"],
    registers: [registry],
  });
  const handoffDuration = new Histogram({
    name: "starlane_zone_handoff_duration_seconds",
    help: "From the source deciding to hand a ship off to the target owning it.",
    labelNames: ["region"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2],
    registers: [registry],
  });
  const ledgerOps = new Counter({
    name: "starlane_zone_ledger_operations_total",
    help: "Sales, purchases and trades, by kind and outcome: committed, or the code of the refusal (by the ledger, or by the zone before asking it: busy, closed, not yours, partner away).",
    labelNames: ["kind", "outcome"],
    registers: [registry],
  });
  const ledgerLatency = new Histogram({
    name: "starlane_zone_ledger_commit_seconds",
    help: "From asking the ledger to its answer (retries of an unanswered call included), by kind.",
    labelNames: ["kind"],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const slowReaders = new Counter({
    name: "starlane_zone_slow_readers_total",
    help: "Clients over the send-buffer limit: stalls (frames skipped), resyncs (full state once drained), closes (4130).",
    labelNames: ["region", "event"],
    registers: [registry],
  });
  const renewals = new Counter({
    name: "starlane_zone_lease_renewals_total",
    help: "Region lease renewals, by outcome (ok, refused: another zone holds it, error: directory unreachable).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const lost = new Counter({
    name: "starlane_zone_regions_lost_total",
    help: "Regions this zone stopped acting on, by reason (refused renewal, fenced: no renewal confirmed in time).",
    labelNames: ["reason"],
    registers: [registry],
  });
  const takeovers = new Counter({
    name: "starlane_zone_takeovers_total",
    help: "Regions claimed here after their previous owner's lease expired (failover).",
    registers: [registry],
  });
  const restoreDuration = new Histogram({
    name: "starlane_zone_restore_duration_seconds",
    help: "From claiming an orphaned region to its room being open (fence, snapshot load, ship rows).",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const snapshotBytes = new Gauge({
    name: "starlane_zone_snapshot_bytes",
    help: "Size of the region's last snapshot written.",
    labelNames: ["region"],
    registers: [registry],
  });
  const snapshotAt = new Map<string, number>();
  new Gauge({
    name: "starlane_zone_snapshot_age_seconds",
    help: "Time since the region's last snapshot was written.",
    labelNames: ["region"],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const [region, at] of snapshotAt) this.set({ region }, (now - at) / 1000);
    },
  });
  const stale = new Counter({
    name: "starlane_zone_stale_writes_refused_total",
    help: "Writes a store refused because they carried an older ownership epoch, by store (redis, postgres).",
    labelNames: ["store"],
    registers: [registry],
  });
  return {
    slowReader: (region, event) => {
      slowReaders.inc({ region, event });
      if (event === "closed") closed.inc({ region, reason: "slow_reader" });
    },
    leaseRenewal: (outcome) => renewals.inc({ outcome }),
    regionLost(reason) {
      lost.inc({ reason });
    },
    takeover(region, seconds) {
      takeovers.inc();
      restoreDuration.observe(seconds);
      snapshotAt.delete(region);
    },
    snapshotWritten(region, bytes) {
      snapshotBytes.set({ region }, bytes);
      snapshotAt.set(region, Date.now());
    },
    staleRefused: (store) => stale.inc({ store }),
    ledger(kind, outcome, seconds) {
      ledgerOps.inc({ kind, outcome });
      if (outcome === "committed") ledgerLatency.observe({ kind }, seconds);
    },
    handoffStarted: (region) => handoffs.inc({ region, outcome: "started" }),
    handoffCompleted(region, seconds) {
      handoffs.inc({ region, outcome: "completed" });
      handoffDuration.observe({ region }, seconds);
    },
    handoffAborted(region, reason) {
      handoffs.inc({ region, outcome: "aborted" });
      handoffAborts.inc({ region, reason });
    },
    tick(region, seconds, overrun, bytesSent) {
      tickDuration.observe({ region }, seconds);
      overruns.inc({ region }, overrun ? 1 : 0);
      bytesPerTick.observe({ region }, bytesSent);
      bytesTotal.inc({ region }, bytesSent);
    },
    inputApplied: (region) => applied.inc({ region }),
    inputDropped: (region, reason) => dropped.inc({ region, reason }),
    closed: (region, reason) => closed.inc({ region, reason }),
    upgradeRefused: (code) => upgradesRefused.inc({ code }),
    population(region, c, e) {
      clients.set({ region }, c);
      entities.set({ region }, e);
    },
  };
}

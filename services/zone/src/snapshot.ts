// A region's snapshot, taken from and restored into its simulation. What a takeover restores: the
// ships (with the last input sequence applied to each, so inputs re-sent after the crash apply at
// most once) and the asteroids' ore. The store and its epoch fence are @starlane/shared's
// RegionSnapshots; custody decides which of the snapshot's ships are still this region's.
import {
  type Logger,
  type RegionSnapshot,
  type RegionSnapshots,
  SNAPSHOT_FORMAT,
  type SnapshotShip,
} from "@starlane/shared";
import type { ZoneMetrics } from "./metrics.js";
import type { SimState } from "./rules/types.js";

type Versions = (id: string) => { version: number; ledgerVersion: number } | undefined;

export function takeSnapshot(sim: SimState, region: string, epoch: number, versions: Versions): RegionSnapshot {
  const ships: SnapshotShip[] = [];
  for (const ship of sim.ships.values()) {
    const v = versions(ship.id);
    ships.push({ ...ship, version: v?.version ?? 0, ledgerVersion: v?.ledgerVersion ?? 0 });
  }
  const ore: Record<string, number> = {};
  for (const a of sim.asteroids.values()) ore[a.id] = a.ore;
  return { format: SNAPSHOT_FORMAT, region, epoch, tick: sim.tick, takenAt: Date.now(), ships, ore };
}

/** The world state of a snapshot (ore, the tick count); its ships go through custody. */
export function restoreWorld(sim: SimState, snapshot: RegionSnapshot): void {
  sim.tick = snapshot.tick;
  for (const [id, ore] of Object.entries(snapshot.ore)) {
    const a = sim.asteroids.get(id);
    if (a && Number.isFinite(ore)) a.ore = ore;
  }
}

/** Writes one region's snapshots, one at a time: a slow store skips a beat rather than queueing. */
export class SnapshotWriter {
  #busy = false;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: RegionSnapshots,
    readonly log: Logger,
    readonly metrics: ZoneMetrics,
  ) {}

  write(sim: SimState, region: string, epoch: number, versions: Versions): void {
    if (this.#busy || epoch === 0) return;
    this.#busy = true;
    this.#writing = this.store
      .save(takeSnapshot(sim, region, epoch, versions))
      .then(({ stored, bytes }) => {
        if (stored) return this.metrics.snapshotWritten(region, bytes);
        this.metrics.staleRefused("redis");
        this.log.warn({ region, epoch }, "snapshot refused: a newer epoch holds the region");
      })
      .catch((err) => this.log.warn({ err, region }, "snapshot not written"))
      .finally(() => {
        this.#busy = false;
      });
  }

  /**
   * A planned move's last snapshot: after any write in flight (so an older one cannot land over it),
   * stored or rejected. Resolves the snapshot the next owner must find.
   */
  async final(sim: SimState, region: string, epoch: number, versions: Versions): Promise<RegionSnapshot> {
    await this.#writing.catch(() => {});
    const snapshot = takeSnapshot(sim, region, epoch, versions);
    const { stored, bytes } = await this.store.save(snapshot);
    if (!stored) throw new Error(`the final snapshot of ${region} was refused: a newer epoch holds the region`);
    this.metrics.snapshotWritten(region, bytes);
    return snapshot;
  }
}

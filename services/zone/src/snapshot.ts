// A region's snapshot, taken from and restored into its simulation. What a takeover restores: the
// ships (with the last input sequence applied to each, so inputs re-sent after the crash apply at
// most once) and the asteroids' ore. The store and its epoch fence are @starlane/shared's
// RegionSnapshots; custody decides which of the snapshot's ships are still this region's.
import { type RegionSnapshot, SNAPSHOT_FORMAT, type SnapshotShip } from "@starlane/shared";
import type { SimState } from "./rules/types.js";

export function takeSnapshot(
  sim: SimState,
  region: string,
  epoch: number,
  versions: (id: string) => { version: number; ledgerVersion: number } | undefined,
): RegionSnapshot {
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

// Write-behind from a region room: every ship is handed to the ShipStatePublisher once per save
// interval and when its player leaves (and so on shutdown), never awaiting anything in the tick.
// Each publish carries a version that only grows and the region's ownership epoch, so persistence
// can refuse late entries and entries from a zone that lost the region.
import { nextShipVersion, type ShipStatePublisher, toShipState } from "@starlane/shared";
import type { Ship } from "./rules/types.js";

interface Saved {
  version: number;
  ledgerVersion: number;
}

export class ShipSaver {
  readonly #saved = new Map<string, Saved>();

  constructor(
    /** Without one (tests, a zone without persistence) the saver only keeps the versions. */
    private readonly publisher: ShipStatePublisher | undefined,
    private readonly region: string,
    private readonly epoch: () => number,
  ) {}

  /** Remember where a loaded ship's versions stand, so the next publish supersedes the stored row. */
  adopt(playerId: string, stored: { version?: number; ledgerVersion?: number } | null): void {
    this.#saved.set(playerId, { version: stored?.version ?? 0, ledgerVersion: stored?.ledgerVersion ?? 0 });
  }

  save(ship: Ship): void {
    // Epoch 0: this zone may not act on the region any more (see lease.ts); nothing is written.
    const epoch = this.epoch();
    if (epoch === 0) return;
    const saved = this.#saved.get(ship.id) ?? { version: 0, ledgerVersion: 0 };
    saved.version = nextShipVersion(saved.version);
    this.#saved.set(ship.id, saved);
    this.publisher?.publish(
      toShipState(ship, {
        region: this.region,
        version: saved.version,
        epoch,
        ledgerVersion: saved.ledgerVersion,
      }),
    );
  }

  /** How many ledger operations the ship's credits and cargo include (a sale sends it as its hold's). */
  ledgerVersion(playerId: string): number {
    return this.#saved.get(playerId)?.ledgerVersion ?? 0;
  }

  /**
   * The ledger committed an operation: later entries carry its version, so the store takes their
   * credits and cargo again. False (nothing to apply) when the ship already includes it.
   */
  committed(playerId: string, ledgerVersion: number): boolean {
    const saved = this.#saved.get(playerId);
    if (!saved || saved.ledgerVersion >= ledgerVersion) return false;
    saved.ledgerVersion = ledgerVersion;
    return true;
  }

  /** Where a ship's versions stand (handed to the next room with the ship). */
  versions(playerId: string): Saved | undefined {
    const s = this.#saved.get(playerId);
    return s ? { ...s } : undefined;
  }

  /** The ship was handed to another room, which saves it from now on: forget it without saving. */
  forget(playerId: string): void {
    this.#saved.delete(playerId);
  }

  /** The ship left this room for good: save it one last time and forget it. */
  release(ship: Ship): void {
    this.save(ship);
    this.#saved.delete(ship.id);
  }
}

// Where a joining player's ship comes from. The zone only reads here; the persistence service owns
// writes (its repository implements this). Keep this interface small.
import type { ShipState } from "@starlane/shared";

/** The last committed state of a player's ship (persistence's ShipState; the zone needs these fields). */
export type StoredShip = Pick<
  ShipState,
  "playerId" | "x" | "y" | "vx" | "vy" | "heading" | "hull" | "cargo" | "credits" | "ledgerVersion"
> &
  Partial<Pick<ShipState, "version">>;

export interface ShipStore {
  /** The player's last committed ship, or null for a new player (who starts at a station). */
  load(playerId: string): Promise<StoredShip | null>;
}

/** In-process store for the embedded mode and tests. */
export class MemoryShipStore implements ShipStore {
  readonly #ships = new Map<string, StoredShip>();

  async load(playerId: string): Promise<StoredShip | null> {
    const s = this.#ships.get(playerId);
    return s ? { ...s } : null;
  }

  put(ship: StoredShip): void {
    this.#ships.set(ship.playerId, { ...ship });
  }
}

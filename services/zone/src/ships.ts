// Where a joining player's ship comes from. The zone only reads here; the persistence service owns
// writes (a PostgreSQL-backed implementation comes with it). Keep this interface small.

/** The last committed state of a player's ship. */
export interface StoredShip {
  playerId: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  heading: number;
  hull: number;
  cargo: number;
  credits: number;
  /** Write-behind version of the stored row (persistence); the zone's next save supersedes it. */
  version?: number;
  /** Trades and sales already in credits and cargo (persistence's ledger). */
  ledgerVersion?: number;
}

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

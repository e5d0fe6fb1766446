// Where a player's ship comes from: the last committed state, and a new ship at a spawn point on
// first entry. Persistence owns the data and implements this over PostgreSQL
// (`createShipRepository(pool)` in @starlane/persistence); the zone only loads, world entry also
// creates. The in-process repository here stands in for it in tests.
import { NEW_SHIP } from "./ship.js";
import type { ShipState } from "./writebehind.js";

/** The fields of a committed ship (a ShipState) that the services reading it need. */
export type StoredShip = Pick<
  ShipState,
  "playerId" | "x" | "y" | "vx" | "vy" | "heading" | "hull" | "cargo" | "credits" | "ledgerVersion"
> &
  Partial<Pick<ShipState, "version" | "holdLevel">>;

/** Where a new ship starts (next to a station). */
export interface Spawn {
  region: string;
  x: number;
  y: number;
  heading?: number;
  hull?: number;
  credits?: number;
  cargo?: number;
}

/** What a new ship has when its spawn does not say. */
export const SPAWN_DEFAULTS = { hull: NEW_SHIP.hull, credits: NEW_SHIP.credits, cargo: NEW_SHIP.cargo } as const;

export interface ShipRepository {
  /** The player's last committed ship, or null for a player who has none yet. */
  load(playerId: string): Promise<StoredShip | null>;
  /**
   * The player's ship, created at `spawn` (version 0) if it does not exist. Idempotent: an existing
   * ship is returned unchanged, wherever it is now.
   */
  createAtSpawn(playerId: string, name: string, spawn: Spawn): Promise<StoredShip>;
}

/** In-process repository (tests; the embedded mode keeps ships in PostgreSQL like the cluster). */
export class MemoryShipRepository implements ShipRepository {
  readonly #ships = new Map<string, StoredShip>();

  async load(playerId: string): Promise<StoredShip | null> {
    const s = this.#ships.get(playerId);
    return s ? { ...s } : null;
  }

  async createAtSpawn(playerId: string, _name: string, spawn: Spawn): Promise<StoredShip> {
    if (!this.#ships.has(playerId)) {
      this.put({
        playerId,
        x: spawn.x,
        y: spawn.y,
        vx: 0,
        vy: 0,
        heading: spawn.heading ?? 0,
        hull: spawn.hull ?? SPAWN_DEFAULTS.hull,
        cargo: spawn.cargo ?? SPAWN_DEFAULTS.cargo,
        credits: spawn.credits ?? SPAWN_DEFAULTS.credits,
        version: 0,
        ledgerVersion: 0,
      });
    }
    return (await this.load(playerId))!;
  }

  /** Sets a player's committed ship (what write-behind would have stored). */
  put(ship: StoredShip): void {
    this.#ships.set(ship.playerId, { ...ship });
  }
}

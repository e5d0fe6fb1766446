// What `POST /v1/world/enter` needs from the rest of the system. Login only authenticates the
// player; finding the ship, its region and the zone process that owns it belongs to the
// persistence and zone services, wired in by whoever composes the processes.
import type { AccessClaims } from "@starlane/shared";

export interface WorldSeat {
  /** The Colyseus room of the region the ship is in. */
  roomId: string;
  /** The seat reservation to join that room with (Colyseus `consumeSeatReservation`). */
  reservation: unknown;
  /** The zone process's public address (ws:// or wss://) the client connects to. */
  address: string;
}

export interface WorldEntry {
  /**
   * Loads (or creates at a spawn point) the player's ship, finds its region and that region's zone,
   * and reserves a seat there. Rejects with a StarlaneError the client may see (for example
   * STARLANE_ERR_REGION_UNAVAILABLE); anything else is answered as a 500 and logged.
   */
  enter(claims: AccessClaims): Promise<WorldSeat>;
}

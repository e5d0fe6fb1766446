// `POST /v1/world/enter`: the player's ship (created at a station on first entry), the region it is
// in, the zone process that owns that region, and a seat in that region's room. The client never
// chooses a region or a server.
import {
  type AccessClaims,
  type RegionDirectory,
  regionCenter,
  regionOf,
  regionRoomId,
  StarlaneError,
  type WorldConfig,
} from "@starlane/shared";

export interface WorldSeat {
  /** The Colyseus room of the region the ship is in. */
  roomId: string;
  /** The seat reservation to join that room with (Colyseus `consumeSeatReservation`). */
  reservation: unknown;
  /** The zone process's public address (host:port) the client connects to. */
  address: string;
  /** The world's grid, so a client can draw region borders without knowing the server's config. */
  world?: WorldConfig;
}

export interface WorldEntry {
  /**
   * Loads (or creates at a spawn point) the player's ship, finds its region and that region's zone,
   * and reserves a seat there with the player's own access token (the zone checks it again).
   * Rejects with a StarlaneError the client may see (for example STARLANE_ERR_REGION_UNAVAILABLE);
   * anything else is answered as a 500 and logged.
   */
  enter(claims: AccessClaims, accessToken: string): Promise<WorldSeat>;
}

/** The ship fields world entry needs from persistence's repository. */
export interface EntryShips {
  load(playerId: string): Promise<{ region: string; x: number; y: number } | null>;
  createAtSpawn(playerId: string, name: string, spawn: { region: string; x: number; y: number }): Promise<unknown>;
}

export interface WorldEntryDeps {
  world: WorldConfig;
  ships: EntryShips;
  directory: RegionDirectory;
  /** Seat requests to a zone give up after this long (the zone may be dead with a live lease). */
  reserveTimeoutMs?: number;
}

// New players start next to a station (each region has one at its centre), spread over the regions
// by account id so a wave of sign-ups does not all land on one zone.
function spawnFor(world: WorldConfig, playerId: string) {
  let h = 0;
  for (const ch of playerId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const region = { col: h % world.cols, row: Math.floor(h / world.cols) % world.rows };
  const c = regionCenter(world, region);
  return { region: regionRoomId(region), x: c.x + 150, y: c.y };
}

export function createWorldEntry(deps: WorldEntryDeps): WorldEntry {
  const timeoutMs = deps.reserveTimeoutMs ?? 3000;
  return {
    async enter(claims, accessToken) {
      let ship = await deps.ships.load(claims.sub);
      if (!ship) {
        await deps.ships.createAtSpawn(claims.sub, claims.name, spawnFor(deps.world, claims.sub));
        ship = await deps.ships.load(claims.sub);
        if (!ship) throw new Error(`ship of ${claims.sub} missing right after creation`);
      }
      // The stored position decides; the stored region is only what the last writer thought.
      const roomId = regionRoomId(regionOf(deps.world, ship.x, ship.y));
      const owner = await deps.directory.owner(roomId);
      if (!owner) throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE");
      let res: Response;
      try {
        res = await fetch(`http://${owner.address}/matchmake/joinById/${encodeURIComponent(roomId)}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
          body: "{}",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE", undefined, { cause });
      }
      const body = (await res.json().catch(() => null)) as { error?: string; code?: unknown } | null;
      if (!res.ok) {
        // The zone refuses with our catalogue codes (token, seat); anything else means "not now".
        const code = typeof body?.error === "string" && /^STARLANE_ERR_[A-Z_]+$/.test(body.error) ? body.error : null;
        if (code === "STARLANE_ERR_UNAUTHORIZED" || code === "STARLANE_ERR_SEAT_INVALID") throw new StarlaneError(code);
        throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE", undefined, {
          cause: new Error(`zone ${owner.zoneId} answered ${res.status}: ${JSON.stringify(body)}`),
        });
      }
      return { roomId, reservation: body, address: owner.address, world: deps.world };
    },
  };
}

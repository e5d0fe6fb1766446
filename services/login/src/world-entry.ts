// `POST /v1/world/enter`: the player's ship (created at a station on first entry), the region room
// that holds it, the zone process that owns that region, and a seat in that room. The client never
// chooses a region or a server.
import {
  type AccessClaims,
  type RegionDirectory,
  regionCenter,
  regionOf,
  regionRoomId,
  type ShipOwnership,
  type ShipRepository,
  type Spawn,
  StarlaneError,
  type WorldConfig,
} from "@starlane/shared";

export interface WorldSeat {
  /** The Colyseus room of the region that holds the ship. */
  roomId: string;
  /** The seat reservation to join that room with (Colyseus `consumeSeatReservation`). */
  reservation: unknown;
  /** The zone process's public address (host:port) the client connects to. */
  address: string;
  /** The world's grid, so a client can draw region borders without knowing the server's config. */
  world?: WorldConfig;
  /** Where chat is: its WebSocket URL (any instance; they share everything). */
  chat?: string;
}

export interface WorldEntry {
  /**
   * Loads (or creates at a spawn point) the player's ship, finds the region room that holds it and
   * that region's zone, and reserves a seat there with the player's own access token (the zone
   * checks it again).
   * Rejects with a StarlaneError the client may see (for example STARLANE_ERR_REGION_UNAVAILABLE);
   * anything else is answered as a 500 and logged.
   */
  enter(claims: AccessClaims, accessToken: string): Promise<WorldSeat>;
  /** Which zone owns each region now (`GET /v1/world/map`); read at most once a second. */
  map(): Promise<WorldMap>;
}

export interface WorldMap {
  world: WorldConfig;
  /** Every region of the grid, row by row; `zone` null while no zone holds it. */
  regions: { region: string; zone: string | null; address: string | null; epoch: number | null }[];
}

/** How often an entry waiting for a region's new zone asks the directory. */
const OWNER_POLL_MS = 100;

/** How long one reading of the region owners is served to every caller. */
const MAP_TTL_MS = 1000;

export interface WorldEntryDeps {
  world: WorldConfig;
  ships: ShipRepository;
  /** The zones' ship ownership records (the same store the zones write): where a ship is now. */
  ownership: Pick<ShipOwnership, "get">;
  directory: RegionDirectory;
  /**
   * How long an entry waits for a region with no live zone (or a dead one whose lease has not run
   * out yet) to get one, a takeover, before answering 503 (default 2500 ms; 0: no wait).
   */
  ownerWaitMs?: number;
  /** Seat requests to a zone give up after this long (the zone may be dead with a live lease). */
  reserveTimeoutMs?: number;
  /** Chat's public WebSocket URL, told to clients (a function: embedded knows it once listening). */
  chatUrl?: () => string | undefined;
}

// New players start next to a station (each region has one at its centre), spread over the regions
// by account id so a wave of sign-ups does not all land on one zone.
function spawnFor(world: WorldConfig, playerId: string): Spawn {
  let h = 0;
  for (const ch of playerId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const region = { col: h % world.cols, row: Math.floor(h / world.cols) % world.rows };
  const c = regionCenter(world, region);
  return { region: regionRoomId(region), x: c.x + 150, y: c.y };
}

export function createWorldEntry(deps: WorldEntryDeps): WorldEntry {
  const timeoutMs = deps.reserveTimeoutMs ?? 3000;
  const ownerWaitMs = deps.ownerWaitMs ?? 2500;

  // The ownership record names the room that holds the ship now; the stored position can be a save
  // interval behind it (a ship just handed on), and a seat there would send the player bouncing
  // to the owner. Only a ship no room holds (never played, or its player left) is where it was
  // stored; the stored region is only what the last writer thought, the position decides.
  const holder = async (claims: AccessClaims): Promise<string> => {
    const rec = await deps.ownership.get(claims.sub);
    if (rec?.region) return rec.region;
    const ship =
      (await deps.ships.load(claims.sub)) ??
      (await deps.ships.createAtSpawn(claims.sub, claims.name, spawnFor(deps.world, claims.sub)));
    return regionRoomId(regionOf(deps.world, ship.x, ship.y));
  };
  let mapRead: { at: number; map: Promise<WorldMap> } | undefined;
  const readMap = async (): Promise<WorldMap> => {
    const ids: string[] = [];
    for (let row = 0; row < deps.world.rows; row++)
      for (let col = 0; col < deps.world.cols; col++) ids.push(regionRoomId({ col, row }));
    const owners = await Promise.all(ids.map((id) => deps.directory.owner(id)));
    return {
      world: deps.world,
      regions: ids.map((region, i) => {
        const o = owners[i];
        return { region, zone: o?.zoneId ?? null, address: o?.address ?? null, epoch: o?.epoch ?? null };
      }),
    };
  };
  return {
    map() {
      const now = Date.now();
      if (!mapRead || now - mapRead.at >= MAP_TTL_MS) {
        const map = readMap();
        mapRead = { at: now, map };
        map.catch(() => {
          if (mapRead?.map === map) mapRead = undefined; // a failed read is not served for a second
        });
      }
      return mapRead.map;
    },
    async enter(claims, accessToken) {
      const roomId = await holder(claims);
      // A failover: the players of a dead zone all come here at once. Rather than send each back
      // with Retry-After, wait (briefly, polling the directory) for the zone taking the region over;
      // that zone holds the seat request until the region's room is open (its gate's OpeningSoon).
      const deadline = performance.now() + ownerWaitMs;
      const liveOwner = async (notZone?: string) => {
        for (;;) {
          const owner = await deps.directory.owner(roomId);
          if (owner && owner.zoneId !== notZone) return owner;
          if (performance.now() >= deadline) return null;
          await new Promise((r) => setTimeout(r, OWNER_POLL_MS));
        }
      };
      let owner = await liveOwner();
      if (!owner) throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE");
      const reserve = (address: string) =>
        fetch(`http://${address}/matchmake/joinById/${encodeURIComponent(roomId)}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
          body: "{}",
          signal: AbortSignal.timeout(timeoutMs),
        });
      let res: Response;
      try {
        res = await reserve(owner.address);
      } catch (cause) {
        // Unreachable: it died and its lease has not run out yet. Its successor is a moment away.
        const next = await liveOwner(owner.zoneId);
        if (!next) throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE", undefined, { cause });
        owner = next;
        try {
          res = await reserve(owner.address);
        } catch (cause2) {
          throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE", undefined, { cause: cause2 });
        }
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
      const chat = deps.chatUrl?.();
      return { roomId, reservation: body, address: owner.address, world: deps.world, ...(chat ? { chat } : {}) };
    },
  };
}

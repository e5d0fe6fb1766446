// Colyseus's room listings (where the matchmaker sends a joinById) are keyed by room id, which is the
// region: after a takeover the successor lists the same id on another process. Three writers could
// take that listing away and strand the region's players ("room not found" on every join):
// - a sweep of the dead process (Colyseus's health check: query its listings, then delete by id)
//   racing the successor's new listing;
// - the lost room itself disposing, or a woken (SIGCONT) room's clients leaving, which updates the
//   client count by rewriting the whole listing (processId included) over the successor's;
// - a lost room re-listing itself.
// So every write of a listing is checked against its owner: a process writes or removes a listing
// only while it is still its own, and in Redis the check and the write are one script (no round
// trip in between for a successor's listing to slip into). A room lists itself only while its zone
// acts on the region, and only its current room (a region lost and reopened on the same process has
// two rooms of one id for a moment: the old one's disposal must not take the new one's listing down).
import type { IRoomCache, MatchMakerDriver } from "@colyseus/core";
import { matchMaker } from "@colyseus/core";
import type { Redis } from "ioredis";

/** A driver whose listings can be rewritten or removed only by the process that holds them. */
export interface OwnedListings {
  /** Sets (json) or removes (null) the listing of `roomId` if it is `processId`'s; false if not. */
  ifOwner(roomId: string, processId: string, json: string | null): Promise<boolean>;
}

// KEYS[1] Colyseus's listings hash; ARGV[1] room id, ARGV[2] process id, ARGV[3] the new listing
// (empty: remove).
const IF_OWNER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if cjson.decode(cur).processId ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1`;

/** The owner-checked writes for @colyseus/redis-driver's listings (its hash is `roomcaches`). */
export function redisOwnedListings(client: Redis): OwnedListings {
  return {
    ifOwner: async (roomId, processId, json) =>
      (await client.eval(IF_OWNER, 1, "roomcaches", roomId, processId, json ?? "")) === 1,
  };
}

/** The zone's view of its rooms, for the listings. */
export interface ListedRooms {
  /** The listing of the room this zone serves `roomId` with now (acting on the region), if any. */
  current(roomId: string): IRoomCache | undefined;
  /** The zone is shutting down (its rooms take their listings down). */
  closing(): boolean;
}

/**
 * Wraps `driver` so this process writes only the listings of the rooms it serves now: a listing is
 * written or updated only by the current room of its region (not by an older room of the same
 * region on this process, lost and being disposed while a takeover reopened the region here), and
 * only while it is still this process's; a listing is removed only when no current room of this
 * process serves it (a lost room's, or at shutdown), and only if it is still this process's; a sweep
 * of another process removes only listings still that process's. Without `ifOwner` (the in-process
 * driver: one process, nothing to race) the owner is checked with a read first.
 */
export function ownListingsOnly(
  driver: MatchMakerDriver & Partial<OwnedListings>,
  rooms: ListedRooms,
  /** This process's id in the listings (Colyseus's, set when the server starts). */
  self: () => string = () => matchMaker.processId,
): MatchMakerDriver {
  const remove = driver.remove.bind(driver);
  const persist = driver.persist.bind(driver);
  const update = driver.update.bind(driver);
  const ifOwner = driver.ifOwner?.bind(driver);
  const removeIfOwner = async (roomId: string, processId: string) => {
    if (ifOwner) return ifOwner(roomId, processId, null);
    const listing = await driver.findOne({ roomId });
    return listing?.processId === processId ? remove(roomId) : false;
  };
  const current = (listing: IRoomCache) => rooms.current(listing.roomId) === listing;
  driver.cleanup = async (processId: string) => {
    for (const listing of await driver.query({ processId })) await removeIfOwner(listing.roomId, processId);
  };
  // The successor's first listing replaces the dead room's (whoever's it was).
  driver.persist = async (listing, create) => (current(listing) ? persist(listing, create) : false);
  driver.remove = async (roomId: string) =>
    rooms.current(roomId) && !rooms.closing() ? false : removeIfOwner(roomId, self());
  driver.update = async (listing, operations) => {
    if (!current(listing)) return false;
    if (!ifOwner) return update(listing, operations);
    const r = listing as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(operations.$set ?? {})) r[field] = value;
    for (const [field, value] of Object.entries(operations.$inc ?? {})) r[field] = Number(r[field]) + Number(value);
    return ifOwner(listing.roomId, self(), JSON.stringify(listing));
  };
  return driver;
}

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
// acts on the region.
import type { MatchMakerDriver } from "@colyseus/core";
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

/**
 * Wraps `driver` so this process writes only its own listings: `holds(roomId)` says whether the zone
 * acts on that region now (a new listing or an update needs it); rewrites and removals need the
 * listing to be this process's, and a sweep of another process removes only listings still that
 * process's. Without `ifOwner` (the in-process driver: one process, nothing to race) the owner is
 * checked with a read first.
 */
export function ownListingsOnly(
  driver: MatchMakerDriver & Partial<OwnedListings>,
  holds: (roomId: string) => boolean,
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
  driver.cleanup = async (processId: string) => {
    for (const listing of await driver.query({ processId })) await removeIfOwner(listing.roomId, processId);
  };
  // The successor's first listing replaces the dead room's (whoever's it was): only while it holds.
  driver.persist = async (room, create) => (holds(room.roomId) ? persist(room, create) : false);
  driver.remove = (roomId: string) => removeIfOwner(roomId, self());
  driver.update = async (room, operations) => {
    if (!holds(room.roomId)) return false;
    if (!ifOwner) return update(room, operations);
    const r = room as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(operations.$set ?? {})) r[field] = value;
    for (const [field, value] of Object.entries(operations.$inc ?? {})) r[field] = Number(r[field]) + Number(value);
    return ifOwner(room.roomId, self(), JSON.stringify(room));
  };
  return driver;
}

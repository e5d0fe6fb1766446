// Which region room is authoritative for a ship, as one versioned record per ship. Every change is a
// compare-and-set on (region, version) and bumps the version, so a handoff moves ownership in one
// atomic step and a late or replayed step (an old version) is refused. Every successful change is
// also published, so other services (world entry, chat) can follow where a player is. Two
// implementations with the same behaviour: in-process for the embedded mode and tests, Redis (Lua)
// for the cluster. The zone writes records; everyone else only reads and watches.
import type { Redis } from "ioredis";
import { RedisFanout } from "./redis-fanout.js";

export interface OwnerRecord {
  /** Region room id of the owner; "" when no room holds the ship (its player left). */
  region: string;
  /** Grows by one on every change of this ship's record. */
  version: number;
}

/** One successful change of a ship's record: it went from region `from` to `to`, now at `version`. */
export interface OwnershipChange {
  ship: string;
  /** "" when the ship was free (taken on join). */
  from: string;
  /** "" when the ship was released (its player left). Equal to `from` when an owner only fenced a failed handoff. */
  to: string;
  version: number;
}

export type OwnershipListener = (change: OwnershipChange) => void;

export interface ShipOwnership {
  get(ship: string): Promise<OwnerRecord | null>;
  /**
   * Makes `to` the owner if the record is exactly (`from`, `version`) now; resolves the new record,
   * or null when it is not (someone else moved it first: the caller is not the owner any more).
   * `from` = "" with the version of a released record (or 0 for none) takes a free ship.
   */
  move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null>;
  /**
   * The ships whose record names `region` now (as the moves left them). A takeover finds with it
   * the ships a dead owner took after its last snapshot (a handoff it accepted, a player who joined).
   */
  shipsIn(region: string): Promise<string[]>;
  /**
   * Calls `listener` with every successful change made after the returned promise resolves, by any
   * process sharing the records; a refused move publishes nothing. Resolves the unsubscribe.
   *
   * Delivery is at most once: changes are in order per ship (by version), but a watcher that is
   * disconnected (Redis pub/sub) misses what happened meanwhile and is not told. A follower that
   * needs the truth reads `get()`, and can tell a gap by a version that skips. Listeners must not
   * throw; they are called asynchronously, never inside `move()`.
   */
  watch(listener: OwnershipListener): Promise<() => Promise<void>>;
}

/** In-process records (embedded mode, tests). */
export class LocalShipOwnership implements ShipOwnership {
  readonly #records = new Map<string, OwnerRecord>();
  readonly #listeners = new Set<OwnershipListener>();

  async get(ship: string): Promise<OwnerRecord | null> {
    const r = this.#records.get(ship);
    return r ? { ...r } : null;
  }

  async move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null> {
    const r = this.#records.get(ship) ?? { region: "", version: 0 };
    if (r.region !== from || r.version !== version) return null;
    const next = { region: to, version: version + 1 };
    this.#records.set(ship, next);
    const change = { ship, from, to, version: next.version };
    // As with Redis, the change reaches listeners after the move, and a listener cannot fail it.
    for (const listener of this.#listeners)
      queueMicrotask(() => this.#listeners.has(listener) && listener({ ...change }));
    return { ...next };
  }

  async shipsIn(region: string): Promise<string[]> {
    if (region === "") return []; // released: in no region
    return [...this.#records].filter(([, r]) => r.region === region).map(([ship]) => ship);
  }

  async watch(listener: OwnershipListener): Promise<() => Promise<void>> {
    // A wrapper, so the same function watching twice is two subscriptions.
    const own: OwnershipListener = (c) => listener(c);
    this.#listeners.add(own);
    return async () => {
      this.#listeners.delete(own);
    };
  }
}

// KEYS[1] record hash, KEYS[2] / KEYS[3] the ship sets of regions `from` / `to`; ARGV from, version,
// to, ttl seconds, channel, ship. Returns the new version or -1. The event is published by the same
// script as the compare-and-set, so a change and its event can never disagree (no event without the
// change, no change without the event), and the region sets always follow the records.
const MOVE = `
local region = redis.call('HGET', KEYS[1], 'region') or ''
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if region ~= ARGV[1] or version ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'region', ARGV[3], 'version', version + 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if ARGV[1] ~= '' then redis.call('SREM', KEYS[2], ARGV[6]) end
if ARGV[3] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[6])
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
end
redis.call('PUBLISH', ARGV[5], cjson.encode({ ship = ARGV[6], from = ARGV[1], to = ARGV[3], version = version + 1 }))
return version + 1
`;

// Records of ships nobody plays any more fade out; an active owner rewrites its record far more often.
const RECORD_TTL_S = 7 * 24 * 3600;

export const shipOwnerKey = (prefix: string, ship: string) => `${prefix}ship:${ship}:owner`;
/** The set of ships whose record names `region`. */
export const regionShipsKey = (prefix: string, region: string) => `${prefix}region:${region}:ships`;
/** The pub/sub channel every change of every ship's record is published on. */
export const ownershipChannel = (prefix: string) => `${prefix}ownership`;

const parseChange = (raw: string): OwnershipChange | null => {
  try {
    const c = JSON.parse(raw) as Partial<OwnershipChange>;
    if (typeof c.ship !== "string" || typeof c.from !== "string" || typeof c.to !== "string") return null;
    return { ship: c.ship, from: c.from, to: c.to, version: Number(c.version) };
  } catch {
    return null;
  }
};

/**
 * Records in Redis hashes `<prefix>ship:<id>:owner` = { region, version } (cluster mode); changes on
 * the channel `<prefix>ownership`. The caller owns the connection; watching opens one more
 * (a subscribed connection can do nothing else), shared by this instance's watchers and closed
 * when the last one unsubscribes.
 */
export class RedisShipOwnership implements ShipOwnership {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #changes: RedisFanout<OwnershipChange>;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
    this.#changes = new RedisFanout(redis, ownershipChannel(this.#prefix), parseChange);
  }

  async get(ship: string): Promise<OwnerRecord | null> {
    const h = await this.#redis.hgetall(shipOwnerKey(this.#prefix, ship));
    if (h.version === undefined) return null;
    return { region: h.region ?? "", version: Number(h.version) };
  }

  async move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null> {
    const key = shipOwnerKey(this.#prefix, ship);
    const channel = ownershipChannel(this.#prefix);
    const sets = [regionShipsKey(this.#prefix, from), regionShipsKey(this.#prefix, to)];
    const v = (await this.#redis.eval(
      MOVE,
      3,
      key,
      ...sets,
      from,
      String(version),
      to,
      RECORD_TTL_S,
      channel,
      ship,
    )) as number;
    return v < 0 ? null : { region: to, version: v };
  }

  shipsIn(region: string): Promise<string[]> {
    return this.#redis.smembers(regionShipsKey(this.#prefix, region));
  }

  watch(listener: OwnershipListener): Promise<() => Promise<void>> {
    return this.#changes.listen(listener);
  }
}

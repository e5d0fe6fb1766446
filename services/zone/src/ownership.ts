// Which region room is authoritative for a ship, as one versioned record per ship. Every change is a
// compare-and-set on (region, version) and bumps the version, so a handoff moves ownership in one
// atomic step and a late or replayed step (an old version) is refused. Two implementations with the
// same behaviour: in-process for the embedded mode and tests, Redis (Lua) for the cluster.
import type { Redis } from "ioredis";

export interface OwnerRecord {
  /** Region room id of the owner; "" when no room holds the ship (its player left). */
  region: string;
  /** Grows by one on every change of this ship's record. */
  version: number;
}

export interface ShipOwnership {
  get(ship: string): Promise<OwnerRecord | null>;
  /**
   * Makes `to` the owner if the record is exactly (`from`, `version`) now; resolves the new record,
   * or null when it is not (someone else moved it first: the caller is not the owner any more).
   * `from` = "" with the version of a released record (or 0 for none) takes a free ship.
   */
  move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null>;
}

/** In-process records (embedded mode, tests). */
export class LocalShipOwnership implements ShipOwnership {
  readonly #records = new Map<string, OwnerRecord>();

  async get(ship: string): Promise<OwnerRecord | null> {
    const r = this.#records.get(ship);
    return r ? { ...r } : null;
  }

  async move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null> {
    const r = this.#records.get(ship) ?? { region: "", version: 0 };
    if (r.region !== from || r.version !== version) return null;
    const next = { region: to, version: version + 1 };
    this.#records.set(ship, next);
    return { ...next };
  }
}

// KEYS[1] record hash; ARGV from, version, to, ttl seconds. Returns the new version or -1.
const MOVE = `
local region = redis.call('HGET', KEYS[1], 'region') or ''
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if region ~= ARGV[1] or version ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'region', ARGV[3], 'version', version + 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return version + 1
`;

// Records of ships nobody plays any more fade out; an active owner rewrites its record far more often.
const RECORD_TTL_S = 7 * 24 * 3600;

export const shipOwnerKey = (prefix: string, ship: string) => `${prefix}ship:${ship}:owner`;

/** Records in Redis hashes `<prefix>ship:<id>:owner` = { region, version } (cluster mode). */
export class RedisShipOwnership implements ShipOwnership {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
  }

  async get(ship: string): Promise<OwnerRecord | null> {
    const h = await this.#redis.hgetall(shipOwnerKey(this.#prefix, ship));
    if (h.version === undefined) return null;
    return { region: h.region ?? "", version: Number(h.version) };
  }

  async move(ship: string, from: string, version: number, to: string): Promise<OwnerRecord | null> {
    const v = (await this.#redis.eval(MOVE, 1, shipOwnerKey(this.#prefix, ship), from, String(version), to, RECORD_TTL_S)) as number;
    return v < 0 ? null : { region: to, version: v };
  }
}

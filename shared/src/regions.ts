// Who owns which region. A zone claims a region with a lease it keeps renewing; every successful
// claim gets an ownership epoch that only grows, so anything written under an older epoch can be
// rejected later (the lease alone says "alive", the epoch is what fences a zone that was paused or
// cut off and comes back still believing it owns the region). Two implementations with the same
// behaviour: in-process for the embedded mode and tests, Redis for the cluster.
import type { Redis } from "ioredis";

export interface ZoneIdentity {
  /** Unique per zone process instance (a restarted process is a new zone). */
  zoneId: string;
  /** Where clients reach that zone (ws/http base URL). */
  address: string;
}

export interface RegionOwner extends ZoneIdentity {
  /** Grows by at least one on every successful claim of this region, by anyone. */
  epoch: number;
}

export interface RegionDirectory {
  /**
   * Claims `region` for `zone` if nobody holds a live lease on it. Resolves the ownership (with a new
   * epoch), or null when another zone holds it. Claiming a region the same zone already holds
   * returns the current ownership unchanged. Atomic: two zones can never both win. The new epoch is
   * above `floor` (the highest epoch the durable store has seen for the region), so epochs keep
   * growing even when the directory lost its data (a Redis restarted empty).
   */
  claim(region: string, zone: ZoneIdentity, ttlMs: number, floor?: number): Promise<RegionOwner | null>;
  /** Extends the lease if `zoneId` still holds `region` at `epoch`; false means it was lost. */
  renew(region: string, zoneId: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Gives the region up if `zoneId` holds it at `epoch`; false if it did not. */
  release(region: string, zoneId: string, epoch: number): Promise<boolean>;
  /** The live owner of `region`, or null when its lease has run out or it was never claimed. */
  owner(region: string): Promise<RegionOwner | null>;
  /** The highest epoch issued for `region`: 0 if it was never claimed (or the directory lost its data). */
  lastEpoch(region: string): Promise<number>;
  /**
   * Ms until `region`'s lease runs out unless renewed; null when it has no live lease. A live owner
   * renews well before; one that stopped renewing is seen running out, so a successor can claim
   * at that moment instead of up to a scan interval later.
   */
  expiresInMs(region: string): Promise<number | null>;
  /**
   * A planned move (zonectl move/drain): `to` takes `region` over from its live owner, but only if
   * that owner is still exactly `from` (zone and epoch), under a new epoch above `floor`. Atomic like
   * a claim: null when the region is held by anyone else or its lease ran out. Optional: test
   * wrappers leave it out, and a zone without it refuses to adopt a moved region.
   */
  transfer?(
    region: string,
    from: { zoneId: string; epoch: number },
    to: ZoneIdentity,
    ttlMs: number,
    floor?: number,
  ): Promise<RegionOwner | null>;
}

interface Held {
  owner: RegionOwner;
  expiresAt: number;
}

/** In-process directory (embedded mode, tests). `now` is injectable so tests can move time. */
export class LocalRegionDirectory implements RegionDirectory {
  readonly #held = new Map<string, Held>();
  readonly #epochs = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  #live(region: string): Held | undefined {
    const h = this.#held.get(region);
    if (h && h.expiresAt <= this.#now()) {
      this.#held.delete(region);
      return undefined;
    }
    return h;
  }

  async claim(region: string, zone: ZoneIdentity, ttlMs: number, floor = 0): Promise<RegionOwner | null> {
    const h = this.#live(region);
    if (h) return h.owner.zoneId === zone.zoneId ? { ...h.owner } : null;
    const epoch = Math.max(this.#epochs.get(region) ?? 0, floor) + 1;
    this.#epochs.set(region, epoch);
    const owner = { zoneId: zone.zoneId, address: zone.address, epoch };
    this.#held.set(region, { owner, expiresAt: this.#now() + ttlMs });
    return { ...owner };
  }

  async transfer(
    region: string,
    from: { zoneId: string; epoch: number },
    to: ZoneIdentity,
    ttlMs: number,
    floor = 0,
  ): Promise<RegionOwner | null> {
    const h = this.#live(region);
    if (!h || h.owner.zoneId !== from.zoneId || h.owner.epoch !== from.epoch) return null;
    this.#held.delete(region);
    return this.claim(region, to, ttlMs, floor);
  }

  async renew(region: string, zoneId: string, epoch: number, ttlMs: number): Promise<boolean> {
    const h = this.#live(region);
    if (!h || h.owner.zoneId !== zoneId || h.owner.epoch !== epoch) return false;
    h.expiresAt = this.#now() + ttlMs;
    return true;
  }

  async release(region: string, zoneId: string, epoch: number): Promise<boolean> {
    const h = this.#live(region);
    if (!h || h.owner.zoneId !== zoneId || h.owner.epoch !== epoch) return false;
    this.#held.delete(region);
    return true;
  }

  async owner(region: string): Promise<RegionOwner | null> {
    const h = this.#live(region);
    return h ? { ...h.owner } : null;
  }

  async expiresInMs(region: string): Promise<number | null> {
    const h = this.#live(region);
    return h ? h.expiresAt - this.#now() : null;
  }

  /** The highest epoch issued for `region` (0 if never claimed): the in-process snapshot store's fence. */
  issued(region: string): number {
    return this.#epochs.get(region) ?? 0;
  }

  async lastEpoch(region: string): Promise<number> {
    return this.issued(region);
  }
}

// KEYS[1] owner record (with the lease TTL), KEYS[2] the region's epoch counter (never expires).
// ARGV[4] the floor: the new epoch is above it even if the counter was lost (Redis restarted empty).
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur then
  if cjson.decode(cur).zoneId == ARGV[1] then return cur end
  return false
end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[4])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
local v = cjson.encode({ zoneId = ARGV[1], address = ARGV[2], epoch = epoch })
redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
return v`;

// A planned move: like CLAIM, but only from the live owner ARGV[5] at epoch ARGV[6].
const TRANSFER = `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local o = cjson.decode(cur)
if o.zoneId ~= ARGV[5] or tostring(o.epoch) ~= ARGV[6] then return false end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[4])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
local v = cjson.encode({ zoneId = ARGV[1], address = ARGV[2], epoch = epoch })
redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
return v`;

// ARGV[1] zoneId, ARGV[2] epoch, ARGV[3] ttl (renew only).
const IF_HELD = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local o = cjson.decode(cur)
if o.zoneId ~= ARGV[1] or tostring(o.epoch) ~= ARGV[2] then return 0 end`;
const RENEW = `${IF_HELD}
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
const RELEASE = `${IF_HELD}
redis.call('DEL', KEYS[1])
return 1`;

/** Redis key names of the directory, under `prefix`. */
export const regionKeys = (prefix: string, region: string) => ({
  owner: `${prefix}region:${region}:owner`,
  epoch: `${prefix}region:${region}:epoch`,
});

const parseOwner = (raw: string | null): RegionOwner | null => {
  if (!raw) return null;
  const o = JSON.parse(raw) as RegionOwner;
  return { zoneId: String(o.zoneId), address: String(o.address), epoch: Number(o.epoch) };
};

/**
 * Redis directory (cluster). Claims, renewals and releases are Lua scripts, so each check-and-set
 * is atomic on the server. The caller owns the connection.
 */
export class RedisRegionDirectory implements RegionDirectory {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
  }

  async claim(region: string, zone: ZoneIdentity, ttlMs: number, floor = 0): Promise<RegionOwner | null> {
    const k = regionKeys(this.#prefix, region);
    const raw = (await this.#redis.eval(
      CLAIM,
      2,
      k.owner,
      k.epoch,
      zone.zoneId,
      zone.address,
      Math.ceil(ttlMs),
      Math.max(0, Math.floor(floor)),
    )) as string | null;
    return parseOwner(raw);
  }

  async transfer(
    region: string,
    from: { zoneId: string; epoch: number },
    to: ZoneIdentity,
    ttlMs: number,
    floor = 0,
  ): Promise<RegionOwner | null> {
    const k = regionKeys(this.#prefix, region);
    const raw = (await this.#redis.eval(
      TRANSFER,
      2,
      k.owner,
      k.epoch,
      to.zoneId,
      to.address,
      Math.ceil(ttlMs),
      Math.max(0, Math.floor(floor)),
      from.zoneId,
      String(from.epoch),
    )) as string | null;
    return parseOwner(raw);
  }

  async renew(region: string, zoneId: string, epoch: number, ttlMs: number): Promise<boolean> {
    const k = regionKeys(this.#prefix, region);
    return (await this.#redis.eval(RENEW, 1, k.owner, zoneId, String(epoch), Math.ceil(ttlMs))) === 1;
  }

  async release(region: string, zoneId: string, epoch: number): Promise<boolean> {
    const k = regionKeys(this.#prefix, region);
    return (await this.#redis.eval(RELEASE, 1, k.owner, zoneId, String(epoch))) === 1;
  }

  async owner(region: string): Promise<RegionOwner | null> {
    return parseOwner(await this.#redis.get(regionKeys(this.#prefix, region).owner));
  }

  async lastEpoch(region: string): Promise<number> {
    return Number((await this.#redis.get(regionKeys(this.#prefix, region).epoch)) ?? 0);
  }

  async expiresInMs(region: string): Promise<number | null> {
    const ms = await this.#redis.pttl(regionKeys(this.#prefix, region).owner);
    return ms >= 0 ? ms : null;
  }
}

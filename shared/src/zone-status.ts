// What each zone process tells operators about itself (name, id, address, and per held region its
// epoch, players and tick p99), and the cluster view built from it plus the region directory: the
// one source of `zonectl status`, the front door's /v1/operator/cluster and its live map. The
// directory stays the authority on who owns what; a zone's report only adds its live figures.
// Two boards with the same behaviour: in-process (embedded mode, tests) and Redis (cluster).
import type { Redis } from "ioredis";
import { type RegionDirectory, regionKeys } from "./regions.js";
import { allRegions, regionRoomId, type WorldConfig } from "./world.js";

export interface RegionStatus {
  id: string;
  epoch: number;
  players: number;
  /** Tick duration p99 over the zone's life in this region (null before its first tick). */
  tickP99Ms: number | null;
}

/** One zone's report, published every second or so and kept for `ttlMs`. */
export interface ZoneReport {
  /** The operator's stable name for the slot (zone-1, zone-2...); a restarted process keeps it. */
  name: string;
  /** The process's own zone id (new at every start). */
  id: string;
  address: string;
  /** Its lease time to live, so a reader can tell a lease's age from its time left. */
  leaseTtlMs: number;
  regions: RegionStatus[];
}

export interface ZoneStatusBoard {
  publish(report: ZoneReport, ttlMs: number): Promise<void>;
  /** Takes a zone's report down at once (it is shutting down). */
  withdraw(id: string): Promise<void>;
  /** The reports of zones that published within their TTL. */
  list(): Promise<ZoneReport[]>;
  /** Time left on `region`'s lease in ms (null when unknown or not held). */
  leaseRemainingMs(region: string): Promise<number | null>;
}

export class LocalZoneStatusBoard implements ZoneStatusBoard {
  readonly #reports = new Map<string, { report: ZoneReport; expiresAt: number }>();
  async publish(report: ZoneReport, ttlMs: number) {
    this.#reports.set(report.id, { report: structuredClone(report), expiresAt: Date.now() + ttlMs });
  }
  async withdraw(id: string) {
    this.#reports.delete(id);
  }
  async list() {
    const now = Date.now();
    return [...this.#reports.values()].filter((r) => r.expiresAt > now).map((r) => structuredClone(r.report));
  }
  // The in-process directory keeps its deadlines to itself.
  async leaseRemainingMs() {
    return null;
  }
}

/** Redis key names of the board, under `prefix`: one key per zone (expires) and an index of them. */
export const zoneStatusKeys = (prefix: string, id?: string) => ({
  index: `${prefix}zones`,
  report: `${prefix}zone:${id ?? ""}:status`,
});

export class RedisZoneStatusBoard implements ZoneStatusBoard {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
  }
  async publish(report: ZoneReport, ttlMs: number) {
    const k = zoneStatusKeys(this.#prefix, report.id);
    const ms = Math.ceil(ttlMs);
    await this.#redis
      .multi()
      .set(k.report, JSON.stringify(report), "PX", ms)
      .zadd(k.index, Date.now() + ms, report.id)
      .exec();
  }
  async withdraw(id: string) {
    const k = zoneStatusKeys(this.#prefix, id);
    await this.#redis.multi().del(k.report).zrem(k.index, id).exec();
  }
  async list() {
    const index = zoneStatusKeys(this.#prefix).index;
    // Entries whose zone stopped publishing fall out of the index here.
    await this.#redis.zremrangebyscore(index, "-inf", Date.now());
    const ids = await this.#redis.zrange(index, 0, -1);
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(ids.map((id) => zoneStatusKeys(this.#prefix, id).report));
    return raw.flatMap((r) => (r ? [JSON.parse(r) as ZoneReport] : []));
  }
  async leaseRemainingMs(region: string) {
    const ms = await this.#redis.pttl(regionKeys(this.#prefix, region).owner);
    return ms >= 0 ? ms : null;
  }
}

/** `zonectl status --json`'s shape. */
export interface ClusterStatus {
  zones: {
    name: string;
    id: string;
    address: string;
    /** Age of the zone's oldest region lease since its last renewal (null when unknown). */
    leaseAgeMs: number | null;
    regions: RegionStatus[];
  }[];
  unowned: string[];
}

/**
 * Who owns what according to the directory, with each owner's reported figures. A region whose
 * owner has not reported (yet) shows its epoch with 0 players and no tick figure.
 */
export async function readClusterStatus(
  world: WorldConfig,
  directory: RegionDirectory,
  board: ZoneStatusBoard,
): Promise<ClusterStatus> {
  const reports = new Map((await board.list()).map((r) => [r.id, r]));
  const zones = new Map<string, ClusterStatus["zones"][number] & { ttl: number | null; minLeft: number | null }>();
  for (const r of reports.values()) {
    zones.set(r.id, {
      name: r.name,
      id: r.id,
      address: r.address,
      leaseAgeMs: null,
      regions: [],
      ttl: r.leaseTtlMs,
      minLeft: null,
    });
  }
  const unowned: string[] = [];
  for (const region of allRegions(world).map(regionRoomId)) {
    const [owner, left] = await Promise.all([directory.owner(region), board.leaseRemainingMs(region)]);
    if (!owner) {
      unowned.push(region);
      continue;
    }
    let zone = zones.get(owner.zoneId);
    if (!zone) {
      zone = {
        name: owner.zoneId,
        id: owner.zoneId,
        address: owner.address,
        leaseAgeMs: null,
        regions: [],
        ttl: null,
        minLeft: null,
      };
      zones.set(owner.zoneId, zone);
    }
    const reported = reports.get(owner.zoneId)?.regions.find((x) => x.id === region && x.epoch === owner.epoch);
    zone.regions.push({
      id: region,
      epoch: owner.epoch,
      players: reported?.players ?? 0,
      tickP99Ms: reported?.tickP99Ms ?? null,
    });
    if (left !== null) zone.minLeft = zone.minLeft === null ? left : Math.min(zone.minLeft, left);
  }
  const out = [...zones.values()].map(({ ttl, minLeft, ...z }) => ({
    ...z,
    leaseAgeMs: ttl !== null && minLeft !== null ? Math.max(0, ttl - minLeft) : null,
  }));
  out.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }) || a.id.localeCompare(b.id));
  return { zones: out, unowned };
}
